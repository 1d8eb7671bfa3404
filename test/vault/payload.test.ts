import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TotpMcpError } from '../../src/core/errors.js';
import { ALGORITHMS, OTP_TYPES, type Account } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import { PAYLOAD_VERSION, parsePayload, serializePayload, type Payload } from '../../src/vault/index.js';
import { checkedSerialize, fastAccountOk, fastHeadOk } from '../../src/vault/payload.js';
import { accountSchema, headSchema } from '../../src/vault/payload-schema.js';
import { newPayload } from '../../src/vault/store.js';
import { NOW, account } from './helpers.js';

const SEED = 'JBSWY3DPEHPK3PXPSEEDSEED';

async function thrown(fn: () => Promise<unknown>): Promise<TotpMcpError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TotpMcpError);
    return e as TotpMcpError;
  }
  throw new Error('expected a throw');
}

const iso = fc
  .integer({ min: Date.parse('1990-01-01'), max: Date.parse('2200-01-01') })
  .map((ms) => new Date(ms).toISOString());

/** Valid accounts, as the app would write them. */
const validAccount: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    id: fc.stringMatching(/^[a-z0-9][a-z0-9._:@+-]{0,20}$/),
    issuer: fc.string({ maxLength: 40 }),
    label: fc.string({ maxLength: 40 }),
    type: fc.constantFrom(...OTP_TYPES),
    secret: fc.stringMatching(/^[A-Z2-7]{16,64}$/),
    algorithm: fc.constantFrom(...ALGORITHMS),
    digits: fc.integer({ min: 6, max: 10 }),
    period: fc.integer({ min: 1, max: 86_400 }),
    counter: fc.nat(),
    tags: fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}$/), { maxLength: 4 }),
    created_at: iso,
    updated_at: iso,
  })
  .chain((a) =>
    fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { nil: undefined }).map((aws) => {
      const out: Record<string, unknown> = { ...a, digits: a.type === 'steam' ? 5 : a.digits };
      if (aws !== undefined) out['aws'] = JSON.parse(JSON.stringify(aws)); // as a read produces it
      return out;
    }),
  );

/** Values at and just past every limit the schema sets. */
const EDGES: unknown[] = [
  -1, 0, 1, 4, 5, 6, 10, 11, 86_400, 86_401, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1.5, -0, NaN,
  '', 'a', 'A', 'a'.repeat(256), 'a'.repeat(257), 'A'.repeat(1024), 'A'.repeat(1025), 'ABC=', 'abc', 'Upper', '-x', 'x'.repeat(65),
  '2026-02-30T00:00:00Z', '2026-01-01T00:00:00', '2026-01-01T00:00:00+01:00', '2026-01-01 00:00:00Z',
  'totp', 'hotp', 'steam', 'SHA1', 'sha1', 'MD5', null, true, [], ['ok'], ['OK'], ['a'.repeat(33)], Array(65).fill('t'), {}, [{}],
  undefined, new Date(0), Object.create(null),
];
const edge = fc.constantFrom<unknown>(...EDGES);
const FIELDS = ['id', 'issuer', 'label', 'type', 'secret', 'algorithm', 'digits', 'period', 'counter', 'tags', 'aws', 'created_at', 'updated_at', 'other', '__proto__'];

/** Anything near an account: valid ones with one field replaced, removed, or added. */
const nearAccount: fc.Arbitrary<unknown> = fc.oneof(
  validAccount,
  fc
    .tuple(
      validAccount,
      fc.constantFrom(...FIELDS),
      fc.oneof({ arbitrary: edge, weight: 4 }, fc.jsonValue(), fc.constant(undefined), fc.string(), fc.integer({ min: -3, max: 100_000 }), fc.double()),
      fc.boolean(),
    )
    .map(([a, k, v, drop]) => {
      const out: Record<string, unknown> = { ...a };
      if (drop) Reflect.deleteProperty(out, k);
      else Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    }),
  fc.anything(),
);

describe('payload', () => {
  test('serialize → parse round-trips, secrets stay Redacted, output is one account per line', async () => {
    const p = newPayload(NOW);
    p.accounts.push(account('github', SEED, { tags: ['work', 'dev'] }), account('steam', 'GEZDGNBVGY3TQOJQ', { type: 'steam', digits: 5 }));
    p.accounts[0]!.aws = { serial: 'arn:aws:iam::123456789012:mfa/me', keys: new Redacted('AKIA-should-be-revealed') };
    p.policy_pin = { sha256: 'a'.repeat(64), applied_at: new Date(NOW).toISOString() };
    const text = serializePayload(p);
    expect(text).toContain(SEED);
    expect(text).toContain('AKIA-should-be-revealed');
    expect(text.split('\n').filter((l) => l.trimStart().startsWith('{"id"'))).toHaveLength(2);
    const q = await parsePayload(text);
    expect(q.accounts[0]?.secret).toBeInstanceOf(Redacted);
    expect(q.accounts[0]?.secret.reveal()).toBe(SEED);
    expect(q.audit_key.reveal()).toBe(p.audit_key.reveal());
    expect(serializePayload(q)).toBe(text);
    // nothing prints a seed by accident
    expect(JSON.stringify(q)).not.toContain(SEED);
    expect(inspect(q, { depth: 10 })).not.toContain(SEED);
    expect(JSON.stringify(q)).not.toContain(q.audit_key.reveal());
  });

  test('PAYLOAD_VERSION is 1; a newer version is refused with the upgrade message', async () => {
    expect(PAYLOAD_VERSION).toBe(1);
    const e = await thrown(() => parsePayload('{"version":2,"accounts":[]}'));
    expect([e.code, e.message]).toEqual([
      'unsupported_version',
      'vault payload version 2 is newer than this totp-mcp understands (1): upgrade totp-mcp',
    ]);
    expect((await thrown(() => parsePayload('{"version":0}'))).code).toBe('vault_corrupt');
    expect((await thrown(() => parsePayload('{"version":1.5}'))).code).toBe('vault_corrupt');
  });

  test('errors name the field, never the value', async () => {
    const p = JSON.parse(serializePayload(Object.assign(newPayload(NOW), { accounts: [account('a', SEED)] }))) as {
      accounts: Record<string, unknown>[];
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ secret: SEED.toLowerCase() }, /^vault payload is invalid: accounts\[0\]\.secret: not in the expected form$/],
      [{ digits: SEED }, /accounts\[0\]\.digits: expected number/],
      [{ digits: 11 }, /accounts\[0\]\.digits: digits must be 6\.\.10/],
      [{ type: SEED }, /accounts\[0\]\.type: not an allowed value/],
      [{ [SEED]: SEED }, /accounts\[0\]: an unknown field$/],
      [{ tags: [SEED] }, /accounts\[0\]\.tags\[0\]: not in the expected form/],
    ];
    for (const [patch, expected] of cases) {
      const doc = { ...p, accounts: [{ ...p.accounts[0], ...patch }] };
      const e = await thrown(() => parsePayload(JSON.stringify(doc)));
      expect(e.code).toBe('vault_corrupt');
      expect(e.message).toMatch(expected);
      expect(e.message).not.toContain(SEED);
      expect(e.message.toLowerCase()).not.toContain(SEED.toLowerCase());
    }
    const bad = await thrown(() => parsePayload(`{"version":1,"accounts":[{"secret":"${SEED}"`));
    expect(bad.message).toBe('vault payload is not valid JSON');
  });

  test('checkedSerialize refuses what a read would refuse', async () => {
    const p: Payload = newPayload(NOW);
    p.accounts.push(account('x', SEED, { period: 0 }));
    const e = await thrown(() => checkedSerialize(p));
    expect([e.code, e.message]).toEqual(['invalid', 'refusing to write an invalid vault: accounts[0].period: too small']);
    p.accounts[0]!.period = 30;
    expect((await parsePayload(await checkedSerialize(p))).accounts[0]?.period).toBe(30);
  });

  test('the fast path accepts only what the zod schema accepts: every field × every edge value, for each type', () => {
    let fastAccepted = 0;
    for (const type of OTP_TYPES) {
      const base = JSON.parse(JSON.stringify({ ...account('x'), secret: 'JBSWY3DPEHPK3PXP', type, digits: type === 'steam' ? 5 : 6 })) as Record<string, unknown>;
      expect(fastAccountOk(base)).toBe(true);
      for (const k of FIELDS) {
        for (const v of EDGES) {
          for (const drop of [false, true]) {
            const a: Record<string, unknown> = { ...base };
            if (drop) Reflect.deleteProperty(a, k);
            else Object.defineProperty(a, k, { value: v, enumerable: true, writable: true, configurable: true });
            if (fastAccountOk(a)) {
              fastAccepted++;
              expect({ k, v, drop, zod: accountSchema.safeParse(a).success }).toEqual({ k, v, drop, zod: true });
            }
          }
        }
      }
    }
    expect(fastAccepted).toBeGreaterThan(50); // it is not vacuous
  });

  test('property: the fast path accepts only what the zod schema accepts, and accepts every valid account', () => {
    fc.assert(
      fc.property(nearAccount, (a) => {
        if (fastAccountOk(a)) expect(accountSchema.safeParse(a).success).toBe(true);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(validAccount, (a) => {
        expect(accountSchema.safeParse(a).success).toBe(true);
        expect(fastAccountOk(a)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('the plain head check accepts only what the zod head schema accepts', () => {
    const base = JSON.parse(serializePayload(newPayload(NOW))) as Record<string, unknown>;
    expect(fastHeadOk(base)).toBe(true);
    const edges: unknown[] = [null, 0, 1, 2, -1, 1.5, '', 'x', [], {}, true, 'a'.repeat(64), NOW, new Date(NOW).toISOString(), { sha256: 'a'.repeat(64), applied_at: new Date(NOW).toISOString() }, { sha256: 'A'.repeat(64), applied_at: new Date(NOW).toISOString() }, { sha256: 'a'.repeat(64), applied_at: 'x', extra: 1 }];
    let accepted = 0;
    for (const k of [...Object.keys(base), 'extra']) {
      for (const v of [...edges, undefined]) {
        const doc: Record<string, unknown> = { ...base };
        if (v === undefined) Reflect.deleteProperty(doc, k);
        else doc[k] = v;
        if (fastHeadOk(doc)) {
          accepted++;
          expect({ k, v, zod: headSchema.safeParse(doc).success }).toEqual({ k, v, zod: true });
        }
      }
    }
    expect(accepted).toBeGreaterThan(3);
  });

  test('property: valid payloads round-trip exactly, through both the fast path and zod', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(validAccount, { selector: (a) => a['id'], maxLength: 8 }), async (accounts) => {
        const doc = { ...JSON.parse(serializePayload(newPayload(NOW))), accounts };
        const text = JSON.stringify(doc);
        const p = await parsePayload(text);
        expect(p.accounts.map((a: Account) => a.secret.reveal())).toEqual(accounts.map((a) => a['secret']));
        expect(JSON.parse(serializePayload(p))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TotpMcpError } from '../../src/core/errors.js';
import { ALGORITHMS, OTP_TYPES, type Account } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import { PAYLOAD_VERSION, parsePayload, serializePayload, type Payload } from '../../src/vault/index.js';
import { checkedSerialize } from '../../src/vault/payload.js';
import { newPayload } from '../../src/vault/store.js';
import { NOW, account } from './helpers.js';

const SEED = 'JBSWY3DPEHPK3PXPSEEDSEED';

function thrown(fn: () => unknown): TotpMcpError {
  try {
    fn();
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

/** For each account field, a value the table refuses (and the path suffix the error names). */
const BAD: Record<string, [unknown, string]> = {
  id: ['Upper', ''],
  issuer: ['a'.repeat(257), ''],
  label: [5, ''],
  type: ['md5', ''],
  secret: ['abc', ''],
  algorithm: ['MD5', ''],
  digits: [11, ''],
  period: [0, ''],
  counter: [-1, ''],
  tags: [['OK'], '[0]'],
  created_at: ['2026-01-01 00:00:00Z', ''],
  updated_at: ['2026-01-01T00:00:00', ''],
  aws: [[], ''],
};

describe('payload', () => {
  test('serialize → parse round-trips, secrets stay Redacted, output is one account per line', () => {
    const p = newPayload(NOW);
    p.accounts.push(account('github', SEED, { tags: ['work', 'dev'] }), account('steam', 'GEZDGNBVGY3TQOJQ', { type: 'steam', digits: 5 }));
    p.accounts[0]!.aws = { serial: 'arn:aws:iam::123456789012:mfa/me', keys: new Redacted('AKIA-should-be-revealed') };
    p.policy_pin = { sha256: 'a'.repeat(64), applied_at: new Date(NOW).toISOString() };
    const text = serializePayload(p);
    expect(text).toContain(SEED);
    expect(text).toContain('AKIA-should-be-revealed');
    expect(text.split('\n').filter((l) => l.trimStart().startsWith('{"id"'))).toHaveLength(2);
    const q = parsePayload(text);
    expect(q.accounts[0]?.secret).toBeInstanceOf(Redacted);
    expect(q.accounts[0]?.secret.reveal()).toBe(SEED);
    expect(q.audit_key.reveal()).toBe(p.audit_key.reveal());
    expect(serializePayload(q)).toBe(text);
    // nothing prints a seed by accident
    expect(JSON.stringify(q)).not.toContain(SEED);
    expect(inspect(q, { depth: 10 })).not.toContain(SEED);
    expect(JSON.stringify(q)).not.toContain(q.audit_key.reveal());
  });

  test('PAYLOAD_VERSION is 1; a newer version is refused with the upgrade message', () => {
    expect(PAYLOAD_VERSION).toBe(1);
    const e = thrown(() => parsePayload('{"version":2,"accounts":[]}'));
    expect([e.code, e.message]).toEqual([
      'unsupported_version',
      'vault payload version 2 is newer than this totp-mcp understands (1): upgrade totp-mcp',
    ]);
    expect((thrown(() => parsePayload('{"version":0}'))).code).toBe('vault_corrupt');
    expect((thrown(() => parsePayload('{"version":1.5}'))).code).toBe('vault_corrupt');
  });

  test('errors name the field, never the value', () => {
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
      const e = thrown(() => parsePayload(JSON.stringify(doc)));
      expect(e.code).toBe('vault_corrupt');
      expect(e.message).toMatch(expected);
      expect(e.message).not.toContain(SEED);
      expect(e.message.toLowerCase()).not.toContain(SEED.toLowerCase());
    }
    const bad = thrown(() => parsePayload(`{"version":1,"accounts":[{"secret":"${SEED}"`));
    expect(bad.message).toBe('vault payload is not valid JSON');
  });

  test('checkedSerialize refuses what a read would refuse', () => {
    const p: Payload = newPayload(NOW);
    p.accounts.push(account('x', SEED, { period: 0 }));
    const e = thrown(() => checkedSerialize(p));
    expect([e.code, e.message]).toEqual(['invalid', 'refusing to write an invalid vault: accounts[0].period: too small']);
    p.accounts[0]!.period = 30;
    expect((parsePayload(checkedSerialize(p))).accounts[0]?.period).toBe(30);
  });

  test('property: serialize → parse round-trips valid payloads exactly, and the text is stable', () => {
    fc.assert(
      fc.property(fc.uniqueArray(validAccount, { selector: (a) => a['id'], maxLength: 8 }), fc.nat(), (accounts, generation) => {
        const doc = { ...JSON.parse(serializePayload(newPayload(NOW))), generation, accounts };
        const text = JSON.stringify(doc);
        const p = parsePayload(text);
        expect(p.accounts.map((a: Account) => a.secret.reveal())).toEqual(accounts.map((a) => a['secret']));
        const written = serializePayload(p);
        expect(JSON.parse(written)).toEqual(JSON.parse(text));
        expect(serializePayload(parsePayload(written))).toBe(written);
        expect(checkedSerialize(p)).toBe(written);
      }),
      { numRuns: 300 },
    );
  });

  test('property: a mutated, missing or extra account field is refused with a message naming its path', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(validAccount, { selector: (a) => a['id'], minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.constantFrom(...Object.keys(BAD), 'drop', 'extra'),
        fc.constantFrom(...Object.keys(BAD).filter((k) => k !== 'aws')),
        (accounts, at, field, dropped) => {
          const i = at % accounts.length;
          const a: Record<string, unknown> = { ...accounts[i] };
          let expected: string;
          if (field === 'drop') {
            Reflect.deleteProperty(a, dropped);
            expected = `accounts[${i}].${dropped}: missing`;
          } else if (field === 'extra') {
            a['CANARYSEED'] = SEED;
            expected = `accounts[${i}]: an unknown field`;
          } else {
            const [v, suffix] = BAD[field]!;
            a[field] = v;
            expected = `accounts[${i}].${field}${suffix}: `;
          }
          const doc = { ...JSON.parse(serializePayload(newPayload(NOW))), accounts: accounts.map((x, j) => (j === i ? a : x)) };
          const e = thrown(() => parsePayload(JSON.stringify(doc)));
          expect(e.code).toBe('vault_corrupt');
          expect(e.message.startsWith(`vault payload is invalid: ${expected}`), e.message).toBe(true);
          expect(e.message).not.toContain('CANARYSEED');
          expect(e.message).not.toContain(SEED);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('head fields: a bad value is refused naming the field; a duplicate id names the second one', () => {
    const base = JSON.parse(serializePayload(newPayload(NOW))) as Record<string, unknown>;
    const cases: [Record<string, unknown>, string][] = [
      [{ generation: -1 }, 'generation: too small'],
      [{ audit_key: 'x' }, 'audit_key: not in the expected form'],
      [{ policy_pin: { sha256: 'A'.repeat(64), applied_at: new Date(NOW).toISOString() } }, 'policy_pin.sha256: not in the expected form'],
      [{ anchors: { 'id-1': { seq: 1, mac: 'x' } } }, 'anchors.?.mac: not in the expected form'],
      [{ extra: 1 }, '(top level): an unknown field'],
      [{ accounts: [account('a'), account('a')].map((a) => JSON.parse(serializePayload({ ...newPayload(NOW), accounts: [a] })).accounts[0]) }, 'accounts[1].id: duplicate account id'],
    ];
    for (const [patch, expected] of cases) {
      expect(thrown(() => parsePayload(JSON.stringify({ ...base, ...patch }))).message).toBe(`vault payload is invalid: ${expected}`);
    }
  });
});

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_FIELD_MAX, cleanClientText, openAuditLog, verifyAudit } from '../../src/audit/index.js';
import { Redacted } from '../../src/core/redacted.js';
import { key, sample, stateDir } from './helpers.js';

/** Looks like what must never be logged: a base32 seed, a code, a key. */
const CANARY = 'JBSWY3DPEHPK3PXP=CANARY/492039';
const CANARY_CORE = 'JBSWY3DPEHPK3PXP';

async function everything(dir: string): Promise<string> {
  let all = '';
  for (const f of await readdir(dir)) all += await readFile(join(dir, f), 'utf8').catch(() => '');
  return all;
}

const aws = {
  role: 'deploy',
  duration: 3600,
  expires: '2026-01-01T01:00:00.000Z',
  delivery: 'profile',
  session_name: 'totp-mcp-tf',
} as const;

/** Each a way to smuggle the canary in: into an enum, an id, a number, an extra field, a chain field. */
const smuggles: [string, Record<string, unknown>][] = [
  ['agent', { agent: CANARY }],
  ['agent (lowercase, too long)', { agent: `a${'x'.repeat(64)}${CANARY_CORE.toLowerCase()}` }],
  ['account', { account: CANARY }],
  ['rule', { rule: CANARY }],
  ['reason', { reason: CANARY }],
  ['reason with a space', { reason: `denied ${CANARY}` }],
  ['action', { action: CANARY }],
  ['decision', { decision: CANARY }],
  ['approval', { approval: CANARY }],
  ['step as a string', { step: CANARY }],
  ['step negative', { step: -1 }],
  ['step fractional', { step: 1.5 }],
  ['step NaN', { step: Number.NaN }],
  ['aws.role', { aws: { ...aws, role: CANARY } }],
  ['aws.session_name', { aws: { ...aws, session_name: CANARY } }],
  ['aws.delivery', { aws: { ...aws, delivery: CANARY } }],
  ['aws.expires', { aws: { ...aws, expires: `2026-01-01T01:00:00.000Z ${CANARY}` } }],
  ['aws.duration', { aws: { ...aws, duration: 10 ** 9 } }],
  ['aws extra field', { aws: { ...aws, secret_access_key: CANARY } }],
  ['client extra field', { client: { name: 'x', version: '1', token: CANARY } }],
  ['client name not a string', { client: { name: { CANARY }, version: '1' } }],
  ['extra top-level field', { code: CANARY }],
  ['extra top-level field (seed)', { secret: CANARY }],
  ['a chain field', { mac: CANARY }],
  ['a chain field (seq)', { seq: 1 }],
  ['a chain field (ts)', { ts: CANARY }],
  ['a Redacted value', { account: new Redacted(CANARY) }],
  ['a Redacted client name', { client: { name: new Redacted(CANARY), version: '1' } }],
  ['an object where an id goes', { account: { toString: () => CANARY } }],
  ['an array where an id goes', { account: [CANARY] }],
];

describe('an event has nowhere to put a secret', () => {
  it.each(smuggles)('rejects %s, without echoing the value', async (_name, change) => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const bad = { ...sample(), ...change };
    const err = await log.append(bad).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(`${err?.message} ${String((err as { hint?: string }).hint)}`).not.toContain(CANARY_CORE);
    await log.append(sample()); // the log itself is unharmed
    await log.close();
    expect(await everything(dir)).not.toContain(CANARY_CORE);
    expect((await verifyAudit(dir, key())).ok).toBe(true);
  });

  it('a JSON __proto__ key is an unexpected field', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const bad = JSON.parse(
      `{"agent":"a","action":"code","decision":"allow","reason":"allowed","__proto__":{"x":"${CANARY}"}}`,
    );
    await expect(log.append(bad)).rejects.toThrow(/audit event rejected/);
    await log.close();
  });

  it('the self-reported client is cut to 64 characters and stripped of control and format characters', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const name = `evil\u0000\n\r\u001b[31m\u202e\u200bclient${'-'.repeat(100)}${CANARY}`;
    const e = await log.append(
      sample(0, { client: { name, version: `1.0${'\t'.repeat(3)}${'9'.repeat(200)}${CANARY}` } }),
    );
    await log.close();
    expect(e.client?.name.startsWith('evil[31mclient---')).toBe(true);
    expect(Array.from(e.client!.name)).toHaveLength(CLIENT_FIELD_MAX);
    expect(Array.from(e.client!.version)).toHaveLength(CLIENT_FIELD_MAX);
    const file = await everything(dir);
    expect(file).not.toContain(CANARY_CORE);
    expect(file).not.toMatch(/\\u00(00|1b)|\\n|\\r|\\t|\u202e|\u200b/);
    expect((await verifyAudit(dir, key())).ok).toBe(true);
  });

  it('cuts client text on code points, never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(100);
    const cut = cleanClientText(emoji);
    expect(Array.from(cut)).toHaveLength(CLIENT_FIELD_MAX);
    expect(cut).toBe('😀'.repeat(CLIENT_FIELD_MAX));
    expect(cleanClientText('a\ud800b')).toBe('ab'); // a lone surrogate is dropped
  });

  it('property: any field replaced by any value holding the canary is rejected or cannot carry it', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const fields = [
      'agent',
      'account',
      'rule',
      'reason',
      'action',
      'decision',
      'approval',
      'step',
      'aws',
      'client',
      'extra',
      'pid',
      'prev',
    ];
    const holder = fc.oneof(
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => a + CANARY + b),
      fc.constant(new Redacted(CANARY)),
      fc.string().map((s) => ({ name: s, version: `${'v'.repeat(CLIENT_FIELD_MAX)}${CANARY}` })),
      fc.string().map((s) => ({ ...aws, role: s + CANARY })),
      fc.constant([CANARY]),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), holder, async (field, value) => {
        await log.append({ ...sample(), [field]: value }).catch(() => undefined);
      }),
      { numRuns: 300 },
    );
    await log.close();
    expect(await everything(dir)).not.toContain(CANARY_CORE);
  });

  // A value that IS a well-formed id (a lowercase word, or six digits) is an id as far as any type
  // can tell: the guarantee is that ids come from validated sources (policy, vault), never that a
  // string shaped like an id cannot be a code.
});

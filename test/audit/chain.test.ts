import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signEvent } from '../../src/audit/canonical.js';
import {
  GENESIS_MAC,
  canonicalJson,
  eventMac,
  openAuditLog,
  verifyAudit,
  type AuditEvent,
} from '../../src/audit/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { KEY_HEX, key, otherKey, sample, stateDir } from './helpers.js';

const lines = async (dir: string, file = 'audit.log'): Promise<string[]> =>
  (await readFile(join(dir, file), 'utf8')).split('\n').filter((l) => l !== '');

describe('canonical form', () => {
  it('sorts keys at every level, no whitespace, JSON escapes', () => {
    expect(canonicalJson({ b: 1, a: { d: null, c: [true, 'x"\n'] } })).toBe(
      '{"a":{"c":[true,"x\\"\\n"],"d":null},"b":1}',
    );
    expect(canonicalJson({ é: 1, z: 2, A: 3, _: 4 })).toBe('{"A":3,"_":4,"z":2,"é":1}');
  });

  it('is independent of key insertion order (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean())),
        (obj) => {
          const reversed = Object.fromEntries(Object.entries(obj).reverse());
          const c = canonicalJson(obj);
          expect(canonicalJson(reversed)).toBe(c);
          expect(JSON.parse(c)).toEqual(obj);
        },
      ),
    );
  });

  it('refuses values JSON cannot carry exactly', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow();
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(() => canonicalJson({ a: new Date(0) })).toThrow();
    expect(() => canonicalJson({ a: 1n })).toThrow();
  });

  it('pins the canonical bytes of an event (a change here breaks every existing log)', () => {
    const e = {
      v: 1,
      seq: 1,
      ts: '2026-01-02T03:04:05.678Z',
      agent: 'claude-desktop',
      client: null,
      action: 'code',
      account: 'github',
      decision: 'allow',
      rule: 'r1',
      reason: 'allowed',
      step: 7,
      approval: 'none',
      aws: null,
      pid: 42,
      prev: GENESIS_MAC,
    };
    const canon =
      '{"account":"github","action":"code","agent":"claude-desktop","approval":"none","aws":null,"client":null,"decision":"allow",' +
      `"pid":42,"prev":"${GENESIS_MAC}","reason":"allowed","rule":"r1","seq":1,"step":7,"ts":"2026-01-02T03:04:05.678Z","v":1}`;
    expect(canonicalJson(e)).toBe(canon);
    const expected = createHmac('sha256', Buffer.from(KEY_HEX, 'hex'))
      .update(GENESIS_MAC + canon)
      .digest('hex');
    expect(eventMac(key(), e)).toBe(expected);
    expect(eventMac(key(), { ...e, mac: 'ignored' })).toBe(expected);
    // The writer's line is the same canonical form, with the mac.
    const signed = signEvent(key(), e);
    expect(signed.mac).toBe(expected);
    expect(signed.line).toBe(canonicalJson({ ...e, mac: expected }));
  });

  it("the writer's line is the canonical form with the mac, for events and any other object (property)", () => {
    const value = fc.oneof(
      fc.integer(),
      fc.string(),
      fc.constant(null),
      fc.boolean(),
      fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant(null))),
    );
    const signedKeys = [
      'v',
      'seq',
      'ts',
      'agent',
      'client',
      'action',
      'account',
      'decision',
      'rule',
      'reason',
      'step',
      'approval',
      'aws',
      'pid',
    ];
    const anyKey = fc.oneof(fc.constantFrom(...signedKeys, 'zzz', 'a', 'ma', 'mac0', 'm'), fc.string());
    const event = fc.tuple(
      fc.record(Object.fromEntries(signedKeys.map((k) => [k, value]))),
      fc.shuffledSubarray(signedKeys),
      fc.dictionary(anyKey, value, { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(event, ([full, order, extra]) => {
        // Every field (in a random insertion order), or some of them plus others.
        const fields = Object.fromEntries(
          [...order, ...signedKeys.filter((k) => !order.includes(k))].map((k) => [k, full[k]]),
        );
        for (const obj of [fields, { ...Object.fromEntries(order.map((k) => [k, full[k]])), ...extra }]) {
          if ('mac' in obj) continue;
          const unsigned = { ...obj, prev: GENESIS_MAC };
          const { mac, line } = signEvent(key(), unsigned);
          expect(mac).toBe(eventMac(key(), unsigned));
          expect(line).toBe(canonicalJson({ ...unsigned, mac }));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('MAC chain', () => {
  it('chains seq, prev and mac from the genesis, and every line is canonical', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { clock: fixedClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) });
    const appended: AuditEvent[] = [];
    for (let i = 0; i < 5; i++) appended.push(await log.append(sample(i)));
    await log.close();

    const stored = (await lines(dir)).map((l) => JSON.parse(l) as AuditEvent);
    expect(stored).toEqual(appended);
    let prev = GENESIS_MAC;
    stored.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.v).toBe(1);
      expect(e.ts).toBe('2026-01-02T03:04:05.678Z');
      expect(e.pid).toBe(process.pid);
      expect(e.prev).toBe(prev);
      const { mac, ...rest } = e;
      const manual = createHmac('sha256', Buffer.from(KEY_HEX, 'hex'))
        .update(prev)
        .update(canonicalJson(rest))
        .digest('hex');
      expect(mac).toBe(manual);
      prev = mac;
    });
    for (const l of await lines(dir)) expect(l).toBe(canonicalJson(JSON.parse(l)));
    expect(Object.keys(stored[0]!).sort()).toEqual(
      [
        'v',
        'seq',
        'ts',
        'agent',
        'client',
        'action',
        'account',
        'decision',
        'rule',
        'reason',
        'step',
        'approval',
        'aws',
        'gen',
        'pid',
        'prev',
        'mac',
      ].sort(),
    );

    const head = JSON.parse(await readFile(join(dir, 'audit.head'), 'utf8'));
    expect(head).toMatchObject({
      seq: 5,
      mac: prev,
      file: 'audit.log',
      size: (await readFile(join(dir, 'audit.log'))).length,
    });

    expect(await verifyAudit(dir, key())).toEqual({
      ok: true,
      events: 5,
      files: ['audit.log'],
      lastSeq: 5,
      lastMac: prev,
      head: 'ok',
      headRecord: { seq: 5, mac: prev, gen: 0 },
      maxGen: 0,
    });
  });

  it('fills optional fields with null and keeps an AWS block', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const e = await log.append({
      agent: 'terraform',
      action: 'aws_session',
      decision: 'allow',
      reason: 'allowed',
      aws: {
        role: 'deploy',
        duration: 3600,
        expires: '2026-01-02T04:04:05.000Z',
        delivery: 'credential_process',
        session_name: 'totp-mcp-terraform',
      },
    });
    expect(e).toMatchObject({ client: null, account: null, rule: null, step: null, approval: null });
    expect(e.aws?.role).toBe('deploy');
    const owner = await log.append({ agent: null, action: 'policy_apply', decision: 'allow', reason: 'allowed' });
    expect(owner.agent).toBeNull();
    await log.close();
    expect((await verifyAudit(dir, key())).ok).toBe(true);
  });

  it('a wrong key fails at the first line', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample());
    await log.close();
    expect((await verifyAudit(dir, otherKey())).firstBad).toEqual({
      seq: 1,
      line: 1,
      file: 'audit.log',
      problem: 'mac',
    });
  });

  it('an empty state folder verifies as an empty chain', async () => {
    const dir = await stateDir();
    expect(await verifyAudit(dir, key())).toEqual({
      ok: true,
      events: 0,
      files: [],
      lastSeq: 0,
      lastMac: '0'.repeat(64),
      head: 'missing',
      maxGen: 0,
    });
  });

  it('refuses a short key', () => {
    expect(() =>
      openAuditLog(
        '/nonexistent',
        key().map((b) => b.subarray(0, 8)),
      ),
    ).toThrow(/at least 16 bytes/);
  });
});

// The fleet coordinator's primitives against a real redis-server: single use of a step across
// connections, single flight, exact counting, expiring blobs and approvals, the witness, failure.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, openCoordinator, redactUrl } from '../../src/fleet/coordinator.js';
import { haveRedis, RedisServer } from '../helpers/redis.js';

const ci = process.env['CI'] === 'true';
const present = haveRedis();
if (ci && !present) throw new Error('redis-server is required under CI (.ci/run installs it)');

const PERIOD = 1000; // one-second steps keep the waits short
const stepNow = (): number => Math.floor(Date.now() / PERIOD);

describe.skipIf(!present)('fleet coordinator on a real redis-server', () => {
  let redis: RedisServer;
  const vaultKey = randomBytes(32);
  const open = (key: Uint8Array = vaultKey, url = redis.url): Promise<Coordinator> => openCoordinator({ url }, key);

  beforeAll(async () => {
    redis = await RedisServer.start({ password: `pw-${randomBytes(6).toString('hex')}` });
  });
  afterAll(async () => {
    await redis.close();
  });

  it('a step is spent once across connections; a fresh dataset cannot prove the current step unused', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    try {
      const first = stepNow();
      // Nothing was ever recorded: the dataset is born now, so the current step counts as spent.
      expect(await a.claimStep('serial-1', first, PERIOD)).toEqual({ claimed: false, spentThrough: first });
      const next = first + 1;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claimStep('serial-1', next, PERIOD)),
      );
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      expect(results.filter((r) => !r.claimed)).toEqual(Array(19).fill({ claimed: false, spentThrough: next }));
      expect(await b.spentThrough('serial-1', PERIOD)).toBe(next);
      // Another scope is independent of this one (but shares the dataset's birth).
      expect(await a.claimStep('serial-2', next, PERIOD)).toEqual({ claimed: true });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('single flight: one holder at a time across connections', async () => {
    const cs = await Promise.all([open(), open(), open()]);
    try {
      let inside = 0;
      let most = 0;
      let ran = 0;
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (cs[i % 3] as Coordinator).withLock(
            'serial-1',
            async () => {
              inside++;
              most = Math.max(most, inside);
              await new Promise((r) => setTimeout(r, 5));
              inside--;
              ran++;
            },
            { waitMs: 10_000 },
          ),
        ),
      );
      expect(ran).toBe(12);
      expect(most).toBe(1);
    } finally {
      await Promise.all(cs.map((c) => c.close()));
    }
  });

  it('counts a limit of 5 per hour exactly across 3 connections × 10 concurrent uses', async () => {
    const cs = await Promise.all([open(), open(), open()]);
    try {
      const t0 = Date.now();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (cs[i % 3] as Coordinator).reserve('rule|agent|prod', 5, 3_600_000)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      const refused = results.find((r) => !r.ok);
      expect(refused?.ok === false ? refused.freesAtMs : 0).toBeGreaterThanOrEqual(t0 + 3_600_000 - 2_000);
      expect(await cs[0].used('rule|agent|prod', 3_600_000)).toBe(5);
    } finally {
      await Promise.all(cs.map((c) => c.close()));
    }
  });

  it('blobs and remembered approvals expire when they say; names never appear in Redis', async () => {
    const c = await open();
    try {
      const blob = randomBytes(64);
      await c.putBlob('session prod-canary-account', blob, Date.now() + 60_000);
      expect(await c.getBlob('session prod-canary-account')).toEqual(blob);
      await c.putBlob('short', blob, Date.now() + 150);
      await c.remember('agent × prod-canary-account × code', Date.now() + 150);
      expect(await c.recall('agent × prod-canary-account × code')).toBe(true);
      expect(await c.recall('agent × prod-canary-account × aws_session')).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(await c.getBlob('short')).toBeNull();
      expect(await c.recall('agent × prod-canary-account × code')).toBe(false);
      await c.deleteBlob('session prod-canary-account');
      expect(await c.getBlob('session prod-canary-account')).toBeNull();
      await c.publishHead('machine-canary', '{"seq":3}');
      expect(await c.headOf('machine-canary')).toBe('{"seq":3}');
      expect(await c.headOf('another')).toBeNull();
      const dump = redis.dump();
      expect(dump).toContain(c.prefix);
      expect(dump).not.toMatch(/canary|serial-1|rule\|agent/);
    } finally {
      await c.close();
    }
  });

  it('two vaults never share a key', async () => {
    const [a, b] = await Promise.all([open(), open(randomBytes(32))]);
    try {
      expect(a.prefix).not.toBe(b.prefix);
      const step = stepNow() + 2;
      expect(await a.claimStep('same-serial', step, PERIOD)).toEqual({ claimed: true });
      expect(await b.claimStep('same-serial', step, PERIOD)).toEqual({ claimed: true });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('probe: version, round trip and the clock offset against this machine', async () => {
    const c = await open();
    try {
      const p = await c.probe();
      expect(p.version).toMatch(/^\d+\.\d+/);
      expect(p.rttMs).toBeLessThan(1000);
      expect(Math.abs(p.clockOffsetMs)).toBeLessThan(1000);
    } finally {
      await c.close();
    }
  });

  it('unreachable or stopped: fails closed with the URL and never the password; an empty restart proves nothing', async () => {
    const c = await open();
    try {
      const spent = stepNow() + 1;
      await new Promise((r) => setTimeout(r, spent * PERIOD - Date.now() + 5));
      expect(await c.claimStep('serial-9', spent, PERIOD)).toEqual({ claimed: true });
      await redis.stop();
      const err = await c.claimStep('serial-9', spent + 1, PERIOD).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'io' });
      const text = `${(err as Error).message} ${String((err as { hint?: string }).hint)}`;
      expect(text).toContain(`127.0.0.1:${redis.port}`);
      expect(text).not.toContain(redis.password);
      await redis.restart();
      // The client reconnects by itself; the dataset is empty, so the step just spent (and the
      // current one) cannot be proven unused and stay refused.
      let after: Awaited<ReturnType<Coordinator['claimStep']>> | undefined;
      for (let i = 0; i < 100 && after === undefined; i++) {
        after = await c.claimStep('serial-9', spent, PERIOD).catch(() => undefined);
        if (after === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(after).toEqual({ claimed: false, spentThrough: expect.any(Number) as number });
      expect(after && !after.claimed && after.spentThrough).toBeGreaterThanOrEqual(spent);
    } finally {
      await c.close();
    }
    const wrong = await openCoordinator(
      { url: `redis://default:not-the-password@127.0.0.1:${redis.port}/0` },
      vaultKey,
    ).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(wrong?.message).toBe(`the fleet coordinator redis://127.0.0.1:${redis.port}/0 refused the credentials`);
    expect(String(wrong?.message)).not.toContain('not-the-password');
    expect(redactUrl('rediss://u:secret@h:6380/2')).toBe('rediss://h:6380/2');
  });
});

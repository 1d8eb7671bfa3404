// Rate-limited rules across processes: a use is counted and reserved under a short per-key lock,
// and the secret is made outside it (app/limits.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  TEST_POLICY,
} from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (really) until about `leftMs` remain in the current 30 s TOTP step. */
async function untilStepLeft(leftMs: number): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000);
  await sleep(left >= leftMs ? left - leftMs : left + 30_000 - leftMs);
}

afterAll(() => {
  expectAllStdoutClean();
});

describe('limits', () => {
  it('a limited call waiting for a fresh step holds no lock: another process’s limited call is answered meanwhile', async () => {
    const home = homeWithPolicy(TEST_POLICY.replace('limit: { count: 5, per: 1h }', 'limit: { count: 20, per: 1h }'));
    const [a, b] = await Promise.all([connect(home, { agent: 'bot' }), connect(home, { agent: 'bot' })]);
    try {
      await untilStepLeft(9_000);
      // Asks for a code with 15 s left: the producer waits ~9 s for the next step.
      const slow = call(a, 'get_totp_code', { account: 'limited', min_remaining_seconds: 15 });
      let slowDone = false;
      void slow.then(() => (slowDone = true));
      await sleep(500);
      const t0 = Date.now();
      const fast = await call(b, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 });
      const took = Date.now() - t0;
      expect(fast.isError).toBe(false);
      expect(took).toBeLessThan(4_000);
      expect(slowDone).toBe(false);
      expect((await slow).isError).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    const allows = auditEvents(home).filter(
      (e) => e.account === 'limited' && e.action === 'code' && e.decision === 'allow',
    );
    expect(allows).toHaveLength(2);
    expectAuditVerifies(home);
  }, 90_000);

  it('a produce that fails (cancelled while waiting for a fresh step) gives its reserved use back', async () => {
    const home = homeWithPolicy(TEST_POLICY.replace('limit: { count: 5, per: 1h }', 'limit: { count: 1, per: 1h }'));
    const c = await connect(home, { agent: 'bot' });
    try {
      await untilStepLeft(9_000);
      const ac = new AbortController();
      const cancelled = c.client.callTool(
        { name: 'get_totp_code', arguments: { account: 'limited', min_remaining_seconds: 15 } },
        { signal: ac.signal, timeout: 60_000 },
      );
      await sleep(500);
      ac.abort();
      await expect(cancelled).rejects.toThrow();
      await sleep(500); // the server records the error and gives the use back
      const ok = await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 });
      expect(ok.isError).toBe(false);
      const over = await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 });
      expect(over.text).toMatch(/^rate_limited: /);
    } finally {
      await c.close();
    }
    const limited = auditEvents(home).filter((e) => e.account === 'limited' && e.action === 'code');
    expect(limited.map((e) => e.decision)).toEqual(['error', 'allow', 'deny']);
    // No reservation is left behind once every request is over.
    const dir = join(home, 'state', 'limits');
    // (The file may name who appended the key's last uses: a string, not a holder.)
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const held = Object.values(JSON.parse(readFileSync(join(dir, f), 'utf8').trim() || '{}') as object);
      expect(held.filter((h) => typeof h !== 'string')).toEqual([]);
    }
    expectAuditVerifies(home);
  }, 90_000);
});

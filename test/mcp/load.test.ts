// Load: 64 calls in flight on one connection, and 4 servers at once on one vault. Every call is
// answered, limits are counted exactly across processes, and the audit chain verifies.
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  TEST_POLICY,
  type Era,
} from './helpers.js';

const POLICY = TEST_POLICY.replace('limit: { count: 5, per: 1h }', 'limit: { count: 20, per: 1h }');

afterAll(() => {
  expectAllStdoutClean();
});

describe('load', () => {
  it.each(['legacy', 'modern'] as Era[])(
    '64 concurrent get_totp_code calls on one connection (%s era), plus 32 on a limited account',
    async (era) => {
      const home = homeWithPolicy(POLICY);
      const c = await connect(home, { agent: 'bot', era });
      try {
        const started = Date.now();
        const [free, limited] = await Promise.all([
          Promise.all(
            Array.from({ length: 64 }, () =>
              call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 }),
            ),
          ),
          Promise.all(
            Array.from({ length: 32 }, () =>
              call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 }),
            ),
          ),
        ]);
        expect(free.filter((r) => !r.isError)).toHaveLength(64);
        for (const r of free) expect(r.structured.code).toMatch(/^\d{6}$/);
        expect(limited.filter((r) => !r.isError)).toHaveLength(20);
        const refused = limited.filter((r) => r.isError).map((r) => r.text);
        expect(refused).toHaveLength(12);
        for (const text of refused)
          expect(text).toMatch(
            /^rate_limited: the policy limit for this account is used up for now \(rule bot-limited; the next use frees up at \S+Z, in 1h\)$/,
          );
        expect(Date.now() - started).toBeLessThan(30_000);
      } finally {
        await c.close();
      }
      const events = auditEvents(home).filter((e) => e.agent === 'bot');
      expect(events).toHaveLength(96);
      expect(events.filter((e) => e.account === 'limited' && e.decision === 'allow')).toHaveLength(20);
      expectAuditVerifies(home);
    },
  );

  it('4 servers started at once on one vault: all answered, the limit exact across processes, the chain intact', async () => {
    const home = homeWithPolicy(POLICY);
    // Started together, as dual-era clients also do with their probe siblings.
    const servers = await Promise.all(
      (['legacy', 'auto', 'modern', 'legacy'] as Era[]).map((era) => connect(home, { agent: 'bot', era })),
    );
    try {
      const results = await Promise.all(
        servers.map((c) =>
          Promise.all([
            Promise.all(
              Array.from({ length: 24 }, () =>
                call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 }),
              ),
            ),
            Promise.all(
              Array.from({ length: 10 }, () =>
                call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 }),
              ),
            ),
            call(c, 'list_accounts'),
          ]),
        ),
      );
      let limitedAllowed = 0;
      for (const [free, limited, list] of results) {
        expect(free.every((r) => !r.isError)).toBe(true);
        expect(list.isError).toBe(false);
        limitedAllowed += limited.filter((r) => !r.isError).length;
        for (const r of limited.filter((x) => x.isError)) expect(r.text).toMatch(/^rate_limited: /);
      }
      expect(limitedAllowed).toBe(20);
    } finally {
      await Promise.all(servers.map((c) => c.close()));
    }
    const events = auditEvents(home).filter((e) => e.agent === 'bot');
    expect(events).toHaveLength(4 * (24 + 10 + 1));
    expect(events.filter((e) => e.account === 'limited' && e.decision === 'allow')).toHaveLength(20);
    expect(
      events.filter((e) => e.account === 'limited' && e.decision === 'deny').every((e) => e.reason === 'rate_limited'),
    ).toBe(true);
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
    expectAuditVerifies(home);
  });
});

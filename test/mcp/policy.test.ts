// Policy through the tools: every denial reason is reachable and says why in a short stable text,
// list_accounts never shows a forbidden account, and no argument widens an agent's access.
import { appendFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import {
  auditEvents,
  call,
  connect,
  ERAS,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  TEST_POLICY,
  writePolicy,
  type Loose,
} from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

/** An HH:MM (UTC) some hours from now, so a window [from, to) that excludes now. */
function hhmm(hoursFromNow: number): string {
  const d = new Date(Date.now() + hoursFromNow * 3_600_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

describe.each(ERAS)('policy through the tools, %s era', (era) => {
  it('each denial reason is reachable, stable, names the rule, and is audited', async () => {
    const home = homeWithPolicy(
      `${TEST_POLICY}  - id: bot-night
    agents: [bot]
    accounts: [night]
    actions: [list, code]
    hours: { from: "${hhmm(2)}", to: "${hhmm(3)}", tz: UTC }
`,
      [['night', 'otpauth://totp/N:night?secret=JBSWY3DPEHPK3PXP']],
    );
    const c = await connect(home, { agent: 'bot', era });
    try {
      const code = (account: string) => call(c, 'get_totp_code', { account, min_remaining_seconds: 0 });
      // Accounts a deny rule hides by tag are answered as missing ids (issue 12 item 10); the audit keeps the truth.
      expect(await code('github:bank')).toMatchObject({ isError: true, text: "not_found: no account 'github:bank'" });
      expect(await code('bank')).toMatchObject({ isError: true, text: 'denied: no policy rule allows this' });
      expect(await code('secret-thing')).toMatchObject({ isError: true, text: 'denied: no policy rule allows this' });
      expect(await code('github:nope')).toMatchObject({ isError: true, text: "not_found: no account 'github:nope'" });
      expect(await code('night')).toMatchObject({
        isError: true,
        text: 'outside_hours: outside the hours the policy allows (rule bot-night)',
      });
      expect(await code('confirm')).toMatchObject({
        isError: true,
        text: 'approval_declined: this account needs the person to confirm, and this client cannot ask',
      });
      for (let i = 0; i < 5; i++) expect((await code('limited')).isError).toBe(false);
      // The refusal says when the oldest of the 5 uses leaves the 1h window (issue 18 item 11).
      const limited = await code('limited');
      expect(limited.isError).toBe(true);
      expect(limited.text).toMatch(
        /^rate_limited: the policy limit for this account is used up for now \(rule bot-limited; the next use frees up at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, in 1h\)$/,
      );
      // Outside its hours an account is not listed either (limited and confirm: code-only rules list too).
      expect((await call(c, 'list_accounts')).structured.accounts.map((a: Loose) => a.id)).toEqual([
        'github:alice',
        'limited',
        'confirm',
      ]);
    } finally {
      await c.close();
    }
    const reasons = auditEvents(home)
      .filter((e) => e.agent === 'bot' && e.decision === 'deny')
      .map((e) => e.reason);
    expect(reasons).toEqual([
      'denied_by_rule',
      'denied_by_rule',
      'no_matching_rule',
      'not_found',
      'outside_hours',
      'approval_unavailable',
      'rate_limited',
    ]);
    expectAuditVerifies(home);
  });

  it('an agent the policy does not name may do nothing and sees nothing', async () => {
    const home = homeWithPolicy();
    const c = await connect(home, { agent: 'nobody', era });
    try {
      expect(await call(c, 'get_totp_code', { account: 'github:alice' })).toMatchObject({
        isError: true,
        text: 'denied: this agent is not in the policy',
      });
      expect((await call(c, 'list_accounts')).structured).toEqual({ accounts: [] });
      expect((await call(c, 'describe_access')).structured).toEqual({
        agent: 'nobody',
        known: false,
        rules: [],
        limits: [],
      });
    } finally {
      await c.close();
    }
    expect(auditEvents(home).find((e) => e.agent === 'nobody' && e.action === 'code')).toMatchObject({
      decision: 'deny',
      reason: 'unknown_agent',
    });
  });

  it('another agent’s rules are never shown, and list_accounts never lists a forbidden account', async () => {
    const home = homeWithPolicy();
    const other = await connect(home, { agent: 'other', era });
    try {
      const d = (await call(other, 'describe_access')).structured;
      expect(d.rules.map((r: Loose) => r.id)).toEqual(['no-bank']);
      expect((await call(other, 'list_accounts')).structured).toEqual({ accounts: [] });
      expect((await call(other, 'get_totp_code', { account: 'github:alice' })).text).toBe(
        'denied: no policy rule allows this',
      );
    } finally {
      await other.close();
    }
    const bot = await connect(home, { agent: 'bot', era });
    try {
      const ids = (await call(bot, 'list_accounts')).structured.accounts.map((a: Loose) => a.id);
      // Every account bot may act on (limited and confirm by code-only rules), none behind a deny.
      expect(ids).toEqual(['github:alice', 'limited', 'confirm']);
      expect(ids).not.toContain('github:bank'); // matches github* but the deny wins
      expect((await call(bot, 'list_accounts', { tag: 'bank' })).structured.accounts).toEqual([]);
    } finally {
      await bot.close();
    }
  });

  it('a tampered policy (edited without apply, or writable by others) denies every request, saying so', async () => {
    const home = homeWithPolicy();
    const c = await connect(home, { agent: 'bot', era });
    const policy = join(home, 'policy.yaml');
    try {
      expect((await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).isError).toBe(
        false,
      );
      appendFileSync(policy, '  - id: sneaky\n    agents: [bot]\n    accounts: ["*"]\n    actions: [list, code]\n');
      const edited = await call(c, 'get_totp_code', { account: 'bank' });
      expect(edited.isError).toBe(true);
      expect(edited.text).toMatch(/^denied: .*differs from the applied \(pinned\) policy/);
      expect((await call(c, 'list_accounts')).text).toMatch(/^denied: /);
      expect((await call(c, 'describe_access')).text).toMatch(/^denied: /);
      expect(cli(home, ['policy', 'apply']).code).toBe(0);
      expect((await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 })).isError).toBe(false);
      // `sneaky` allows every id, so a hidden account reads as a missing one.
      expect((await call(c, 'get_totp_code', { account: 'bank' })).text).toBe("not_found: no account 'bank'");
      chmodSync(policy, 0o666);
      expect((await call(c, 'get_totp_code', { account: 'github:alice' })).text).toMatch(
        /^denied: .*writable by group or others/,
      );
      chmodSync(policy, 0o600);
    } finally {
      await c.close();
    }
    expect(auditEvents(home).map((e) => e.reason)).toEqual(
      expect.arrayContaining(['policy_differs_from_pin', 'policy_unsafe_permissions']),
    );
  });
});

describe('no argument widens access', () => {
  const home = homeWithPolicy(`${TEST_POLICY}  - id: other-alice
    agents: [other]
    accounts: [limited]
    actions: [code]
`);

  it.each(
    [
      '*',
      'github*',
      'github:?lice',
      'tag:bank',
      'GITHUB:ALICE',
      'Github:alice',
      'gіthub:alice', // Cyrillic і
      'github:alice\u200b',
      'github:alice\n',
      ' github:alice',
      '../bank',
      'github:alice/../bank',
      '..',
      '',
      'x'.repeat(65),
      'x'.repeat(100_000),
      'github:alice,bank',
    ].map((a) => [a.length > 80 ? `${a.slice(0, 20)}… (${a.length} characters)` : a, a]),
  )('account %j is refused (input validation or denial), never a code', async (_name, account) => {
    const c = await connect(home, { agent: 'other' });
    try {
      const r = await call(c, 'get_totp_code', { account });
      expect(r.isError).toBe(true);
      expect(r.structured).toBeUndefined();
      expect(r.text).toMatch(/^(Input validation error: |denied: |not_found: )/);
      expect(r.text).not.toMatch(/\d{6}/);
      expect(r.text.length).toBeLessThan(400);
      const aws = await call(c, 'get_aws_session', { account });
      expect(aws.isError).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('arguments cannot name another agent, a tag, a second account or a time', async () => {
    const c = await connect(home, { agent: 'other' });
    try {
      for (const args of [
        { account: 'github:alice', agent: 'bot' },
        { account: 'github:alice', tag: 'github' },
        { account: 'bank', accounts: ['github:alice'] },
        { account: 'github:alice', at: 0 },
        { account: ['github:alice'] },
        { account: { id: 'github:alice' } },
        { account: 1 },
      ]) {
        const r = await call(c, 'get_totp_code', args);
        expect(r.isError, JSON.stringify(args)).toBe(true);
        expect(r.structured).toBeUndefined();
      }
      const tag = await call(c, 'list_accounts', { tag: '*' });
      expect(tag.text).toMatch(/^Input validation error/);
      expect((await call(c, 'list_accounts', { tag: 'bank' })).structured.accounts).toEqual([]);
      // min_remaining_seconds is bounded.
      expect((await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 16 })).text).toMatch(
        /^Input validation error/,
      );
      expect((await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: -1 })).text).toMatch(
        /^Input validation error/,
      );
      expect((await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 })).isError).toBe(false);
    } finally {
      await c.close();
    }
    // The agent in the audit log is the one the server was launched as.
    expect(
      new Set(
        auditEvents(home)
          .filter((e) => e.action === 'code')
          .map((e) => e.agent),
      ),
    ).toEqual(new Set(['other']));
  });

  it('a policy that changes under a running server takes effect on the next call', async () => {
    const h = homeWithPolicy();
    const c = await connect(h, { agent: 'other' });
    try {
      expect((await call(c, 'get_totp_code', { account: 'github:alice' })).text).toBe(
        'denied: no policy rule allows this',
      );
      writePolicy(
        h,
        `${TEST_POLICY}  - id: other-github\n    agents: [other]\n    accounts: ["github:alice"]\n    actions: [code]\n`,
      );
      expect((await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).isError).toBe(
        false,
      );
    } finally {
      await c.close();
    }
  });
});

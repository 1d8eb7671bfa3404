// Policy and audit through the real CLI: apply and pinning, tamper detection, agents denied and
// allowed, limits exact across processes, and the audit log verified and tampered with.
import { chmodSync, readFileSync, rmSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, newHome } from '../helpers/cli.js';
import { homeWithPolicy } from '../helpers/policy.js';

describe('policy and audit (CLI)', () => {
  it('policy init writes a starter that validates; apply pins it; explain names the deciding rule', () => {
    const home = newHome();
    const init = cli(home, ['policy', 'init']);
    expect(init.code, init.stderr).toBe(0);
    expect(statSync(join(home, 'policy.yaml')).mode & 0o777).toBe(0o600);
    expect(cli(home, ['policy', 'init']).code).toBe(1); // never overwrites
    expect(cli(home, ['policy', 'check']).stdout).toMatch(/policy.yaml is valid.*\nit is not applied yet/);
    expect(cli(home, ['code', 'x', '--agent', 'bot']).code).toBe(3); // not applied: denied

    const h = homeWithPolicy();
    const allow = cli(h, ['policy', 'explain', '--agent', 'bot', '--account', 'github:alice', '--action', 'code']);
    expect(allow.code).toBe(0);
    expect(allow.stdout).toMatch(/allow/i);
    expect(allow.stdout).toMatch(/bot-github/);
    const deny = cli(h, ['policy', 'explain', '--agent', 'bot', '--account', 'github:bank', '--action', 'code']);
    expect(deny.code).toBe(3);
    expect(deny.stdout).toMatch(/no-bank/);
    expect(cli(h, ['policy', 'explain', '--agent', 'bot', '--account', 'github:alice', '--action', 'fly']).code).toBe(
      2,
    );
    const j = JSON.parse(
      cli(h, ['policy', 'explain', '--agent', 'nobody', '--account', 'github:alice', '--json']).stdout,
    );
    expect(j.decision).toMatchObject({ decision: 'deny', reason: 'unknown_agent' });
  });

  it('an agent gets codes the policy allows, is refused with exit 3 otherwise, and every decision is audited', () => {
    const home = homeWithPolicy();
    const ok = cli(home, ['code', 'github:alice', '--agent', 'bot', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).code).toMatch(/^\d{6}$/);
    const bank = cli(home, ['code', 'github:bank', '--agent', 'bot']);
    expect(bank.code).toBe(1); // as for a missing id
    // Hidden by a tag deny rule: answered as a missing id would be (the audit keeps the true reason).
    expect(bank.stderr).toBe("totp-mcp: no account 'github:bank'\n");
    const other = cli(home, ['code', 'github:alice', '--agent', 'other']);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/no policy rule allows this/);
    const confirm = cli(home, ['code', 'confirm', '--agent', 'bot']);
    expect(confirm.code).toBe(3);
    expect(confirm.stderr).toMatch(/needs the person to confirm, and this client cannot ask/);
    // The environment variable makes the owner's command an agent's.
    expect(cli(home, ['code', 'bank'], { env: { TOTP_MCP_AGENT: 'bot' } }).code).toBe(3);
    // An unknown account the agent could not use anyway is just "denied": probing reveals nothing.
    expect(cli(home, ['code', 'secret-thing', '--agent', 'bot']).stderr).toMatch(/no policy rule allows this/);
    expect(cli(home, ['code', 'github:nope', '--agent', 'bot']).stderr).toMatch(/no account 'github:nope'/);

    const events = cli(home, ['audit', 'tail', '-n', '50', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const agentEvents = events.filter((e) => e.agent !== null);
    expect(agentEvents.map((e) => [e.account, e.decision, e.rule, e.reason])).toEqual([
      ['github:alice', 'allow', 'bot-github', 'allowed'],
      ['github:bank', 'deny', 'no-bank', 'denied_by_rule'],
      ['github:alice', 'deny', null, 'no_matching_rule'],
      ['confirm', 'deny', 'bot-confirm', 'approval_unavailable'],
      ['bank', 'deny', 'no-bank', 'denied_by_rule'],
      ['secret-thing', 'deny', null, 'no_matching_rule'],
      ['github:nope', 'deny', 'bot-github', 'not_found'],
    ]);
    expect(agentEvents[0].step).toBeTypeOf('number');
    expect(agentEvents[0].client).toEqual({ name: 'totp-mcp-cli', version: expect.any(String) });
    expect(events.some((e) => e.action === 'policy_apply' && e.agent === null)).toBe(true);
    const verify = cli(home, ['audit', 'verify']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/^ok: \d+ event\(s\)/);
    const stats = JSON.parse(cli(home, ['audit', 'stats', '--json']).stdout);
    expect(stats.byAgent.bot).toBe(6);
    expect(stats.byAgent.other).toBe(1);
    expect(stats.denyReasons.denied_by_rule).toBe(2);
  });

  it('a policy edited without apply, made writable by others, or deleted denies every request, and doctor says why', () => {
    const home = homeWithPolicy();
    const policy = join(home, 'policy.yaml');
    expect(cli(home, ['code', 'github:alice', '--agent', 'bot']).code).toBe(0);

    appendFileSync(policy, '  - id: sneaky\n    agents: [bot]\n    accounts: ["*"]\n    actions: [code]\n');
    const edited = cli(home, ['code', 'github:alice', '--agent', 'bot']);
    expect(edited.code).toBe(3);
    expect(edited.stderr).toMatch(/differs from the applied \(pinned\) policy/);
    expect(cli(home, ['doctor']).stdout).toMatch(/FAIL\s+policy\s+policy.yaml differs/);
    expect(cli(home, ['doctor']).code).toBe(1);
    expect(cli(home, ['policy', 'apply']).code).toBe(0);
    const bank = cli(home, ['code', 'bank', '--agent', 'bot']);
    expect([bank.code, bank.stdout]).toEqual([1, '']); // the deny still wins over "sneaky" (answered as for a missing id)
    expect(cli(home, ['code', 'limited', '--agent', 'bot']).code).toBe(0);

    chmodSync(policy, 0o666);
    const open = cli(home, ['code', 'github:alice', '--agent', 'bot']);
    expect(open.code).toBe(3);
    expect(open.stderr).toMatch(/writable by group or others/);
    chmodSync(policy, 0o600);
    expect(cli(home, ['code', 'github:alice', '--agent', 'bot']).code).toBe(0);

    rmSync(policy);
    const missing = cli(home, ['code', 'github:alice', '--agent', 'bot']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/policy.yaml is missing/);
    const reasons = cli(home, ['audit', 'tail', '-n', '20', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l).reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['policy_differs_from_pin', 'policy_unsafe_permissions', 'policy_missing']),
    );
  });

  it('a limit of 5 per hour means 5 across 12 processes started at once', async () => {
    const home = homeWithPolicy();
    const runs = await Promise.all(
      Array.from({ length: 12 }, () => cliAsync(home, ['code', 'limited', '--agent', 'bot'])),
    );
    const codes = runs.map((r) => r.code).sort();
    expect(codes).toEqual([0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3]);
    for (const r of runs.filter((x) => x.code === 3)) expect(r.stderr).toMatch(/limit for this account is used up/);
    expect(cli(home, ['audit', 'verify']).code).toBe(0);
  }, 120_000);

  it('audit verify catches an edited, deleted or reordered line and names it', () => {
    const home = homeWithPolicy();
    for (let i = 0; i < 4; i++) cli(home, ['code', 'github:alice', '--agent', 'bot']);
    const log = join(home, 'state', 'audit.log');
    const original = readFileSync(log, 'utf8');
    const lines = original.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const tampered: [string, string[]][] = [
      ['edit', lines.map((l, i) => (i === 2 ? l.replace('"allow"', '"deny"') : l))],
      ['delete', lines.filter((_, i) => i !== 2)],
      ['reorder', [...lines.slice(0, 2), lines[3]!, lines[2]!, ...lines.slice(4)]],
      ['truncate', lines.slice(0, -1)],
    ];
    for (const [what, ls] of tampered) {
      writeFileSync(log, `${ls.join('\n')}\n`);
      const r = cli(home, ['audit', 'verify']);
      expect(r.code, what).toBe(1);
      expect(r.stdout, what).toMatch(/^FAILED: \d+ event\(s\) verify, then audit\.log line \d+/);
    }
    writeFileSync(log, original);
    expect(cli(home, ['audit', 'verify']).code).toBe(0);
  });
});

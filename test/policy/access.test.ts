import { describe, expect, test } from 'vitest';
import {
  STARTER_POLICY,
  describeAgent,
  explain,
  lintPolicy,
  visibleAccounts,
  type PolicyWarning,
} from '../../src/policy/index.js';
import { DESIGN_POLICY, SAT_NOON, WED_NOON, ctxAt, parse } from './fixtures.js';

const VAULT = [
  { id: 'github', tags: [] },
  { id: 'github-work', tags: ['work'] },
  { id: 'github-bank', tags: ['bank'] },
  { id: 'mail', tags: ['personal'] },
  { id: 'aws-prod', tags: [] },
  { id: 'aws-staging-1', tags: [] },
  { id: 'bank', tags: ['bank', 'personal'] },
];

describe('visibleAccounts', () => {
  const p = parse(DESIGN_POLICY);

  test('lists only what the agent may list, with its actions and whether approval is needed', () => {
    expect(visibleAccounts(p, 'claude-desktop', VAULT, { now: WED_NOON })).toEqual([
      { id: 'github', actions: ['list', 'code'], approval: true },
      { id: 'github-work', actions: ['list', 'code'], approval: true },
      { id: 'mail', actions: ['list', 'code'], approval: true },
    ]);
  });

  test('outside the rule’s hours, nothing is listed', () => {
    expect(visibleAccounts(p, 'claude-desktop', VAULT, { now: SAT_NOON })).toEqual([]);
  });

  test('an agent sees the accounts of every action it has (aws_session only included); an unknown agent sees nothing', () => {
    expect(visibleAccounts(p, 'terraform', VAULT, { now: WED_NOON })).toEqual([
      { id: 'aws-prod', actions: ['aws_session'], approval: false },
    ]);
    expect(visibleAccounts(p, 'mallory', VAULT, { now: WED_NOON })).toEqual([]);
    expect(visibleAccounts(p, '__proto__', VAULT, { now: WED_NOON })).toEqual([]);
  });

  test('actions are listed per account, and approval only when a deciding rule asks for it', () => {
    const q = parse(`version: 1
agents: { t: {} }
rules:
  - { id: see, agents: [t], accounts: ["aws-*"], actions: [list] }
  - { id: use, agents: [t], accounts: [aws-prod], actions: [aws_session], approval: confirm }
  - { id: code, agents: [t], accounts: ["github*"], actions: [code] }
  - { id: hide, effect: deny, agents: [t], accounts: [github-bank], actions: [list] }
`);
    // Issue 16: an account is listed for any action the agent has on it, unless listing it is denied.
    expect(visibleAccounts(q, 't', VAULT, { now: WED_NOON })).toEqual([
      { id: 'github', actions: ['code'], approval: false },
      { id: 'github-work', actions: ['code'], approval: false },
      { id: 'aws-prod', actions: ['list', 'aws_session'], approval: true },
      { id: 'aws-staging-1', actions: ['list'], approval: false },
    ]);
  });

  test('invalid ids in the input are never listed', () => {
    const q = parse(`version: 1
agents: { t: {} }
rules:
  - { id: all, agents: [t], accounts: ["*"], actions: [list] }
`);
    const got = visibleAccounts(
      q,
      't',
      [
        { id: 'ok', tags: [] },
        { id: 'Not-Ok', tags: [] },
        { id: '', tags: [] },
      ],
      { now: WED_NOON },
    );
    expect(got.map((a) => a.id)).toEqual(['ok']);
  });
});

describe('describeAgent', () => {
  const p = parse(DESIGN_POLICY);

  test('shows only rules naming the agent or *, in file order, without other agents', () => {
    const d = describeAgent(p, 'terraform');
    expect(d.known).toBe(true);
    expect(d.rules.map((r) => r.id)).toEqual(['terraform-prod', 'never-bank']);
    expect(d.rules[0]).toEqual({
      id: 'terraform-prod',
      effect: 'allow',
      actions: ['aws_session'],
      accounts: ['aws-prod'],
      approval: 'none',
      aws: { roles: ['deploy'], max_duration_seconds: 3600, delivery: ['credential_process', 'profile'] },
    });
    expect(JSON.stringify(d)).not.toContain('claude-desktop');
    expect(JSON.stringify(d)).not.toContain('github');
  });

  test('carries limit, hours and approval for the desktop agent', () => {
    const d = describeAgent(p, 'claude-desktop');
    expect(d.description).toBe('desktop assistant');
    expect(d.rules[0]).toMatchObject({
      id: 'desktop-github',
      approval: 'confirm',
      approval_ttl_seconds: 900,
      limit: { count: 10, per_seconds: 3600 },
      hours: { tz: 'Europe/Berlin', from: '08:00', to: '20:00' },
    });
    expect(JSON.stringify(d)).not.toContain('terraform');
  });

  test('an unknown agent is described as unknown, with no rules', () => {
    expect(describeAgent(p, 'mallory')).toEqual({ agent: 'mallory', known: false, rules: [] });
    expect(describeAgent(p, 'constructor')).toEqual({ agent: 'constructor', known: false, rules: [] });
  });
});

describe('explain', () => {
  const p = parse(DESIGN_POLICY);

  test('names the deciding rule, why others did not match, and its conditions', () => {
    const x = explain(
      p,
      { agent: 'claude-desktop', action: 'code', account: { id: 'github-work', tags: [] } },
      ctxAt(SAT_NOON, 2),
    );
    expect(x.decision).toEqual({ decision: 'deny', rule: 'desktop-github', reason: 'outside_hours', approval: 'none' });
    expect(x.rules.map((r) => [r.rule, r.outcome])).toEqual([
      ['desktop-github', 'decides'],
      ['terraform-prod', 'agent_not_listed'],
      ['never-bank', 'account_not_matched'],
    ]);
    expect(x.rules[0]?.line).toBe(6);
    expect(x.conditions.map((c) => [c.condition, c.ok])).toEqual([
      ['hours', false],
      ['limit', true],
      ['approval', true],
    ]);
    expect(x.text).toContain('→ allow desktop-github (line 6)');
    expect(x.text).toContain('local time sat 12:00');
    expect(x.text).toMatch(/decision: deny by desktop-github \(outside_hours\)$/);
  });

  test('a deny rule that wins is shown as deciding, the allow that matched as overridden', () => {
    const x = explain(
      p,
      { agent: 'claude-desktop', action: 'code', account: { id: 'github-bank', tags: ['bank'] } },
      ctxAt(WED_NOON),
    );
    expect(x.decision.reason).toBe('denied_by_rule');
    expect(x.rules.find((r) => r.rule === 'never-bank')?.outcome).toBe('decides');
    expect(x.rules.find((r) => r.rule === 'desktop-github')).toMatchObject({
      outcome: 'matched',
      note: expect.stringContaining('a deny rule wins'),
    });
  });

  test('aws conditions are each shown', () => {
    const x = explain(
      p,
      {
        agent: 'terraform',
        action: 'aws_session',
        account: { id: 'aws-prod', tags: [] },
        aws: { role: 'deploy', duration_seconds: 7200, delivery: 'inline' },
      },
      ctxAt(WED_NOON),
    );
    expect(x.decision.reason).toBe('aws_duration_over_cap');
    expect(x.conditions.map((c) => [c.condition, c.ok])).toEqual([
      ['aws_role', true],
      ['aws_duration', false],
      ['aws_delivery', false],
    ]);
  });

  test('default deny and unknown agents are explained', () => {
    expect(
      explain(p, { agent: 'terraform', action: 'code', account: { id: 'x', tags: [] } }, ctxAt(WED_NOON)).text,
    ).toMatch(/no rule matches: denied by default/);
    const u = explain(p, { agent: 'mallory', action: 'code', account: { id: 'x', tags: [] } }, ctxAt(WED_NOON));
    expect(u.decision.reason).toBe('unknown_agent');
    expect(u.text).toMatch(/not declared/);
  });

  test('a later matching allow rule is shown as not deciding', () => {
    const q = parse(`version: 1
agents: { a: {} }
rules:
  - { id: first, agents: [a], accounts: ["gh*"], actions: [code] }
  - { id: second, agents: [a], accounts: [gh], actions: [code, list] }
`);
    const x = explain(q, { agent: 'a', action: 'code', account: { id: 'gh', tags: [] } }, ctxAt(WED_NOON));
    expect(x.rules.map((r) => r.outcome)).toEqual(['decides', 'matched']);
    expect(x.rules[1]?.note).toMatch(/an earlier allow rule decides/);
  });
});

const codes = (ws: PolicyWarning[]): string[] => ws.map((w) => `${w.code}:${w.rule ?? w.agent ?? ''}`).sort();

describe('lintPolicy', () => {
  test('the DESIGN and starter policies are clean against a matching vault', () => {
    expect(lintPolicy(parse(DESIGN_POLICY), VAULT)).toEqual([]);
    expect(lintPolicy(parse(STARTER_POLICY), VAULT)).toEqual([]);
  });

  test('an allow rule covered by an earlier allow rule is shadowed, with or without conditions', () => {
    const q = parse(`version: 1
agents: { a: {}, b: {} }
rules:
  - { id: broad, agents: ["*"], accounts: ["github*", "tag:work"], actions: [list, code] }
  - { id: narrow, agents: [a], accounts: [github-work, "github-w*", "tag:work"], actions: [code] }
  - { id: timed, agents: [b], accounts: ["aws-*"], actions: [code], hours: { days: [mon], tz: UTC } }
  - { id: after-timed, agents: [b], accounts: ["aws-prod"], actions: [code] }
  - { id: not-covered, agents: [a], accounts: [github, mail], actions: [code] }
`);
    const ws = lintPolicy(q, VAULT);
    expect(codes(ws)).toEqual(['shadowed:after-timed', 'shadowed:narrow']);
    expect(ws.find((w) => w.rule === 'narrow')?.message).toMatch(/earlier rule broad .* without conditions/);
    expect(ws.find((w) => w.rule === 'after-timed')?.message).toMatch(/even when its own conditions fail/);
    expect(ws.find((w) => w.rule === 'narrow')?.line).toBe(5);
  });

  test('an allow rule covered by a deny rule, earlier or later, is shadowed; a repeated deny too', () => {
    const q = parse(`version: 1
agents: { a: {} }
rules:
  - { id: use-bank, agents: [a], accounts: [bank], actions: [code] }
  - { id: no-bank, effect: deny, agents: ["*"], accounts: ["tag:bank", "bank*"] }
  - { id: no-bank-again, effect: deny, agents: [a], accounts: ["bank"], actions: [code] }
`);
    expect(codes(lintPolicy(q, VAULT))).toEqual(['shadowed:no-bank-again', 'shadowed:use-bank']);
  });

  test('a rule that never decides given the vault is unreachable', () => {
    const q = parse(`version: 1
agents: { a: {} }
rules:
  - { id: gh, agents: [a], accounts: [github, github-work], actions: [code] }
  - { id: m, agents: [a], accounts: ["tag:personal"], actions: [code] }
  - { id: both, agents: [a], accounts: ["github*", mail], actions: [code] }
  - { id: no-bank, effect: deny, agents: ["*"], accounts: ["tag:bank"] }
`);
    expect(codes(lintPolicy(q, VAULT))).toEqual(['unreachable:both']);
  });

  test('unused agents, selectors and rules that match no account', () => {
    const q = parse(`version: 1
agents: { a: {}, idle: {} }
rules:
  - { id: typo, agents: [a], accounts: [githbu], actions: [code] }
  - { id: partly, agents: [a], accounts: [mail, "gitlab*"], actions: [code] }
`);
    const ws = lintPolicy(q, VAULT);
    expect(codes(ws)).toEqual(['no_matching_account:typo', 'selector_matches_nothing:partly', 'unused_agent:idle']);
    expect(ws.find((w) => w.code === 'selector_matches_nothing')?.message).toContain('gitlab*');
  });

  test('an agent covered by a * allow rule is used', () => {
    const q = parse(`version: 1
agents: { a: {}, b: {} }
rules:
  - { id: all, agents: ["*"], accounts: ["*"], actions: [list] }
`);
    expect(lintPolicy(q, VAULT)).toEqual([]);
  });

  test('stays quick on a large policy and vault', () => {
    const rules = Array.from(
      { length: 300 },
      (_, i) => `  - { id: r${i}, agents: [a${i % 5}], accounts: ["acct-${i}", "tag:t${i % 7}"], actions: [code] }`,
    );
    const q = parse(`version: 1\nagents: { a0: {}, a1: {}, a2: {}, a3: {}, a4: {} }\nrules:\n${rules.join('\n')}\n`);
    const vault = Array.from({ length: 2000 }, (_, i) => ({ id: `acct-${i}`, tags: [`t${i % 7}`] }));
    const t0 = performance.now();
    lintPolicy(q, vault);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

import { describe, expect, test, vi } from 'vitest';
import {
  evaluate,
  type Action,
  type PolicyAwsRequest,
  type Decision,
  type ReasonCode,
} from '../../src/policy/index.js';
import { DESIGN_POLICY, SAT_NOON, WED_NOON, ctxAt, parse } from './fixtures.js';

const ADVERSARIAL = parse(`version: 1
agents:
  alice: {}
  bob: {}
  carol: {}
rules:
  - id: deny-bank
    effect: deny
    agents: ["*"]
    accounts: ["tag:bank"]
  - id: prod-exact
    agents: [alice]
    accounts: [prod]
    actions: [list, code]
  - id: prod-glob
    agents: [bob]
    accounts: ["prod*"]
    actions: [code]
  - id: literal-chars
    agents: [alice]
    accounts: ["a.b+c", "x?z", "svc.*.prod", "m.+*", "svc*.api*", "q*+*"]
    actions: [code]
  - id: bob-no-secret
    effect: deny
    agents: [bob]
    accounts: [production-secret]
    actions: [code]
  - id: gh-confirm
    agents: [carol]
    accounts: ["github*"]
    actions: [code]
    approval: confirm
    approval_ttl: 10m
  - id: carol-any
    agents: [carol]
    accounts: ["*"]
    actions: [code, list]
  - id: carol-never-reached
    agents: [carol]
    accounts: ["github-work"]
    actions: [code]
    limit: { count: 1, per: 1h }
`);

type Row = [
  agent: string,
  action: Action,
  id: string,
  tags: string[],
  decision: 'allow' | 'deny',
  rule: string | null,
  reason: ReasonCode,
];

const ROWS: Row[] = [
  // Exact ids: no prefix confusion, no case folding, no look-alikes, no whitespace.
  ['alice', 'code', 'prod', [], 'allow', 'prod-exact', 'allowed'],
  ['alice', 'list', 'prod', [], 'allow', 'prod-exact', 'allowed'],
  ['alice', 'code', 'prod-admin', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'production', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'pro', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'Prod', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'PROD', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'pr\u043ed', [], 'deny', null, 'no_matching_rule'], // Cyrillic о
  ['alice', 'code', 'prod\u200b', [], 'deny', null, 'no_matching_rule'], // zero-width space
  ['alice', 'code', 'ｐrod', [], 'deny', null, 'no_matching_rule'], // full-width p
  ['alice', 'code', 'prod ', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', ' prod', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'prod\n', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', '', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'p'.repeat(100_000), [], 'deny', null, 'no_matching_rule'],
  ['alice', 'aws_session', 'prod', [], 'deny', null, 'no_matching_rule'],
  // Globs match the whole id; a trailing * also matches nothing.
  ['bob', 'code', 'prod', [], 'allow', 'prod-glob', 'allowed'],
  ['bob', 'code', 'production', [], 'allow', 'prod-glob', 'allowed'],
  ['bob', 'code', 'prod-admin', [], 'allow', 'prod-glob', 'allowed'],
  ['bob', 'code', 'xprod', [], 'deny', null, 'no_matching_rule'],
  ['bob', 'code', 'Production', [], 'deny', null, 'no_matching_rule'],
  ['bob', 'code', 'pr\u043eduction', [], 'deny', null, 'no_matching_rule'],
  ['bob', 'code', `prod${'x'.repeat(60)}`, [], 'allow', 'prod-glob', 'allowed'],
  ['bob', 'code', `prod${'x'.repeat(61)}`, [], 'deny', null, 'no_matching_rule'], // 65 chars: not an id
  ['bob', 'list', 'production', [], 'deny', null, 'no_matching_rule'],
  // Glob metacharacters are only * and ?; everything else is literal.
  ['alice', 'code', 'a.b+c', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'axb+c', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'a.bbc', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'a.bb+c', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'a.b+cc', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'xyz', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'x.z', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'xz', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'xyyz', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'svc.api.prod', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'svc..prod', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'svc-api-prod', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'svc.x.prodx', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'x*z', [], 'deny', null, 'no_matching_rule'], // an id can never contain *
  ['alice', 'code', '*', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'm.+', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'm.+x', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'mm', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'mxx', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'm..', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'svc-1.api-2', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'svc-xapi-2', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'q1+2', [], 'allow', 'literal-chars', 'allowed'],
  ['alice', 'code', 'q1x2', [], 'deny', null, 'no_matching_rule'],
  ['alice', 'code', 'q11', [], 'deny', null, 'no_matching_rule'],
  // Deny precedence: a deny anywhere in the file wins over an earlier allow.
  ['bob', 'code', 'production-secret', [], 'deny', 'bob-no-secret', 'denied_by_rule'],
  ['alice', 'code', 'prod', ['bank'], 'deny', 'deny-bank', 'denied_by_rule'],
  ['bob', 'code', 'prod-x', ['work', 'bank'], 'deny', 'deny-bank', 'denied_by_rule'],
  ['alice', 'code', 'prod', ['Bank'], 'allow', 'prod-exact', 'allowed'], // tags are exact too
  // Overlapping allow rules: the first in file order decides, with its own conditions.
  ['carol', 'code', 'github-work', [], 'allow', 'gh-confirm', 'allowed'],
  ['carol', 'code', 'gitlab', [], 'allow', 'carol-any', 'allowed'],
  ['carol', 'list', 'github-work', [], 'allow', 'carol-any', 'allowed'],
  // Unknown agents: never anything, whatever the account.
  ['mallory', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['Alice', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['al\u0456ce', 'code', 'prod', [], 'deny', null, 'unknown_agent'], // Cyrillic і
  ['*', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['__proto__', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['constructor', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['toString', 'code', 'prod', [], 'deny', null, 'unknown_agent'],
  ['a'.repeat(100_000), 'code', 'prod', [], 'deny', null, 'unknown_agent'],
];

describe('evaluate: matching', () => {
  test.each(ROWS)('%s %s %s %j → %s %s %s', (agent, action, id, tags, decision, rule, reason) => {
    const d = evaluate(ADVERSARIAL, { agent, action, account: { id, tags } }, ctxAt(WED_NOON));
    expect(d).toMatchObject({ decision, rule, reason });
    if (decision === 'deny') expect(d).toEqual({ decision, rule, reason, approval: 'none' });
  });

  test('approval is returned as a requirement, with its ttl', () => {
    const d = evaluate(
      ADVERSARIAL,
      { agent: 'carol', action: 'code', account: { id: 'github-x', tags: [] } },
      ctxAt(WED_NOON),
    );
    expect(d).toEqual({
      decision: 'allow',
      rule: 'gh-confirm',
      reason: 'allowed',
      approval: 'confirm',
      approval_ttl_seconds: 600,
    });
  });

  test('malformed requests are denied, never thrown on', () => {
    const bad: unknown[] = [
      { agent: 'alice', action: 'delete', account: { id: 'prod', tags: [] } },
      { agent: 'alice', action: 'Code', account: { id: 'prod', tags: [] } },
      { agent: 'alice', action: 'code', account: { id: 42, tags: [] } },
      { agent: 'alice', action: 'code', account: { id: ['prod'], tags: [] } },
      { agent: 'alice', action: 'code', account: {} },
      { agent: 42, action: 'code', account: { id: 'prod', tags: [] } },
    ];
    for (const r of bad) {
      const d = evaluate(ADVERSARIAL, r as never, ctxAt(WED_NOON));
      expect(d.decision).toBe('deny');
      expect(['no_matching_rule', 'unknown_agent']).toContain(d.reason);
    }
  });

  test('tags that are not a list are ignored, so they never match a tag selector', () => {
    const d = evaluate(
      ADVERSARIAL,
      { agent: 'alice', action: 'code', account: { id: 'prod', tags: 'bank' as never } },
      ctxAt(WED_NOON),
    );
    expect(d.rule).toBe('prod-exact');
  });
});

describe('evaluate: the DESIGN policy', () => {
  const p = parse(DESIGN_POLICY);
  const gh = (now: number, used = 0): Decision =>
    evaluate(p, { agent: 'claude-desktop', action: 'code', account: { id: 'github', tags: [] } }, ctxAt(now, used));

  test('allowed in hours with confirm, limit and remaining', () => {
    expect(gh(WED_NOON, 3)).toEqual({
      decision: 'allow',
      rule: 'desktop-github',
      reason: 'allowed',
      approval: 'confirm',
      approval_ttl_seconds: 900,
      limit: { count: 10, per_seconds: 3600, remaining: 6 },
    });
  });

  test('limits at the boundary: count-1 used is allowed (0 left), count used is rate_limited', () => {
    expect(gh(WED_NOON, 0).limit?.remaining).toBe(9);
    expect(gh(WED_NOON, 9)).toMatchObject({ decision: 'allow', limit: { remaining: 0 } });
    expect(gh(WED_NOON, 10)).toEqual({
      decision: 'deny',
      rule: 'desktop-github',
      reason: 'rate_limited',
      approval: 'none',
    });
    expect(gh(WED_NOON, 11).reason).toBe('rate_limited');
    expect(gh(WED_NOON, Number.NaN).reason).toBe('rate_limited');
  });

  test('the usage counter is asked about this rule, agent, account and window', () => {
    const usage = vi.fn(() => 0);
    evaluate(
      p,
      { agent: 'claude-desktop', action: 'list', account: { id: 'github-work', tags: [] } },
      { now: WED_NOON, usage },
    );
    expect(usage).toHaveBeenCalledWith('desktop-github', 'claude-desktop', 'github-work', 3600);
  });

  test('the usage counter is not asked when an earlier condition fails', () => {
    const usage = vi.fn(() => 0);
    evaluate(
      p,
      { agent: 'claude-desktop', action: 'code', account: { id: 'github', tags: [] } },
      { now: SAT_NOON, usage },
    );
    expect(usage).not.toHaveBeenCalled();
  });

  test('outside hours, the conditioned rule still decides', () => {
    expect(gh(SAT_NOON)).toEqual({
      decision: 'deny',
      rule: 'desktop-github',
      reason: 'outside_hours',
      approval: 'none',
    });
  });

  test('tag:personal matches by tag; bank tag wins over everything', () => {
    const req = (tags: string[]) => ({
      agent: 'claude-desktop',
      action: 'code' as const,
      account: { id: 'mail', tags },
    });
    expect(evaluate(p, req(['personal']), ctxAt(WED_NOON)).rule).toBe('desktop-github');
    expect(evaluate(p, req(['personal', 'bank']), ctxAt(WED_NOON))).toMatchObject({
      rule: 'never-bank',
      reason: 'denied_by_rule',
    });
    expect(evaluate(p, req([]), ctxAt(WED_NOON)).reason).toBe('no_matching_rule');
  });

  test('a denial never says what would have been allowed', () => {
    const d = evaluate(
      p,
      {
        agent: 'terraform',
        action: 'aws_session',
        account: { id: 'aws-prod', tags: [] },
        aws: { role: 'admin', delivery: 'profile' },
      },
      ctxAt(WED_NOON),
    );
    expect(d).toEqual({ decision: 'deny', rule: 'terraform-prod', reason: 'aws_role_not_allowed', approval: 'none' });
    expect(JSON.stringify(d)).not.toContain('deploy');
  });

  const AWS: [string, PolicyAwsRequest | undefined, 'allow' | 'deny', ReasonCode][] = [
    [
      'role, duration and delivery within caps',
      { role: 'deploy', duration_seconds: 3600, delivery: 'credential_process' },
      'allow',
      'allowed',
    ],
    ['profile delivery', { role: 'deploy', duration_seconds: 900, delivery: 'profile' }, 'allow', 'allowed'],
    ['no duration: allowed, carrying the cap', { role: 'deploy', delivery: 'profile' }, 'allow', 'allowed'],
    ['role not listed', { role: 'admin', duration_seconds: 900, delivery: 'profile' }, 'deny', 'aws_role_not_allowed'],
    [
      'role differing in case',
      { role: 'Deploy', duration_seconds: 900, delivery: 'profile' },
      'deny',
      'aws_role_not_allowed',
    ],
    [
      'role with a suffix',
      { role: 'deploy-admin', duration_seconds: 900, delivery: 'profile' },
      'deny',
      'aws_role_not_allowed',
    ],
    ['no role when roles are listed', { duration_seconds: 900, delivery: 'profile' }, 'deny', 'aws_role_not_allowed'],
    [
      'one second over the cap',
      { role: 'deploy', duration_seconds: 3601, delivery: 'profile' },
      'deny',
      'aws_duration_over_cap',
    ],
    ['zero duration', { role: 'deploy', duration_seconds: 0, delivery: 'profile' }, 'deny', 'aws_duration_over_cap'],
    [
      'negative duration',
      { role: 'deploy', duration_seconds: -5, delivery: 'profile' },
      'deny',
      'aws_duration_over_cap',
    ],
    [
      'NaN duration',
      { role: 'deploy', duration_seconds: Number.NaN, delivery: 'profile' },
      'deny',
      'aws_duration_over_cap',
    ],
    [
      'infinite duration',
      { role: 'deploy', duration_seconds: Number.POSITIVE_INFINITY, delivery: 'profile' },
      'deny',
      'aws_duration_over_cap',
    ],
    [
      'inline delivery not listed',
      { role: 'deploy', duration_seconds: 900, delivery: 'inline' },
      'deny',
      'aws_delivery_not_allowed',
    ],
    [
      'exec delivery not listed',
      { role: 'deploy', duration_seconds: 900, delivery: 'exec' },
      'deny',
      'aws_delivery_not_allowed',
    ],
    ['no delivery', { role: 'deploy', duration_seconds: 900 }, 'deny', 'aws_delivery_not_allowed'],
    ['no aws block at all', undefined, 'deny', 'aws_role_not_allowed'],
  ];
  test.each(AWS)('aws caps: %s', (_name, aws, decision, reason) => {
    const d = evaluate(
      p,
      { agent: 'terraform', action: 'aws_session', account: { id: 'aws-prod', tags: [] }, aws },
      ctxAt(WED_NOON),
    );
    expect(d).toMatchObject({ decision, rule: 'terraform-prod', reason });
  });

  test('an allow without a requested duration carries the cap', () => {
    const d = evaluate(
      p,
      {
        agent: 'terraform',
        action: 'aws_session',
        account: { id: 'aws-prod', tags: [] },
        aws: { role: 'deploy', delivery: 'profile' },
      },
      ctxAt(WED_NOON),
    );
    expect(d.aws).toEqual({ max_duration_seconds: 3600 });
  });

  test('without aws:, any role or none is allowed, every delivery but inline', () => {
    const q = parse(`version: 1
agents: { t: {} }
rules:
  - { id: r, agents: [t], accounts: [x], actions: [aws_session] }
`);
    const ev = (aws: PolicyAwsRequest) =>
      evaluate(q, { agent: 't', action: 'aws_session', account: { id: 'x', tags: [] }, aws }, ctxAt(WED_NOON));
    for (const delivery of ['credential_process', 'profile', 'exec', 'container'])
      expect(ev({ role: 'any', delivery }).decision).toBe('allow');
    expect(ev({ delivery: 'exec', duration_seconds: 43_200 }).decision).toBe('allow');
    expect(ev({ role: 'x', delivery: 'inline' }).reason).toBe('aws_delivery_not_allowed');
    expect(ev({ role: 'x', delivery: 'clipboard' }).reason).toBe('aws_delivery_not_allowed');
    expect(ev({ delivery: 'exec' }).aws).toBeUndefined();
  });

  test('inline is allowed only where listed', () => {
    const q = parse(`version: 1
agents: { t: {} }
rules:
  - { id: r, agents: [t], accounts: [x], actions: [aws_session], aws: { delivery: [inline] } }
`);
    const ev = (delivery: string) =>
      evaluate(
        q,
        { agent: 't', action: 'aws_session', account: { id: 'x', tags: [] }, aws: { delivery } },
        ctxAt(WED_NOON),
      );
    expect(ev('inline').decision).toBe('allow');
    expect(ev('profile').reason).toBe('aws_delivery_not_allowed');
  });

  test('aws fields do not matter for other actions', () => {
    const d = evaluate(
      p,
      {
        agent: 'claude-desktop',
        action: 'code',
        account: { id: 'github', tags: [] },
        aws: { role: 'root', delivery: 'inline' },
      },
      ctxAt(WED_NOON),
    );
    expect(d.decision).toBe('allow');
  });

  test('conditions are checked in order: hours before aws before limit', () => {
    const q = parse(`version: 1
agents: { t: {} }
rules:
  - id: r
    agents: [t]
    accounts: [x]
    actions: [aws_session]
    limit: { count: 1, per: 1h }
    hours: { days: [mon, tue, wed, thu, fri], tz: UTC }
    aws: { roles: [deploy] }
`);
    const ev = (now: number, role: string) =>
      evaluate(
        q,
        { agent: 't', action: 'aws_session', account: { id: 'x', tags: [] }, aws: { role, delivery: 'exec' } },
        ctxAt(now, 5),
      ).reason;
    expect(ev(SAT_NOON, 'admin')).toBe('outside_hours');
    expect(ev(WED_NOON, 'admin')).toBe('aws_role_not_allowed');
    expect(ev(WED_NOON, 'deploy')).toBe('rate_limited');
  });
});

describe('selectors with regex characters outside the id alphabet are refused at parse time', () => {
  test.each([
    'm(a)*',
    'q[1]',
    'u^v$',
    'a|b',
    'a\\d',
    '(?:x)',
    'a{2}',
    'x y',
    'tag:*',
    'tag:ba*',
    '**/x',
    'GitHub*',
    'g\u0456thub*',
  ])('%s', (sel) => {
    expect(() =>
      parse(
        `version: 1\nagents: { a: {} }\nrules:\n  - { id: r, agents: [a], accounts: [${JSON.stringify(sel)}], actions: [code] }\n`,
      ),
    ).toThrow(/rules\[0\]\.accounts\[0\]: expected an account id/);
  });
});

describe('evaluate: agent index', () => {
  test('* rules apply to every declared agent and only to declared agents', () => {
    const q = parse(`version: 1
agents: { a: {}, b: {} }
rules:
  - { id: everyone, agents: ["*"], accounts: ["*"], actions: [list] }
`);
    for (const agent of ['a', 'b'])
      expect(evaluate(q, { agent, action: 'list', account: { id: 'z', tags: [] } }, ctxAt(WED_NOON)).decision).toBe(
        'allow',
      );
    expect(evaluate(q, { agent: 'c', action: 'list', account: { id: 'z', tags: [] } }, ctxAt(WED_NOON)).reason).toBe(
      'unknown_agent',
    );
    expect(evaluate(q, { agent: 'a', action: 'code', account: { id: 'z', tags: [] } }, ctxAt(WED_NOON)).reason).toBe(
      'no_matching_rule',
    );
  });

  test('the first matching rule is found in file order across exact, tag and glob selectors', () => {
    const q = parse(`version: 1
agents: { a: {} }
rules:
  - { id: r-glob, agents: [a], accounts: ["ab*"], actions: [code], approval: confirm }
  - { id: r-tag, agents: [a], accounts: ["tag:t"], actions: [code] }
  - { id: r-exact, agents: [a], accounts: [abc, zzz], actions: [code] }
  - { id: r-any, agents: [a], accounts: ["*"], actions: [code] }
`);
    const who = (id: string, tags: string[] = []) =>
      evaluate(q, { agent: 'a', action: 'code', account: { id, tags } }, ctxAt(WED_NOON)).rule;
    expect(who('abc', ['t'])).toBe('r-glob');
    expect(who('zzz', ['t'])).toBe('r-tag');
    expect(who('zzz')).toBe('r-exact');
    expect(who('yyy')).toBe('r-any');
  });

  test('a pathological glob stays fast', () => {
    const q = parse(`version: 1
agents: { a: {} }
rules:
  - { id: r, agents: [a], accounts: ["*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"], actions: [code] }
`);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++)
      evaluate(q, { agent: 'a', action: 'code', account: { id: 'a'.repeat(64), tags: [] } }, ctxAt(WED_NOON));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(
      evaluate(q, { agent: 'a', action: 'code', account: { id: `${'a'.repeat(40)}b`, tags: [] } }, ctxAt(WED_NOON))
        .decision,
    ).toBe('allow');
  });
});

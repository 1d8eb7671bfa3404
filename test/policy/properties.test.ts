import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import {
  ACTIONS,
  DELIVERIES,
  WEEKDAYS,
  buildPolicy,
  evaluate,
  explain,
  parsePolicy,
  visibleAccounts,
  type Action,
  type Decision,
  type Policy,
  type PolicyRequest,
  type ReasonCode,
} from '../../src/policy/index.js';

const AGENTS = ['a1', 'a2', 'a3'];
const IDS = ['prod', 'prod-admin', 'production', 'github', 'github-work', 'bank-1', 'x.y', 'x+y', 'xay', 'p'];
const TAGS = ['bank', 'personal', 'work'];
const SELECTORS = [
  ...IDS,
  'prod*',
  'github*',
  'x?y',
  'x.*',
  '*',
  'tag:bank',
  'tag:personal',
  'tag:work',
  '*-admin',
  'p*n',
  '?',
];

type RawRule = Record<string, unknown>;

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

/** A rule as it would be written in policy.yaml (without its id), always valid. */
const ruleArb: fc.Arbitrary<RawRule> = fc
  .record({
    effect: fc.constantFrom('allow', 'deny'),
    agents: fc.oneof(fc.constant(['*']), fc.subarray(AGENTS, { minLength: 1 })),
    accounts: fc.shuffledSubarray(SELECTORS, { minLength: 1, maxLength: 3 }),
    actions: fc.subarray([...ACTIONS], { minLength: 1 }),
    omitDenyActions: fc.boolean(),
    approval: fc.constantFrom('none', 'confirm'),
    ttl: optional(fc.constantFrom('1m', '15m')),
    limit: optional(fc.record({ count: fc.integer({ min: 1, max: 5 }), per: fc.constantFrom('1m', '1h') })),
    hours: optional(
      fc.record({
        days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
        from: fc.constantFrom('00:00', '08:00', '22:00'),
        to: fc.constantFrom('06:00', '20:00', '23:59'),
        tz: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
      }),
    ),
    aws: optional(
      fc.record({
        roles: optional(fc.subarray(['deploy', 'read'], { minLength: 1 })),
        max_duration: optional(fc.constantFrom('15m', '1h')),
        delivery: optional(fc.subarray([...DELIVERIES], { minLength: 1 })),
      }),
    ),
  })
  .map((r) => {
    const clean = (o: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    if (r.effect === 'deny') {
      return clean({
        effect: 'deny',
        agents: r.agents,
        accounts: r.accounts,
        actions: r.omitDenyActions ? undefined : r.actions,
      });
    }
    return clean({
      agents: r.agents,
      accounts: r.accounts,
      actions: r.actions,
      approval: r.approval,
      approval_ttl: r.approval === 'confirm' ? r.ttl : undefined,
      limit: r.limit,
      hours: r.hours,
      aws: r.actions.includes('aws_session') && r.aws ? clean(r.aws) : undefined,
    });
  });

const withIds = (rules: RawRule[], prefix = 'r'): RawRule[] => rules.map((r, i) => ({ id: `${prefix}${i}`, ...r }));
const policyOf = (rules: RawRule[]): Policy =>
  buildPolicy({ version: 1, agents: Object.fromEntries(AGENTS.map((a) => [a, {}])), rules }, 'prop');

const rulesArb = fc.array(ruleArb, { minLength: 1, maxLength: 8 }).map((rs) => withIds(rs));

const requestArb: fc.Arbitrary<PolicyRequest> = fc.record({
  agent: fc.constantFrom(...AGENTS),
  action: fc.constantFrom(...ACTIONS),
  account: fc.record({ id: fc.constantFrom(...IDS, 'Prod', 'pr\u043ed'), tags: fc.subarray(TAGS) }),
  aws: optional(
    fc.record({
      role: optional(fc.constantFrom('deploy', 'read', 'admin')),
      duration_seconds: optional(fc.constantFrom(60, 900, 3600, 7200)),
      delivery: optional(fc.constantFrom(...DELIVERIES)),
    }),
  ),
});

/** 2024-01-01 .. 2027-01-01, so hours are sometimes open and sometimes not. */
const nowArb = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 0, 1) });
const usedArb = fc.integer({ min: 0, max: 6 });

const ev = (p: Policy, req: PolicyRequest, now: number, used: number): Decision =>
  evaluate(p, req, { now, usage: () => used });

/** The decision under `rules`; a file needs at least one rule, and with none every request is denied anyway. */
const evRules = (rules: RawRule[], req: PolicyRequest, now: number, used: number): Decision['decision'] =>
  rules.length === 0 ? 'deny' : ev(policyOf(rules), req, now, used).decision;

const CONDITION_REASONS: ReadonlySet<ReasonCode> = new Set([
  'outside_hours',
  'rate_limited',
  'aws_role_not_allowed',
  'aws_duration_over_cap',
  'aws_delivery_not_allowed',
]);

const RUNS = { numRuns: 400 };

describe('policy properties', () => {
  test('adding a deny rule, anywhere, never turns a deny into an allow', () => {
    fc.assert(
      fc.property(rulesArb, ruleArb, fc.nat(), requestArb, nowArb, usedArb, (rules, extra, pos, req, now, used) => {
        // Whatever the generated rule was, keep only what a deny rule may have.
        const deny: RawRule = {
          id: 'extra-deny',
          effect: 'deny',
          agents: extra['agents'],
          accounts: extra['accounts'],
          actions: extra['actions'],
        };
        const at = pos % (rules.length + 1);
        const before = ev(policyOf(rules), req, now, used);
        const after = ev(policyOf([...rules.slice(0, at), deny, ...rules.slice(at)]), req, now, used);
        if (before.decision === 'deny') expect(after.decision).toBe('deny');
        if (after.decision === 'allow') expect(after).toEqual(before);
      }),
      RUNS,
    );
  });

  test('removing an allow rule never adds access, except by the documented first-match choice', () => {
    fc.assert(
      fc.property(rulesArb, fc.nat(), requestArb, nowArb, usedArb, (rules, pick, req, now, used) => {
        const allowIdx = rules.map((r, i) => (r['effect'] === 'deny' ? -1 : i)).filter((i) => i >= 0);
        fc.pre(allowIdx.length > 0);
        const i = allowIdx[pick % allowIdx.length]!;
        const removed = rules[i]!;
        const before = ev(policyOf(rules), req, now, used);
        const after = evRules(
          rules.filter((_, k) => k !== i),
          req,
          now,
          used,
        );
        if (before.decision === 'deny' && after === 'allow') {
          // Only possible when the removed rule decided and one of its conditions failed: a
          // later rule may then decide instead (see evaluate.ts, rule 4).
          expect(before.rule).toBe(removed['id']);
          expect(CONDITION_REASONS.has(before.reason)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  test('with unconditioned allow rules, removing an allow rule never adds access', () => {
    const plain = rulesArb.map((rs) =>
      rs.map((r) =>
        r['effect'] === 'deny'
          ? r
          : {
              id: r['id'],
              agents: r['agents'],
              accounts: r['accounts'],
              actions: r['actions'],
              approval: r['approval'],
            },
      ),
    );
    const codeOrList = requestArb.map((r): PolicyRequest => {
      const action: Action = r.action === 'aws_session' ? 'code' : r.action;
      return { ...r, action };
    });
    fc.assert(
      fc.property(plain, fc.nat(), codeOrList, nowArb, (rules, pick, req, now) => {
        const i = pick % rules.length;
        fc.pre(rules[i]?.['effect'] !== 'deny');
        const before = ev(policyOf(rules), req, now, 0);
        const after = evRules(
          rules.filter((_, k) => k !== i),
          req,
          now,
          0,
        );
        if (before.decision === 'deny') expect(after).toBe('deny');
      }),
      RUNS,
    );
  });

  test('an agent absent from the policy is always denied', () => {
    const stranger = fc
      .oneof(
        fc.string({ maxLength: 80 }),
        fc.constantFrom('A1', 'a1 ', '*', '', '__proto__', 'constructor', 'hasOwnProperty', '\u0430' + '1'),
      )
      .filter((a) => !AGENTS.includes(a));
    fc.assert(
      fc.property(rulesArb, requestArb, stranger, nowArb, usedArb, (rules, req, agent, now, used) => {
        const d = ev(policyOf(rules), { ...req, agent }, now, used);
        expect(d).toEqual({ decision: 'deny', rule: null, reason: 'unknown_agent', approval: 'none' });
      }),
      RUNS,
    );
  });

  test('evaluate is deterministic, and the same from YAML text, an object, or explain', () => {
    fc.assert(
      fc.property(rulesArb, requestArb, nowArb, usedArb, (rules, req, now, used) => {
        const p = policyOf(rules);
        const d1 = ev(p, req, now, used);
        const d2 = ev(p, req, now, used);
        expect(d2).toEqual(d1);
        const text = stringify({ version: 1, agents: Object.fromEntries(AGENTS.map((a) => [a, {}])), rules });
        expect(ev(parsePolicy(text, 'p.yaml'), req, now, used)).toEqual(d1);
        expect(explain(p, req, { now, usage: () => used }).decision).toEqual(d1);
      }),
      { numRuns: 200 },
    );
  });

  test('a denial carries only decision, rule, reason and approval none', () => {
    fc.assert(
      fc.property(rulesArb, requestArb, nowArb, usedArb, (rules, req, now, used) => {
        const d = ev(policyOf(rules), req, now, used);
        if (d.decision === 'deny') expect(Object.keys(d).sort()).toEqual(['approval', 'decision', 'reason', 'rule']);
        else expect(d.reason).toBe('allowed');
        if (d.approval === 'confirm') expect(d.decision).toBe('allow');
      }),
      RUNS,
    );
  });

  test('an account is visible exactly when the agent may act on it and no deny rule hides it from listing (with nothing used yet)', () => {
    const accountsArb = fc.uniqueArray(fc.record({ id: fc.constantFrom(...IDS), tags: fc.subarray(TAGS) }), {
      selector: (a) => a.id,
      maxLength: 6,
    });
    fc.assert(
      fc.property(rulesArb, fc.constantFrom(...AGENTS), accountsArb, nowArb, (rules, agent, accounts, now) => {
        const p = policyOf(rules);
        const visible = new Map(visibleAccounts(p, agent, accounts, { now }).map((v) => [v.id, v]));
        for (const account of accounts) {
          const decide = (action: (typeof ACTIONS)[number]) => ev(p, { agent, action, account }, now, 0);
          // An allow rule matched (an aws_session rule may still refuse a role or duration: that is
          // a matter of the request, not of the account).
          const mayAct = ACTIONS.some((a) => {
            const d = decide(a);
            return d.decision === 'allow' || d.reason.startsWith('aws_');
          });
          const hiddenByDeny = decide('list').reason === 'denied_by_rule';
          expect(visible.has(account.id)).toBe(mayAct && !hiddenByDeny);
          const v = visible.get(account.id);
          if (decide('list').decision === 'allow') expect(v?.actions).toContain('list');
          for (const a of v?.actions ?? []) {
            const d = decide(a);
            expect(d.decision === 'allow' || d.reason.startsWith('aws_')).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });
});

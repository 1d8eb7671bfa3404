// Issue 17: `fill` is an action of its own, so a rule can let an agent fill codes into its browser
// while never reading one.
import { describe, expect, test } from 'vitest';
import { describeAgent, evaluate, explain, visibleAccounts } from '../../src/policy/index.js';
import { ctxAt, parse, WED_NOON } from './fixtures.js';

const POLICY = `version: 1
agents:
  browser-agent: {}
  reader: {}
rules:
  - id: fill-only
    agents: [browser-agent]
    accounts: [github]
    actions: [list, fill]
    limit: { count: 3, per: 1h }
  - id: read
    agents: [reader]
    accounts: [github]
    actions: [list, code]
  - id: no-bank
    effect: deny
    agents: ["*"]
    accounts: [bank]
`;

describe('policy action fill', () => {
  const p = parse(POLICY);
  const req = (agent: string, action: 'code' | 'fill', id = 'github') => ({
    agent,
    action,
    account: { id, tags: [] },
  });

  test('actions: [list, fill] allows fill and never code', () => {
    expect(evaluate(p, req('browser-agent', 'fill'), ctxAt(WED_NOON, 0)).decision).toBe('allow');
    expect(evaluate(p, req('browser-agent', 'code'), ctxAt(WED_NOON, 0))).toMatchObject({
      decision: 'deny',
      reason: 'no_matching_rule',
    });
  });

  test('code does not imply fill, and a deny rule without actions denies fill too', () => {
    expect(evaluate(p, req('reader', 'fill'), ctxAt(WED_NOON, 0)).decision).toBe('deny');
    expect(evaluate(p, req('browser-agent', 'fill', 'bank'), ctxAt(WED_NOON, 0)).decision).toBe('deny');
    expect(p.rules.find((r) => r.id === 'no-bank')?.actions).toContain('fill');
  });

  test('fill counts against the rule limit', () => {
    expect(evaluate(p, req('browser-agent', 'fill'), ctxAt(WED_NOON, 3))).toMatchObject({ reason: 'rate_limited' });
  });

  test('describe_access and policy explain show it', () => {
    expect(describeAgent(p, 'browser-agent').rules[0]?.actions).toEqual(['list', 'fill']);
    expect(visibleAccounts(p, 'browser-agent', [{ id: 'github', tags: [] }], { now: WED_NOON })).toEqual([
      { id: 'github', actions: ['list', 'fill'], approval: false },
    ]);
    const x = explain(p, req('reader', 'fill'), ctxAt(WED_NOON, 0));
    expect(x.text).toContain('does not list fill (lists list, code)');
  });

  test('an unknown action word still fails with the list of actions', () => {
    expect(() => parse(POLICY.replace('actions: [list, fill]', 'actions: [list, type]'))).toThrow(
      /expected list, code, aws_session or fill/,
    );
  });
});

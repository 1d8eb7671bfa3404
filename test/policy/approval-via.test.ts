// Issue 14: which channels a confirm rule asks on (approval_via) and how long a question stays open
// (approval_timeout), as the policy file says them and as explain / describe_access show them.
import { describe, expect, test } from 'vitest';
import { describeAgent, evaluate, explain } from '../../src/policy/index.js';
import { parse, parseError } from './fixtures.js';

const policy = (extra: string, approval = 'approval: confirm'): string => `version: 1
agents:
  bot: {}
rules:
  - id: r
    agents: [bot]
    accounts: [a]
    actions: [code]
    ${approval}
${extra}`;

const request = { agent: 'bot', action: 'code', account: { id: 'a', tags: [] } } as const;
const ctx = { now: Date.UTC(2026, 0, 7, 12), usage: () => 0 };

describe('approval_via and approval_timeout', () => {
  test('default: all three channels, 55 s; the decision and describe_access carry them', () => {
    const p = parse(policy(''));
    expect(p.rules[0]?.approval_via).toBeUndefined();
    expect(describeAgent(p, 'bot').rules[0]).toMatchObject({
      approval_via: ['client', 'browser', 'terminal'],
      approval_timeout_seconds: 55,
    });
    const note = explain(p, request, ctx).conditions.find((c) => c.condition === 'approval')?.note;
    expect(note).toContain('asked via client, browser, terminal, open 55s');
  });

  test('a rule names its channels (in its order) and its timeout', () => {
    const p = parse(policy('    approval_via: [terminal, browser]\n    approval_timeout: 2m\n'));
    expect(p.rules[0]).toMatchObject({ approval_via: ['terminal', 'browser'], approval_timeout_seconds: 120 });
    expect(evaluate(p, request, ctx)).toMatchObject({
      decision: 'allow',
      approval_via: ['terminal', 'browser'],
      approval_timeout_seconds: 120,
    });
  });

  test.each([
    ['an unknown channel', '    approval_via: [email]\n', 'approval', 'expected client, browser or terminal'],
    ['an empty list', '    approval_via: []\n', 'approval', 'must list at least one channel'],
    ['a timeout over 10 minutes', '    approval_timeout: 11m\n', 'approval', 'expected a duration from 1s to 10m'],
    [
      'approval_via without approval: confirm',
      '    approval_via: [browser]\n',
      'approval: none',
      'approval_via needs approval: confirm',
    ],
    [
      'approval_timeout without approval: confirm',
      '    approval_timeout: 1m\n',
      'approval: none',
      'approval_timeout needs approval: confirm',
    ],
  ])('refuses %s', (_name, extra, approval, message) => {
    const text = policy(extra, approval === 'approval' ? 'approval: confirm' : approval);
    expect(parseError(text).message).toContain(message);
  });
});

// `max_calls` under agents.NAME (issue 12, item 8): a cap on every call of one agent, counted from
// the audit log across processes, answered `rate_limited`; off unless set.
import { afterAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/parse.js';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  TEST_POLICY,
} from './helpers.js';

const POLICY = TEST_POLICY.replace(
  'bot: { description: a test agent }',
  'bot: { description: a test agent, max_calls: { count: 3, per: 1h } }',
);
const CAPPED = "rate_limited: this agent's max_calls in the policy is used up for now";

describe('max_calls', () => {
  it('caps list_accounts (and every other tool) for the agent, across processes; only the first refusal is recorded', async () => {
    expect(POLICY).not.toBe(TEST_POLICY);
    const home = homeWithPolicy(POLICY);
    const a = await connect(home, { agent: 'bot' });
    try {
      for (let i = 0; i < 3; i++) expect((await call(a, 'list_accounts')).isError).toBe(false);
      const over = await call(a, 'list_accounts');
      expect(over).toMatchObject({ isError: true, text: CAPPED });
      expect((await call(a, 'describe_access')).text).toBe(CAPPED);
      expect((await call(a, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).text).toBe(CAPPED);
    } finally {
      await a.close();
    }
    // Another process of the same agent: the same count.
    const b = await connect(home, { agent: 'bot', era: 'modern' });
    try {
      expect((await call(b, 'list_accounts')).text).toBe(CAPPED);
    } finally {
      await b.close();
    }
    // Another agent is not capped.
    const o = await connect(home, { agent: 'other' });
    try {
      for (let i = 0; i < 5; i++) expect((await call(o, 'list_accounts')).isError).toBe(false);
    } finally {
      await o.close();
    }
    const bot = auditEvents(home).filter((e) => e.agent === 'bot');
    expect(bot.map((e) => [e.action, e.decision, e.reason])).toEqual([
      ['list', 'allow', 'allowed'],
      ['list', 'allow', 'allowed'],
      ['list', 'allow', 'allowed'],
      ['list', 'deny', 'max_calls'],
    ]);
    expectAuditVerifies(home);
  });

  it('is validated like a limit, and off unless set', () => {
    const agents = (v: string) =>
      `version: 1\nagents:\n  bot: ${v}\nrules:\n  - { id: r, agents: [bot], accounts: ["*"], actions: [list] }\n`;
    expect(parsePolicy(agents('{ max_calls: { count: 100, per: 1h } }'), 'p.yaml').agents.get('bot')).toEqual({
      max_calls: { count: 100, per_seconds: 3600 },
    });
    expect(parsePolicy(agents('{}'), 'p.yaml').agents.get('bot')).toEqual({});
    expect(() => parsePolicy(agents('{ max_calls: { count: 0, per: 1h } }'), 'p.yaml')).toThrow(
      /p\.yaml:3: agents\.bot\.max_calls\.count: expected a whole number of at least 1/,
    );
    expect(() => parsePolicy(agents('{ max_calls: { count: 5 } }'), 'p.yaml')).toThrow(/max_calls\.per/);
  });
});

afterAll(() => {
  expectAllStdoutClean();
});

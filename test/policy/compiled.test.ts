// The policy pinned in the vault at `policy apply` (policy/compiled.ts) is the parsed policy,
// exactly, after a JSON round trip: the agent path decides from it without parsing YAML.
import { describe, expect, it } from 'vitest';
import { fromCompiledJson, toCompiledJson } from '../../src/policy/compiled.js';
import { evaluate, parsePolicy, STARTER_POLICY } from '../../src/policy/index.js';
import { DESIGN_POLICY as DESIGN } from './fixtures.js';

describe('compiled policy (pinned in the vault)', () => {
  it.each([
    ['DESIGN example', DESIGN],
    ['starter', STARTER_POLICY],
  ])('%s: survives JSON exactly and decides the same', (_name, text) => {
    const p = parsePolicy(text, 'policy.yaml');
    const back = fromCompiledJson(JSON.parse(JSON.stringify(toCompiledJson(p))));
    expect(back).toEqual(p);
    const now = Date.parse('2026-11-23T10:00:00+01:00'); // a Monday, 10:00 in Berlin
    for (const [agent, account, tags, action] of [
      ['claude-desktop', 'github:alice', [], 'code'],
      ['claude-desktop', 'bank', ['bank'], 'code'],
      ['terraform', 'aws-prod', [], 'aws_session'],
      ['nobody', 'x', [], 'list'],
    ] as const) {
      const req = { agent, action, account: { id: account, tags }, aws: { role: 'deploy', delivery: 'profile' } };
      expect(evaluate(back!, req, { now, usage: () => 0 })).toEqual(evaluate(p, req, { now, usage: () => 0 }));
    }
  });

  it('refuses a copy of the wrong shape', () => {
    for (const bad of [
      null,
      1,
      'x',
      {},
      { version: 2, fileName: 'p', agents: [], rules: [] },
      { version: 1, fileName: 'p', agents: {}, rules: [] },
    ]) {
      expect(fromCompiledJson(bad)).toBeUndefined();
    }
  });
});

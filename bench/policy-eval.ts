import { performance } from 'node:perf_hooks';
import { evaluate } from '../src/policy/evaluate.js';
import { buildPolicy } from '../src/policy/parse.js';
import { ACTIONS, type AccountRef, type Policy, type PolicyRequest } from '../src/policy/types.js';
import { prng } from './prng.js';

/**
 * A micro-benchmark of `evaluate`, for bench/ (not a test): a synthetic policy of `rules` rules
 * (exact ids, tags, globs, `*`, deny rules, hours and limits) over `accounts` accounts and
 * `agents` agents, then `samples` random requests, each timed on its own. The target is
 * p99 ≤ 50 µs with 1,000 rules and 10,000 accounts.
 */

export interface BenchOptions {
  readonly rules?: number;
  readonly accounts?: number;
  readonly agents?: number;
  readonly samples?: number;
  readonly seed?: number;
}

export interface BenchResult {
  readonly rules: number;
  readonly accounts: number;
  readonly samples: number;
  readonly allowed: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly max_us: number;
  readonly mean_us: number;
}

const PREFIXES = ['github', 'aws', 'gitlab', 'svc', 'bank', 'corp'] as const;

export function syntheticPolicy(opts: BenchOptions = {}): { policy: Policy; accounts: AccountRef[]; agents: string[] } {
  const nRules = opts.rules ?? 1000;
  const nAccounts = opts.accounts ?? 10_000;
  const nAgents = opts.agents ?? 20;
  const rand = prng(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const agents = Array.from({ length: nAgents }, (_, i) => `agent-${i}`);
  const accounts: AccountRef[] = Array.from({ length: nAccounts }, (_, i) => ({
    id: `${PREFIXES[i % PREFIXES.length] ?? 'x'}-${i}`,
    tags: [`team-${i % 40}`, ...(i % 7 === 0 ? ['personal'] : []), ...(i % 101 === 0 ? ['bank'] : [])],
  }));
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < nRules; i++) {
    const kind = rand();
    const ruleAgents = rand() < 0.05 ? ['*'] : [pick(agents), pick(agents)];
    const actions = rand() < 0.5 ? ['list', 'code'] : [pick(ACTIONS)];
    let selectors: string[];
    if (kind < 0.6) selectors = Array.from({ length: 5 }, () => pick(accounts).id);
    else if (kind < 0.8) selectors = [`tag:team-${Math.floor(rand() * 40)}`];
    else if (kind < 0.97)
      selectors = [`${pick(PREFIXES)}-${Math.floor(rand() * 100)}*`, `*-${Math.floor(rand() * 10)}?`];
    else selectors = ['*'];
    if (rand() < 0.05) {
      rules.push({ id: `r${i}`, effect: 'deny', agents: ruleAgents, accounts: selectors, actions });
      continue;
    }
    const rule: Record<string, unknown> = { id: `r${i}`, agents: ruleAgents, accounts: selectors, actions };
    if (rand() < 0.3) rule['limit'] = { count: 10, per: '1h' };
    if (rand() < 0.3)
      rule['hours'] = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '20:00', tz: 'Europe/Berlin' };
    if (rand() < 0.2) {
      rule['approval'] = 'confirm';
      rule['approval_ttl'] = '15m';
    }
    rules.push(rule);
  }
  const policy = buildPolicy({ version: 1, agents: Object.fromEntries(agents.map((a) => [a, {}])), rules }, 'bench');
  return { policy, accounts, agents };
}

export function benchmarkEvaluate(opts: BenchOptions = {}): BenchResult {
  const { policy, accounts, agents } = syntheticPolicy(opts);
  const samples = opts.samples ?? 100_000;
  const rand = prng((opts.seed ?? 1) + 1);
  const requests: PolicyRequest[] = Array.from({ length: samples }, () => {
    const account = accounts[Math.floor(rand() * accounts.length)] ?? { id: 'x', tags: [] };
    const action = ACTIONS[Math.floor(rand() * ACTIONS.length)] ?? 'code';
    return {
      agent: agents[Math.floor(rand() * agents.length)] ?? 'agent-0',
      action,
      account,
      ...(action === 'aws_session' ? { aws: { role: 'deploy', duration_seconds: 3600, delivery: 'profile' } } : {}),
    };
  });
  const ctx = { now: Date.UTC(2025, 5, 4, 10, 0), usage: () => 3 };
  // Warm up: compile the policy and let the JIT settle.
  for (let i = 0; i < Math.min(samples, 20_000); i++)
    evaluate(policy, requests[i % requests.length] as PolicyRequest, ctx);
  const times = new Float64Array(samples);
  let allowed = 0;
  for (let i = 0; i < samples; i++) {
    const req = requests[i] as PolicyRequest;
    const t0 = performance.now();
    const d = evaluate(policy, req, ctx);
    times[i] = performance.now() - t0;
    if (d.decision === 'allow') allowed++;
  }
  times.sort();
  const at = (q: number): number => (times[Math.min(samples - 1, Math.floor(q * samples))] ?? 0) * 1000;
  const mean = (times.reduce((s, t) => s + t, 0) / samples) * 1000;
  return {
    rules: policy.rules.length,
    accounts: accounts.length,
    samples,
    allowed,
    p50_us: at(0.5),
    p99_us: at(0.99),
    max_us: at(1),
    mean_us: mean,
  };
}

/** Policy (DESIGN §2): parse `policy.yaml`, decide requests purely, explain and lint. */
export { parsePolicy, buildPolicy, formatPath, MAX_ALIAS_COUNT } from './parse.js';
export {
  evaluate,
  visibleAccounts,
  describeAgent,
  type PolicyVisibleAccount,
  type AgentDescription,
  type DescribedRule,
} from './evaluate.js';
export {
  explain,
  type Explanation,
  type RuleTrace,
  type ConditionTrace,
  type TraceOutcome,
  type ConditionName,
} from './explain.js';
export { lintPolicy, type PolicyWarning, type LintCode } from './lint.js';
export { STARTER_POLICY } from './starter.js';
export { policyHash } from './hash.js';
export { isValidTimeZone } from './hours.js';
export { parseAccountSelector, type AccountSelector } from './selectors.js';
export { benchmarkEvaluate, syntheticPolicy, type BenchOptions, type BenchResult } from './bench.js';
export * from './types.js';

/** Policy: parse `policy.yaml`, decide requests purely, explain and lint. */
export { parsePolicy, buildPolicy } from './parse.js';
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
export { lintPolicy, type PolicyWarning } from './lint.js';
export { STARTER_POLICY } from './starter.js';
export { policyHash } from './hash.js';
export { isValidTimeZone } from './hours.js';
export { parseAccountSelector, type AccountSelector } from './selectors.js';
export * from './types.js';

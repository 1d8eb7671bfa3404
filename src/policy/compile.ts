import { compileHours, type CompiledHours } from './hours.js';
import { globMatches, isAccountId, parseAccountSelector, type AccountSelector } from './selectors.js';
import { ACTIONS, type Action, type Policy, type PolicyRule } from './types.js';

/**
 * The precompiled form of a policy, built once per Policy object (policies are frozen) and kept
 * in a WeakMap, so `evaluate` stays a pure function of (policy, request, ctx).
 *
 * Rules are bucketed by (agent, action): `*` rules are copied into every declared agent's bucket.
 * Inside a bucket, exact ids and tags are Map lookups and only glob/`*` rules are scanned, with a
 * literal prefix/suffix check before the wildcard match. Finding the first matching rule in file
 * order then costs O(tags + globs that pass the prefix check), not O(rules).
 */

export interface CompiledRule {
  readonly rule: PolicyRule;
  readonly index: number;
  readonly selectors: readonly AccountSelector[];
  readonly exact: ReadonlySet<string>;
  readonly tags: ReadonlySet<string>;
  readonly any: boolean;
  readonly globs: readonly Extract<AccountSelector, { kind: 'glob' }>[];
  readonly hours?: CompiledHours;
  readonly roles?: ReadonlySet<string>;
  readonly deliveries: ReadonlySet<string>;
}

interface Bucket {
  readonly byId: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly byTag: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Rules with a glob or `*` selector, in file order. */
  readonly scan: readonly CompiledRule[];
  /** Every rule of the bucket, in file order (for visibility and lint). */
  readonly all: readonly CompiledRule[];
}

export interface AgentBuckets {
  readonly allow: ReadonlyMap<Action, Bucket>;
  readonly deny: ReadonlyMap<Action, Bucket>;
}

interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  readonly agents: ReadonlyMap<string, AgentBuckets>;
}

export const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

const cache = new WeakMap<Policy, CompiledPolicy>();

export function compiled(policy: Policy): CompiledPolicy {
  let c = cache.get(policy);
  if (!c) {
    c = compile(policy);
    cache.set(policy, c);
  }
  return c;
}

function compileRule(rule: PolicyRule): CompiledRule {
  const selectors = rule.accounts
    .map((s) => parseAccountSelector(s))
    .filter((s): s is AccountSelector => s !== undefined);
  const exact = new Set<string>();
  const tags = new Set<string>();
  const globs: Extract<AccountSelector, { kind: 'glob' }>[] = [];
  let any = false;
  for (const s of selectors) {
    if (s.kind === 'any') any = true;
    else if (s.kind === 'exact') exact.add(s.id);
    else if (s.kind === 'tag') tags.add(s.tag);
    else globs.push(s);
  }
  return {
    rule,
    index: rule.index,
    selectors,
    exact,
    tags,
    any,
    globs,
    ...(rule.hours === undefined ? {} : { hours: compileHours(rule.hours) }),
    ...(rule.aws?.roles === undefined ? {} : { roles: new Set(rule.aws.roles) }),
    deliveries: new Set(rule.aws?.delivery ?? []),
  };
}

function compile(policy: Policy): CompiledPolicy {
  const rules = policy.rules.map(compileRule);
  const agents = new Map<string, AgentBuckets>();
  for (const agent of policy.agents.keys()) {
    const mine = rules.filter((r) => r.rule.agents.includes('*') || r.rule.agents.includes(agent));
    const allow = new Map<Action, Bucket>();
    const deny = new Map<Action, Bucket>();
    for (const action of ACTIONS) {
      const forAction = mine.filter((r) => r.rule.actions.includes(action));
      allow.set(action, bucket(forAction.filter((r) => r.rule.effect === 'allow')));
      deny.set(action, bucket(forAction.filter((r) => r.rule.effect === 'deny')));
    }
    agents.set(agent, { allow, deny });
  }
  return { rules, agents };
}

function bucket(rules: readonly CompiledRule[]): Bucket {
  const byId = new Map<string, CompiledRule[]>();
  const byTag = new Map<string, CompiledRule[]>();
  const scan: CompiledRule[] = [];
  const add = (m: Map<string, CompiledRule[]>, k: string, r: CompiledRule): void => {
    const l = m.get(k);
    if (!l) m.set(k, [r]);
    else if (l[l.length - 1] !== r) l.push(r);
  };
  for (const r of rules) {
    for (const id of r.exact) add(byId, id, r);
    for (const t of r.tags) add(byTag, t, r);
    if (r.any || r.globs.length > 0) scan.push(r);
  }
  return { byId, byTag, scan, all: rules };
}

/** Whether the rule's account selectors match. The caller has checked the id is a valid account id. */
export function ruleMatchesAccount(r: CompiledRule, id: string, tags: readonly string[]): boolean {
  if (r.any || r.exact.has(id)) return true;
  for (const t of tags) if (r.tags.has(t)) return true;
  for (const g of r.globs) if (globMatches(g, id)) return true;
  return false;
}

/** The first rule of the bucket, in file order, whose selectors match the account. */
export function firstMatch(b: Bucket, id: string, tags: readonly string[]): CompiledRule | undefined {
  let best = b.byId.get(id)?.[0];
  for (const t of tags) {
    const r = b.byTag.get(t)?.[0];
    if (r !== undefined && (best === undefined || r.index < best.index)) best = r;
  }
  for (const r of b.scan) {
    if (best !== undefined && r.index >= best.index) break;
    if (r.any) return r;
    for (const g of r.globs) if (globMatches(g, id)) return r;
  }
  return best;
}

/**
 * Tags as given, or none when the caller passed something that is not a list. Elements that are
 * not strings can never equal a selector's tag, so they need no filtering.
 */
export const safeTags = (tags: unknown): readonly string[] => (Array.isArray(tags) ? (tags as string[]) : []);

export { isAccountId };

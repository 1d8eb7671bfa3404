import { checkHours } from './hours.js';
import {
  ACTION_SET,
  compiled,
  firstMatch,
  isAccountId,
  safeTags,
  type AgentBuckets,
  type CompiledRule,
} from './compile.js';
import {
  ACTIONS,
  approvalChannels,
  approvalTimeoutSeconds,
  type AccountRef,
  type Action,
  type Approval,
  type ApprovalChannel,
  type Decision,
  type EvalContext,
  type Effect,
  type Policy,
  type PolicyRequest,
  type ReasonCode,
  type RuleAws,
  type RuleHours,
} from './types.js';

/*
 * Semantics:
 *  1. An agent not declared under `agents:` is denied: `unknown_agent`.
 *  2. A rule matches a request when it lists the agent (or `*`), the action, and one of its
 *     account selectors matches the account. Matching is exact and case-sensitive; an account id
 *     that is not a valid id (upper case, look-alike letters, empty, too long) matches nothing.
 *  3. Any matching deny rule wins: `denied_by_rule`, naming the first such rule in file order.
 *  4. Otherwise the first matching allow rule in file order DECIDES, and its conditions apply.
 *     If a condition fails (hours, aws caps, limit), the request is denied with that reason; later
 *     rules are NOT consulted. This is a deliberate choice: a rule's conditions are limits on the
 *     accounts it names, and a broader rule further down must never bypass them (a `hours` window
 *     on `github*` is not undone by a later catch-all). The price is that removing a conditioned
 *     rule can let a later rule decide; `lintPolicy` reports rules that never decide.
 *  5. No matching rule: `no_matching_rule` (default deny).
 *  A denial names the deciding rule (or null) and a fixed reason, never what would have been allowed.
 *  Conditions are checked in this order: hours, aws role, aws duration, aws delivery, limit. The
 *  usage counter is called only when every earlier condition passed. Approval is not decided here:
 *  an allow carries `approval: confirm` for the caller to obtain.
 */

const deny = (rule: string | null, reason: ReasonCode): Decision => ({
  decision: 'deny',
  rule,
  reason,
  approval: 'none',
});

type Match =
  | { readonly kind: 'unknown_agent' }
  | { readonly kind: 'none' }
  | { readonly kind: 'deny'; readonly rule: CompiledRule }
  | { readonly kind: 'allow'; readonly rule: CompiledRule };

/** Steps 1–5 above without the conditions: which rule decides, if any. */
export function matchRequest(policy: Policy, agent: string, action: string, account: AccountRef): Match {
  const buckets = typeof agent === 'string' ? compiled(policy).agents.get(agent) : undefined;
  if (buckets === undefined) return { kind: 'unknown_agent' };
  return matchIn(buckets, action, account);
}

function matchIn(buckets: AgentBuckets, action: string, account: AccountRef): Match {
  if (typeof action !== 'string' || !ACTION_SET.has(action)) return { kind: 'none' };
  const a = action as Action;
  const id = (account as AccountRef | undefined)?.id;
  if (!isAccountId(id)) return { kind: 'none' };
  const tags = safeTags(account.tags);
  const denyBucket = buckets.deny.get(a);
  const d = denyBucket && firstMatch(denyBucket, id, tags);
  if (d) return { kind: 'deny', rule: d };
  const allowBucket = buckets.allow.get(a);
  const r = allowBucket && firstMatch(allowBucket, id, tags);
  return r ? { kind: 'allow', rule: r } : { kind: 'none' };
}

/**
 * Decides one request. Pure: the same (policy, request, ctx.now, ctx.usage answers) always give
 * the same decision. Never throws on malformed input: anything unexpected is a denial.
 */
export function evaluate(policy: Policy, request: PolicyRequest, ctx: EvalContext): Decision {
  const m = matchRequest(policy, request.agent, request.action, request.account);
  switch (m.kind) {
    case 'unknown_agent':
      return deny(null, 'unknown_agent');
    case 'none':
      return deny(null, 'no_matching_rule');
    case 'deny':
      return deny(m.rule.rule.id, 'denied_by_rule');
    case 'allow':
      return applyConditions(m.rule, request, ctx);
  }
}

function applyConditions(r: CompiledRule, request: PolicyRequest, ctx: EvalContext): Decision {
  const rule = r.rule;
  if (r.hours !== undefined && !checkHours(r.hours, ctx.now).inside) return deny(rule.id, 'outside_hours');
  let maxDuration: number | undefined;
  if (request.action === 'aws_session') {
    const failed = awsFailure(r, request);
    if (failed !== undefined) return deny(rule.id, failed);
    maxDuration = rule.aws?.max_duration_seconds;
  }
  let limit: Decision['limit'];
  if (rule.limit !== undefined) {
    const { count, per_seconds } = rule.limit;
    const used = ctx.usage(rule.id, request.agent, request.account.id, per_seconds);
    if (!(used < count)) return deny(rule.id, 'rate_limited');
    limit = { count, per_seconds, remaining: Math.min(count - 1, Math.max(0, count - Math.max(0, used) - 1)) };
  }
  return {
    decision: 'allow',
    rule: rule.id,
    reason: 'allowed',
    approval: rule.approval,
    ...(rule.approval === 'confirm' && rule.approval_ttl_seconds !== undefined
      ? { approval_ttl_seconds: rule.approval_ttl_seconds }
      : {}),
    ...(rule.approval === 'confirm' && rule.approval_via !== undefined ? { approval_via: rule.approval_via } : {}),
    ...(rule.approval === 'confirm' && rule.approval_timeout_seconds !== undefined
      ? { approval_timeout_seconds: rule.approval_timeout_seconds }
      : {}),
    ...(limit === undefined ? {} : { limit }),
    ...(maxDuration === undefined ? {} : { aws: { max_duration_seconds: maxDuration } }),
  };
}

/**
 * AWS caps. A rule listing `roles` requires the request to name one of them (a session without a
 * role is then refused); a rule without `roles` allows any role, or none. A requested duration
 * must be a positive number no longer than `max_duration`; when none is requested, the allow
 * carries the cap. The delivery must be given and be one the rule allows (by default every one
 * except `inline`).
 */
function awsFailure(r: CompiledRule, request: PolicyRequest): ReasonCode | undefined {
  const aws = request.aws;
  const role = aws?.role;
  if (r.roles !== undefined && (typeof role !== 'string' || !r.roles.has(role))) return 'aws_role_not_allowed';
  if (r.roles === undefined && role !== undefined && typeof role !== 'string') return 'aws_role_not_allowed';
  const duration = aws?.duration_seconds;
  if (duration !== undefined) {
    const max = r.rule.aws?.max_duration_seconds ?? Number.POSITIVE_INFINITY;
    if (typeof duration !== 'number' || !(duration > 0) || !(duration <= max)) return 'aws_duration_over_cap';
  }
  const delivery = aws?.delivery;
  if (typeof delivery !== 'string' || !r.deliveries.has(delivery)) return 'aws_delivery_not_allowed';
  return undefined;
}

export interface PolicyVisibleAccount {
  readonly id: string;
  /** The actions this agent may request on the account now (hours applied; limits and AWS caps not). */
  readonly actions: Action[];
  /** Whether any of those actions needs the person's confirmation. */
  readonly approval: boolean;
}

/**
 * The accounts an agent may see, for `list_accounts`. An account is listed when some action on
 * it is decided by an allow rule whose hours hold at `ctx.now` and no deny rule matches its `list`
 * action; `actions` names every action decided that way. Rate limits and AWS caps
 * are not applied (listing uses nothing up, and caps depend on the request). Accounts the agent
 * may not list are left out entirely, so nothing is said about them.
 */
export function visibleAccounts(
  policy: Policy,
  agent: string,
  accounts: readonly AccountRef[],
  ctx: Pick<EvalContext, 'now'>,
): PolicyVisibleAccount[] {
  const buckets = typeof agent === 'string' ? compiled(policy).agents.get(agent) : undefined;
  if (buckets === undefined) return [];
  const out: PolicyVisibleAccount[] = [];
  const hoursMemo = new Map<CompiledRule, boolean>();
  const open = (r: CompiledRule): boolean => {
    if (r.hours === undefined) return true;
    let ok = hoursMemo.get(r);
    if (ok === undefined) {
      ok = checkHours(r.hours, ctx.now).inside;
      hoursMemo.set(r, ok);
    }
    return ok;
  };
  for (const account of accounts) {
    const actions: Action[] = [];
    let approval = false;
    for (const action of ACTIONS) {
      const m = matchIn(buckets, action, account);
      if (m.kind !== 'allow' || !open(m.rule)) continue;
      actions.push(action);
      if (m.rule.rule.approval === 'confirm') approval = true;
    }
    // An agent sees every account it may act on (an aws_session-only agent sees its AWS accounts),
    // unless a deny rule hides it from listing.
    if (actions.length > 0 && matchIn(buckets, 'list', account).kind !== 'deny')
      out.push({ id: account.id, actions, approval });
  }
  return out;
}

export interface DescribedRule {
  readonly id: string;
  readonly effect: Effect;
  readonly actions: readonly Action[];
  readonly accounts: readonly string[];
  readonly approval: Approval;
  readonly approval_ttl_seconds?: number;
  readonly approval_via?: readonly ApprovalChannel[];
  readonly approval_timeout_seconds?: number;
  readonly limit?: { readonly count: number; readonly per_seconds: number };
  readonly hours?: RuleHours;
  readonly aws?: RuleAws;
}

export interface AgentDescription {
  readonly agent: string;
  /** False when the agent is not declared: it may do nothing. */
  readonly known: boolean;
  readonly description?: string;
  /** The rules that name this agent or `*`, in file order; other agents' rules are never shown. */
  readonly rules: DescribedRule[];
}

/** What `describe_access` tells an agent about itself. */
export function describeAgent(policy: Policy, agent: string): AgentDescription {
  const info = typeof agent === 'string' ? policy.agents.get(agent) : undefined;
  if (info === undefined) return { agent, known: false, rules: [] };
  const rules = policy.rules
    .filter((r) => r.agents.includes('*') || r.agents.includes(agent))
    .map((r): DescribedRule => ({
      id: r.id,
      effect: r.effect,
      actions: r.actions,
      accounts: r.accounts,
      approval: r.approval,
      ...(r.approval_ttl_seconds === undefined ? {} : { approval_ttl_seconds: r.approval_ttl_seconds }),
      ...(r.approval === 'confirm'
        ? { approval_via: approvalChannels(r), approval_timeout_seconds: approvalTimeoutSeconds(r) }
        : {}),
      ...(r.limit === undefined ? {} : { limit: r.limit }),
      ...(r.hours === undefined ? {} : { hours: r.hours }),
      ...(r.aws === undefined ? {} : { aws: r.aws }),
    }));
  return { agent, known: true, ...(info.description === undefined ? {} : { description: info.description }), rules };
}

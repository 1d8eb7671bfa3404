import { formatDuration } from '../core/duration.js';
import { checkHours, formatMinutes } from './hours.js';
import { compiled, isAccountId, ruleMatchesAccount, safeTags, type CompiledRule } from './compile.js';
import { evaluate, matchRequest } from './evaluate.js';
import { selectorMatches } from './selectors.js';
import {
  approvalChannels,
  approvalTimeoutSeconds,
  WEEKDAYS,
  type Decision,
  type Effect,
  type EvalContext,
  type Policy,
  type PolicyRequest,
} from './types.js';

/**
 * `totp-mcp policy explain`: the decision of `evaluate` (always the same one) plus a trace of how
 * every rule was considered. This is for the person who owns the policy, so unlike a denial it
 * spells out selectors and conditions.
 */

export type TraceOutcome =
  | 'agent_not_listed'
  | 'action_not_listed'
  | 'account_not_matched'
  /** Matched, but another rule decides (a deny wins, or an earlier allow decided). */
  | 'matched'
  | 'decides';

export interface RuleTrace {
  readonly rule: string;
  readonly line?: number;
  readonly effect: Effect;
  readonly outcome: TraceOutcome;
  readonly note: string;
}

export type ConditionName = 'hours' | 'aws_role' | 'aws_duration' | 'aws_delivery' | 'limit' | 'approval';

export interface ConditionTrace {
  readonly condition: ConditionName;
  readonly ok: boolean;
  readonly note: string;
}

export interface Explanation {
  readonly decision: Decision;
  readonly rules: readonly RuleTrace[];
  /** The deciding allow rule's conditions, in the order they are checked. */
  readonly conditions: readonly ConditionTrace[];
  /** The same, as lines for a terminal. */
  readonly text: string;
}

export function explain(policy: Policy, request: PolicyRequest, ctx: EvalContext): Explanation {
  const decision = evaluate(policy, request, ctx);
  const { agent, action, account } = request;
  const header = `agent ${agent}, action ${action}, account ${account.id}`;
  const lines: string[] = [header];
  const rules: RuleTrace[] = [];
  const conditions: ConditionTrace[] = [];

  if (!policy.agents.has(agent)) {
    lines.push(`agent ${agent} is not declared under agents: in ${policy.fileName}: every request is denied`);
    lines.push(summary(decision));
    return { decision, rules, conditions, text: lines.join('\n') };
  }
  if (!isAccountId(account.id)) {
    lines.push('the account id is not a valid id (lowercase letters, digits and . _ : @ + -): no rule can match it');
  }

  const m = matchRequest(policy, agent, action, account);
  const deciding = m.kind === 'deny' || m.kind === 'allow' ? m.rule : undefined;
  const anyDeny = m.kind === 'deny';
  for (const r of compiled(policy).rules) {
    const rule = r.rule;
    const base = { rule: rule.id, ...(rule.line === undefined ? {} : { line: rule.line }), effect: rule.effect };
    let outcome: TraceOutcome;
    let note: string;
    if (!rule.agents.includes('*') && !rule.agents.includes(agent)) {
      outcome = 'agent_not_listed';
      note = 'does not list this agent';
    } else if (!rule.actions.includes(action)) {
      outcome = 'action_not_listed';
      note = `does not list ${action} (lists ${rule.actions.join(', ')})`;
    } else if (!isAccountId(account.id) || !ruleMatchesAccount(r, account.id, safeTags(account.tags))) {
      outcome = 'account_not_matched';
      note = `no account selector matches (${rule.accounts.join(', ')})`;
    } else {
      const by = matchedBy(r, request);
      if (r === deciding) {
        outcome = 'decides';
        note =
          rule.effect === 'deny'
            ? `matches (${by}): a deny rule wins`
            : `matches (${by}): the first matching allow rule decides`;
      } else {
        outcome = 'matched';
        note =
          rule.effect === 'deny'
            ? `matches (${by}), but an earlier deny rule is named`
            : anyDeny
              ? `matches (${by}), but a deny rule wins`
              : `matches (${by}), but an earlier allow rule decides`;
      }
    }
    rules.push({ ...base, outcome, note });
    const at = rule.line === undefined ? '' : ` (line ${rule.line})`;
    lines.push(`  ${outcome === 'decides' ? '→' : ' '} ${rule.effect} ${rule.id}${at}: ${note}`);
  }

  if (m.kind === 'allow') {
    conditions.push(...conditionTraces(m.rule, request, ctx));
    if (conditions.length > 0) lines.push(`conditions of ${m.rule.rule.id}:`);
    for (const c of conditions) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.condition}: ${c.note}`);
  } else if (m.kind === 'none') {
    lines.push('no rule matches: denied by default');
  }
  lines.push(summary(decision));
  return { decision, rules, conditions, text: lines.join('\n') };
}

function summary(d: Decision): string {
  const by = d.rule === null ? '' : ` by ${d.rule}`;
  const extra = d.approval === 'confirm' ? ', after the person confirms' : '';
  return `decision: ${d.decision}${by} (${d.reason})${extra}`;
}

function matchedBy(r: CompiledRule, request: PolicyRequest): string {
  const hits = r.selectors.filter((s) => selectorMatches(s, request.account)).map((s) => s.text);
  return `account selector ${hits.join(', ')}`;
}

function conditionTraces(r: CompiledRule, request: PolicyRequest, ctx: EvalContext): ConditionTrace[] {
  const rule = r.rule;
  const out: ConditionTrace[] = [];
  if (r.hours !== undefined && rule.hours !== undefined) {
    const h = checkHours(r.hours, ctx.now);
    const window = `${rule.hours.days.join(',')} ${rule.hours.from}–${rule.hours.to} ${rule.hours.tz}`;
    const local = h.local ? `${WEEKDAYS[h.local.day] ?? '?'} ${formatMinutes(h.local.minutes)}` : 'an unusable time';
    const after = h.windowDay === undefined ? '' : ` (after midnight, in ${h.windowDay}'s window)`;
    out.push({ condition: 'hours', ok: h.inside, note: `local time ${local}${after}; window ${window}` });
  }
  if (request.action === 'aws_session') {
    const aws = request.aws;
    const role = aws?.role;
    const roleOk =
      r.roles === undefined
        ? role === undefined || typeof role === 'string'
        : typeof role === 'string' && r.roles.has(role);
    out.push({
      condition: 'aws_role',
      ok: roleOk,
      note: `requested ${role === undefined ? 'no role' : `role ${role}`}; ${r.roles === undefined ? 'any role allowed' : `roles ${[...r.roles].join(', ')}`}`,
    });
    const max = rule.aws?.max_duration_seconds;
    const duration = aws?.duration_seconds;
    const durationOk =
      duration === undefined ||
      (typeof duration === 'number' && duration > 0 && duration <= (max ?? Number.POSITIVE_INFINITY));
    out.push({
      condition: 'aws_duration',
      ok: durationOk,
      note: `requested ${duration === undefined ? 'the default duration' : formatDuration(duration)}; ${max === undefined ? 'no cap' : `cap ${formatDuration(max)}`}`,
    });
    const delivery = aws?.delivery;
    out.push({
      condition: 'aws_delivery',
      ok: typeof delivery === 'string' && r.deliveries.has(delivery),
      note: `requested ${delivery === undefined ? 'no delivery' : delivery}; allowed ${[...r.deliveries].join(', ')}`,
    });
  }
  if (rule.limit !== undefined) {
    const { count, per_seconds } = rule.limit;
    const used = ctx.usage(rule.id, request.agent, request.account.id, per_seconds);
    out.push({
      condition: 'limit',
      ok: used < count,
      note: `${String(used)} of ${count} uses in the last ${formatDuration(per_seconds)}`,
    });
  }
  if (rule.approval === 'confirm') {
    const ttl =
      rule.approval_ttl_seconds === undefined
        ? 'asked every time'
        : `a confirmation is reused for ${formatDuration(rule.approval_ttl_seconds)}`;
    const via = approvalChannels(rule).join(', ');
    const open = formatDuration(approvalTimeoutSeconds(rule));
    out.push({
      condition: 'approval',
      ok: true,
      note: `the person must confirm (${ttl}; asked via ${via}, open ${open})`,
    });
  }
  return out;
}

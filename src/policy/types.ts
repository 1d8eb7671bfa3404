/**
 * Policy types. A `Policy` is the validated, frozen form of `policy.yaml`:
 * durations are in seconds, defaults are filled in, and nothing in it is ever widened by omission.
 */

import type { Action } from '../core/vocab.js';
export { ACTIONS, type Action } from '../core/vocab.js';

export const EFFECTS = ['allow', 'deny'] as const;
export type Effect = (typeof EFFECTS)[number];

export const APPROVALS = ['none', 'confirm'] as const;
export type Approval = (typeof APPROVALS)[number];

/** Where the person may be asked (issue 14), tried in this order: the client's own prompt, a loopback page, `totp-mcp approvals`. */
export const APPROVAL_CHANNELS = ['client', 'browser', 'terminal'] as const;
export type ApprovalChannel = (typeof APPROVAL_CHANNELS)[number];
/** How long a question stays open by default: under the usual 60 s request timeout of clients. */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 55;
/** The longest `approval_timeout` a rule may set. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 600;

/** The channels a confirm rule (or its decision) uses: its own list, else all three. */
export const approvalChannels = (r: {
  readonly approval_via?: readonly ApprovalChannel[];
}): readonly ApprovalChannel[] => r.approval_via ?? APPROVAL_CHANNELS;
/** How long a confirm rule's question stays open, in seconds. */
export const approvalTimeoutSeconds = (r: { readonly approval_timeout_seconds?: number }): number =>
  r.approval_timeout_seconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;

/** How AWS credentials may leave the process. */
import type { Delivery } from '../core/vocab.js';
export { DELIVERIES, type Delivery } from '../core/vocab.js';

/**
 * Deliveries allowed by an `aws_session` rule that does not list `aws.delivery`: every one except
 * `inline`, which puts credentials into the transcript and so must always be named explicitly.
 */
export const DEFAULT_DELIVERIES: readonly Delivery[] = ['credential_process', 'profile', 'exec', 'container'];

/** Indexed like `Date.prototype.getDay()`: 0 is Sunday. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The only policy file version this code reads. */
export const POLICY_VERSION = 1;

/** Largest policy file accepted, in bytes. */
export const MAX_POLICY_BYTES = 1024 * 1024;

interface RuleLimit {
  /** Allowed uses per window, at least 1. */
  readonly count: number;
  /** The sliding window, in seconds. */
  readonly per_seconds: number;
}

export interface RuleHours {
  /** Days on which a window may start (a window crossing midnight belongs to the day it starts). */
  readonly days: readonly Weekday[];
  /** "HH:MM", inclusive; "00:00" when the file gives only days. */
  readonly from: string;
  /**
   * "HH:MM", exclusive; "24:00" when the file gives only days. Earlier than `from` means the
   * window crosses midnight.
   */
  readonly to: string;
  /** IANA time zone, checked with Intl. */
  readonly tz: string;
}

export interface RuleAws {
  /** Role names a session may assume; absent means any role, or none. */
  readonly roles?: readonly string[];
  /** Longest session, in seconds; absent means only AWS's own limits apply. */
  readonly max_duration_seconds?: number;
  /** Allowed deliveries; `DEFAULT_DELIVERIES` when the file does not list them. */
  readonly delivery: readonly Delivery[];
}

export interface PolicyRule {
  readonly id: string;
  /** Position in file order, from 0. */
  readonly index: number;
  /** 1-based line of the rule in the file, when parsed from text. */
  readonly line?: number;
  readonly effect: Effect;
  readonly description?: string;
  /** Agent names, or `*`. */
  readonly agents: readonly string[];
  /** Account selectors: an exact id, a glob (`*`, `?`), `tag:NAME`, or `*`. */
  readonly accounts: readonly string[];
  /** For a deny rule without `actions:`, every action. */
  readonly actions: readonly Action[];
  readonly approval: Approval;
  readonly approval_ttl_seconds?: number;
  /** With `approval: confirm`: the channels that may ask, in the file's order (default all three). */
  readonly approval_via?: readonly ApprovalChannel[];
  /** With `approval: confirm`: how long a question stays open (default 55 s, at most 10 min). */
  readonly approval_timeout_seconds?: number;
  readonly limit?: RuleLimit;
  readonly hours?: RuleHours;
  /** Present for allow rules that include `aws_session`; defaults filled in. */
  readonly aws?: RuleAws;
}

export interface AgentInfo {
  readonly description?: string;
  /** A cap on all of this agent's calls (any action, any answer), across processes; absent: none. */
  readonly max_calls?: RuleLimit;
}

export interface Policy {
  readonly version: 1;
  /** The name the policy was read from, for messages. */
  readonly fileName: string;
  readonly agents: ReadonlyMap<string, AgentInfo>;
  readonly rules: readonly PolicyRule[];
}

/** An account as policy sees it: never the secret, only what selectors match on. */
export interface AccountRef {
  readonly id: string;
  readonly tags: readonly string[];
}

export interface PolicyAwsRequest {
  /** The named role to assume; absent for the MFA user's own session. */
  readonly role?: string | undefined;
  /** Requested session length; when absent, an allow carries `aws.max_duration_seconds` to cap the default. */
  readonly duration_seconds?: number | undefined;
  /** How the credentials will leave the process; required for `aws_session`. */
  readonly delivery?: string | undefined;
}

export interface PolicyRequest {
  /** From how the server was launched, never from a tool argument. */
  readonly agent: string;
  readonly action: Action;
  readonly account: AccountRef;
  readonly aws?: PolicyAwsRequest | undefined;
}

/** Counts the uses already allowed for (rule, agent, account) in the last `windowSeconds`. */
export type UsageCounter = (ruleId: string, agent: string, accountId: string, windowSeconds: number) => number;

export interface EvalContext {
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
  readonly usage: UsageCounter;
}

/** Stable reason codes: they go into the audit log and to the model, so never rename them. */
export type ReasonCode =
  | 'allowed'
  | 'no_matching_rule'
  | 'denied_by_rule'
  | 'outside_hours'
  | 'rate_limited'
  | 'aws_role_not_allowed'
  | 'aws_duration_over_cap'
  | 'aws_delivery_not_allowed'
  | 'unknown_agent';

export interface Decision {
  readonly decision: 'allow' | 'deny';
  /** The deciding rule; null for `no_matching_rule` and `unknown_agent`. */
  readonly rule: string | null;
  readonly reason: ReasonCode;
  /** A requirement for the caller (ask the person), never decided here. Always `none` on a denial. */
  readonly approval: Approval;
  /** With `approval: confirm`, how long a confirmation may be reused; absent means ask every time. */
  readonly approval_ttl_seconds?: number;
  /** With `approval: confirm`: the channels that may ask, and how long a question stays open. */
  readonly approval_via?: readonly ApprovalChannel[];
  readonly approval_timeout_seconds?: number;
  /** On an allow by a rule with a limit: `remaining` is the uses left after this one. */
  readonly limit?: { readonly count: number; readonly per_seconds: number; readonly remaining: number };
  /** On an allowed `aws_session` whose rule caps the duration: the caller must not exceed it. */
  readonly aws?: { readonly max_duration_seconds: number };
}

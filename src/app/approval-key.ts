/**
 * What a person approves, in one place: the subject of a question (agent × account × action, with
 * an AWS session's role, duration and delivery × the deciding rule × the policy pin), the key a
 * remembered approval and a signed question are bound to, and the question's text. Every approval
 * channel and store uses these, so an answer given for one thing can never stand for another.
 */
import { createHash } from 'node:crypto';
import type { Action } from '../policy/types.js';
import type { Payload } from '../vault/index.js';

/** An AWS session as the person is asked about it: null means the account's default. */
export interface ApprovalAws {
  readonly role: string | null;
  readonly duration_seconds: number | null;
  readonly delivery: string;
  /** The rule's duration cap, shown when no duration was asked for (not part of the key: the rule and pin are). */
  readonly max_duration_seconds?: number | undefined;
}

export interface ApprovalSubject {
  readonly agent: string;
  readonly account: string;
  readonly action: Action;
  /** Present for `aws_session`. */
  readonly aws?: ApprovalAws | undefined;
  /** The rule that decided the request (and asks for the confirmation). */
  readonly rule: string;
  /** The pin the policy was loaded under (`pinId`): a new `policy apply` is a new pin. */
  readonly pin: string;
}

/**
 * The pinned policy's identity: its hash and when it was applied, so that re-applying even the
 * same file forgets what was remembered under the previous pin.
 */
export function pinId(pin: Payload['policy_pin']): string {
  return pin === null ? 'unpinned' : `${pin.sha256}@${pin.applied_at}`;
}

/** The key of a subject: a hex digest, equal only for the same tuple (safe to store or sign). */
export function approvalKey(s: ApprovalSubject): string {
  const aws = s.aws === undefined ? null : [s.aws.role, s.aws.duration_seconds, s.aws.delivery];
  return createHash('sha256')
    .update(JSON.stringify(['approval/v1', s.agent, s.account, s.action, aws, s.rule, s.pin]))
    .digest('hex');
}

const minutes = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

/** The question the person sees: names the agent, the account and exactly what would be released. */
export function approvalQuestion(s: ApprovalSubject): string {
  if (s.action !== 'aws_session' || s.aws === undefined)
    return s.action === 'fill'
      ? `Agent "${s.agent}" asks to fill the code of ${s.account} into its browser (it will not see the code). Allow?`
      : `Agent "${s.agent}" asks for the ${s.action === 'code' ? 'code' : s.action} of ${s.account}. Allow?`;
  const a = s.aws;
  const role = a.role === null ? "the MFA user's own session" : `role ${a.role}`;
  const duration =
    a.duration_seconds !== null
      ? `for ${minutes(a.duration_seconds)}`
      : a.max_duration_seconds === undefined
        ? 'for the default duration'
        : `for the default duration (at most ${minutes(a.max_duration_seconds)})`;
  const delivery =
    a.delivery === 'inline'
      ? 'keys returned to the agent'
      : a.delivery === 'profile'
        ? 'written to an AWS profile'
        : `delivery ${a.delivery}`;
  return `Agent "${s.agent}" asks for an AWS session on ${s.account}: ${role}, ${duration}, ${delivery}. Allow?`;
}

/** Remembered approvals: key → expiry (ms), under one pin; a new pin forgets them all. */
export class RememberedApprovals {
  static readonly MAX = 1024;
  readonly #until = new Map<string, number>();
  #pin: string | undefined;

  /** Forgets everything when `pin` is not the one the entries were made under. */
  #under(pin: string): void {
    if (this.#pin === pin) return;
    this.#until.clear();
    this.#pin = pin;
  }

  has(s: ApprovalSubject, now: number): boolean {
    this.#under(s.pin);
    const until = this.#until.get(approvalKey(s));
    return until !== undefined && until > now;
  }

  remember(s: ApprovalSubject, until: number, now: number): void {
    this.#under(s.pin);
    if (this.#until.size >= RememberedApprovals.MAX)
      for (const [k, t] of this.#until)
        if (t <= now || this.#until.size >= RememberedApprovals.MAX) this.#until.delete(k);
    this.#until.set(approvalKey(s), until);
  }
}

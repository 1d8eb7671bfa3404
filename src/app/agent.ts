/**
 * What an agent may do, decided and recorded: the one path from an agent-facing front (MCP, and
 * `code --agent`) to a secret. Order, always: policy → approval → audit (fsynced) → secret.
 *
 * The agent's name comes from how the front was launched (`--agent`, TOTP_MCP_AGENT), never from
 * a request. The client's self-description is recorded, never trusted.
 */
import { statSync, type BigIntStats } from 'node:fs';
import type { AuditApproval, AuditAws, AuditClient, AuditInput } from '../audit/event.js';
import { isTrailBroken, openAuditLog, type AuditLog } from '../audit/log.js';
import { sleep } from '../core/clock.js';
import { sameStamp, type FileStamp } from '../core/file-stamp.js';
import { perTurn } from '../core/per-turn.js';
import { diskErrno, isTotpMcpError, refusal, type ErrorKind, type TotpMcpError } from '../core/errors.js';
import type { Account, IssuedCode } from '../core/model.js';
// Specific policy modules, not the barrel: the YAML parser stays off the agent path.
import { describeAgent, evaluate, matchRequest, visibleAccounts, type AgentDescription } from '../policy/evaluate.js';
import {
  approvalChannels,
  approvalTimeoutSeconds,
  type Action,
  type ApprovalChannel,
  type PolicyAwsRequest,
  type Decision,
  type Policy,
  type PolicyRequest,
  type ReasonCode,
} from '../policy/types.js';
import { longestWindowSeconds } from '../policy/windows.js';
import type { Payload, Vault } from '../vault/index.js';
import type { Located } from '../browser/fill.js';
import { checkId } from './accounts.js';
import { approvalKey, approvalQuestion, pinId, RememberedApprovals, type ApprovalSubject } from './approval-key.js';
import { fleetRecall, fleetRemember } from './fleet.js';
import { auditKey } from './audit.js';
import { issueFor } from './codes.js';
import { freesUpText, limitFreesAt } from './frees-at.js';
import { LimitLedger, type Reservation } from './limits.js';
import type { AppContext } from './context.js';
import { PolicyGate, policyProblem } from './policy-file.js';
import { brokenMessage, rollbackMessage, ROLLBACK_HINT, TrailGuard } from './trail.js';

const REASON_TEXT: Record<ReasonCode, [ErrorKind, string]> = {
  allowed: ['internal', 'allowed'],
  no_matching_rule: ['denied', 'no policy rule allows this'],
  denied_by_rule: ['denied', 'a deny rule forbids this'],
  outside_hours: ['outside_hours', 'outside the hours the policy allows'],
  rate_limited: ['rate_limited', 'the policy limit for this account is used up for now'],
  aws_role_not_allowed: ['denied', 'the policy does not allow this role'],
  aws_duration_over_cap: ['denied', 'the requested duration is over the policy cap'],
  aws_delivery_not_allowed: ['denied', 'the policy does not allow this delivery'],
  unknown_agent: ['denied', 'this agent is not in the policy'],
};

/** `freesUp`: for `rate_limited`, when the next use is let through (frees-at.ts), after the rule. */
export function denialError(d: Decision, freesUp?: string): TotpMcpError {
  const [code, text] = REASON_TEXT[d.reason];
  const why = [d.rule ? `rule ${d.rule}` : '', freesUp ?? ''].filter(Boolean).join('; ');
  return refusal(code, why ? `${text} (${why})` : text);
}

/**
 * The person's answer, as the front has it, for exactly this subject (approval-key.ts). `ask`: the
 * front must ask first: the request then ends with `ApprovalRequired`, nothing decided or
 * recorded, and the front calls again with the answer. `error`/`timeout`: asking failed (the
 * client answered with an error or something malformed, or not in time): refused and recorded.
 */
export type ApprovalAnswer = Exclude<AuditApproval, 'none' | 'remembered'> | 'ask';
// ---- issue 14: approval channels (app/approvals/) ----
/** What the deciding rule says about asking: the channels it allows, in order, its TTL and how long to wait. */
export interface ApprovalHow {
  readonly via: readonly ApprovalChannel[];
  readonly ttlSeconds: number | undefined;
  readonly timeoutMs: number;
}
/**
 * An answer with the channel it came by (null: none answered). `rememberSeconds`: how long a yes
 * is kept, capped by the rule's TTL (0: "allow once"; absent: the rule's TTL).
 */
export interface ApprovalOutcome {
  readonly answer: ApprovalAnswer;
  readonly channel: ApprovalChannel | null;
  readonly rememberSeconds?: number | undefined;
}
export type ApprovalAsker = (
  subject: ApprovalSubject,
  how: ApprovalHow,
) => Promise<ApprovalAnswer | ApprovalOutcome> | ApprovalAnswer | ApprovalOutcome;
/** The audit reason of an approval outcome: the channel is named when it is not the client's own prompt. */
const viaReason = (reason: string, via: ApprovalChannel | null): string =>
  via === null || via === 'client' ? reason : `${reason}:${via}`;
// ---- end issue 14 ----

/**
 * Thrown when the person must be asked before the request can be decided. Not an error but a
 * signal: nothing was decided or recorded, the approval flow (mcp/approval.ts) always catches it,
 * asks, and calls again; it never reaches a person or an agent. It extends Error only to be
 * thrown through `gated`, past the producer, like any rejection.
 */
export class ApprovalRequired extends Error {
  constructor(
    readonly question: string,
    readonly subject: ApprovalSubject,
  ) {
    super(question);
    this.name = 'ApprovalRequired';
  }
}

/** The fixed text of each refused approval (never the client's own words). */
const APPROVAL_REFUSED: Record<
  'unavailable' | 'declined' | 'cancelled' | 'error' | 'timeout' | 'expired' | 'withdrawn',
  string
> = {
  unavailable: 'this account needs the person to confirm, and this client cannot ask',
  declined: 'the person declined the request',
  cancelled: 'the person cancelled the request',
  error: 'the client did not return a usable answer to the approval request',
  timeout: 'the person did not answer the approval request in time',
  expired: 'nobody answered in time',
  withdrawn: 'the request was withdrawn',
};

/** Longest wait `min_remaining_seconds` may cause (one step at most). */
export const MAX_MIN_REMAINING_SECONDS = 15;

export interface RequestContext {
  client: AuditClient | null;
  /** Present when the front can ask the person; absent means it cannot. */
  approve?: ApprovalAsker | undefined;
  signal?: AbortSignal | undefined;
}

/** What `produce` hands back: the value for the caller, and what the audit event records about it. */
export interface Produced<T> {
  value: T;
  step?: number | null;
  aws?: AuditAws | null;
  /** `fill`: the page's origin, recorded on the event. */
  origin?: string | null;
}
export type Producer<T> = (account: Account, decision: Decision) => Promise<Produced<T>>;

export interface VisibleAccount {
  id: string;
  issuer: string;
  label: string;
  type: Account['type'];
  actions: Action[];
  approval_required: boolean;
}

/** A rate limit as it stands for one account (uses per rule, agent and account). */
export interface LimitLeft {
  rule: string;
  account: string;
  count: number;
  per_seconds: number;
  remaining: number;
}

export type AgentAccess = AgentDescription & { limits: LimitLeft[] };

export class AgentService {
  readonly #gate: PolicyGate;
  #audit: AuditLog | undefined;
  /** Remembered confirmations, by approval key (approval-key.ts), forgotten on a new policy pin. */
  readonly #approved = new RememberedApprovals();
  #cached: { stamp: FileStamp | undefined; payload: Promise<Payload> } | undefined;
  /** The longest window the policy counts over (ms), for audit retention; unknown until loaded. */
  #countedMs: number | undefined;
  /** This home's audit trail against the vault (app/trail.ts). */
  readonly #trail: TrailGuard;
  /** Whether the vault last read anchors this home's trail (then the writer is strict). */
  #anchored = false;
  #vault: Vault | undefined;
  #ledger: LimitLedger | undefined;
  /**
   * The vault file's identity, read once per turn of the event loop (core/per-turn.ts) and
   * synchronously: a stat costs a few microseconds, a trip to the thread pool several times more.
   * undefined: no file (read() says so).
   */
  readonly #vaultStat = perTurn((): BigIntStats | undefined => {
    try {
      return statSync(this.ctx.paths.vault, { bigint: true, throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  });

  constructor(
    readonly ctx: AppContext,
    readonly agent: string,
  ) {
    this.#gate = new PolicyGate(ctx.paths.policy);
    this.#trail = new TrailGuard(ctx.paths.state);
  }

  /** Opens the vault and the audit log; call once at start-up to fail fast. */
  async open(): Promise<void> {
    this.#auditLog(await this.#payload());
  }

  async close(): Promise<void> {
    await this.#ledger?.idle();
    await this.#audit?.close();
  }

  /** The applied policy's agent names, for serve's start-up line; null when no usable policy is applied. Records nothing. */
  async policyAgents(): Promise<string[] | null> {
    try {
      return [...(await this.#gate.load((await this.#payload()).policy_pin)).policy.agents.keys()];
    } catch (e) {
      if (policyProblem(e) !== undefined) return null;
      throw e;
    }
  }

  /**
   * The vault's payload, decrypted once per version of the file: a write is a rename (a new
   * inode), so a changed file is always read again, ours (HOTP) and other processes' alike.
   */
  async #payload(): Promise<Payload> {
    const stamp = this.#vaultStat();
    try {
      let cached = this.#cached;
      if (cached === undefined || !sameStamp(cached.stamp, stamp)) {
        cached = {
          stamp,
          payload: this.ctx.vault().then((v) => {
            this.#vault = v;
            return v.read();
          }),
        };
        this.#cached = cached;
      }
      return await cached.payload;
    } catch (e) {
      this.#cached = undefined;
      throw e;
    }
  }

  #auditLog(payload: Payload): AuditLog {
    this.#audit ??= openAuditLog(this.ctx.paths.state, auditKey(payload), {
      clock: this.ctx.clock,
      retention: { protectMs: () => this.#countedMs },
      anchored: () => this.#anchored,
    });
    return this.#audit;
  }

  #limits(payload: Payload): LimitLedger {
    this.#ledger ??= new LimitLedger(this.ctx.paths.state, this.#auditLog(payload), this.ctx.clock);
    return this.#ledger;
  }

  /** Records an event; a failed write fails the request (closed). */
  async #record(payload: Payload, event: Omit<AuditInput, 'agent'>, client: AuditClient | null): Promise<void> {
    try {
      // The generation this decision saw, or wrote (an HOTP counter): what a rollback must not undercut.
      const gen = Math.max(payload.generation, this.#vault?.generationSeen ?? 0);
      await this.#auditLog(payload).append({ ...event, agent: this.agent, client, gen });
    } catch (e) {
      if (isTrailBroken(e))
        throw refusal('internal', `${e.message}, so nothing was released`, { hint: e.hint, cause: e });
      // A full or read-only disk is named as such (the person can fix it); the path stays out.
      const disk = diskErrno(e);
      const why = disk === undefined ? '' : disk === 'EROFS' ? ' (its disk is read-only)' : ' (its disk is full)';
      throw refusal('internal', `the audit log could not be written${why}, so nothing was released`);
    }
  }

  /**
   * The trail's verdict (app/trail.ts): a vault older than its trail has seen refuses every
   * request (its policy and HOTP counters may be old ones); a broken trail refuses what a limited
   * rule decides (its counts would start afresh). Recorded when the log still takes events.
   */
  async #checkTrail(
    payload: Payload,
    limited: boolean,
    action: AuditInput['action'],
    account: string | null,
    client: AuditClient | null,
  ): Promise<void> {
    const homeId = (await this.ctx.vault()).homeId;
    this.#anchored = payload.anchors[homeId] !== undefined;
    const v = await this.#trail.verdict(payload, homeId);
    if (v.rollback !== null) {
      await this.#record(payload, { action, account, decision: 'deny', reason: 'vault_rollback' }, client).catch(
        () => undefined,
      );
      throw refusal('vault_locked', `${rollbackMessage(v.rollback)}; ${ROLLBACK_HINT}`);
    }
    if (limited && v.broken !== null) {
      await this.#record(payload, { action, account, decision: 'deny', reason: 'audit_trail_broken' }, client).catch(
        () => undefined,
      );
      throw refusal(
        'denied',
        `${brokenMessage(v.broken)}: requests under a rule with a limit are refused until the owner runs 'totp-mcp audit reset'`,
      );
    }
  }

  /** The policy, or a recorded denial that says why it cannot be used. */
  async #policy(
    payload: Payload,
    action: AuditInput['action'],
    account: string | null,
    client: AuditClient | null,
  ): Promise<Policy> {
    await this.#checkTrail(payload, false, action, account, client);
    try {
      const policy = (await this.#gate.load(payload.policy_pin)).policy;
      this.#countedMs = longestWindowSeconds(policy) * 1000;
      return policy;
    } catch (e) {
      const problem = policyProblem(e);
      if (problem === undefined) throw e;
      await this.#record(payload, { action, account, decision: 'deny', reason: `policy_${problem}` }, client);
      throw e;
    }
  }

  /**
   * The agent's cap on all its calls (`max_calls`), counted from the audit log across processes.
   * Over it, `rate_limited`; only the first refusal of a window is recorded (it is itself an
   * event, so the count then stays over the cap): recording each one would let a capped agent
   * keep filling the disk with refusals.
   */
  async #capped(
    payload: Payload,
    policy: Policy,
    action: AuditInput['action'],
    account: string | null,
    client: AuditClient | null,
  ): Promise<void> {
    const cap = policy.agents.get(this.agent)?.max_calls;
    if (cap === undefined) return;
    const now = this.ctx.clock.now();
    const used = await this.#auditLog(payload).countCalls(this.agent, now - cap.per_seconds * 1000, now);
    if (used < cap.count) return;
    if (used === cap.count)
      await this.#record(payload, { action, account, decision: 'deny', reason: 'max_calls' }, client);
    throw refusal('rate_limited', "this agent's max_calls in the policy is used up for now");
  }

  /**
   * Decides a request, in one straight sequence: evaluate → (a limited rule: reserve a use,
   * app/limits.ts) → approval → produce → record. The policy is evaluated once, without counts:
   * a limit is the last condition it checks, so an allow by a limited rule is then checked (and a
   * use reserved) under the key's short cross-process lock, which makes a limit of N mean N across
   * every process; `produce` runs outside any lock. Its audit details go into the event, which is
   * fsynced before the value is returned. A failure of `produce` is recorded as an error and gives
   * the reserved use back.
   */
  async #decide<T>(
    payload: Payload,
    policy: Policy,
    request: PolicyRequest,
    account: Account,
    rc: RequestContext,
    produce: Producer<T>,
  ): Promise<T> {
    const now = this.ctx.clock.now();
    let d = evaluate(policy, request, { now, usage: () => 0 });
    const base = { action: request.action, account: account.id } as const;
    if (d.decision === 'deny') {
      await this.#record(
        payload,
        { ...base, approval: null, decision: 'deny', rule: d.rule, reason: d.reason },
        rc.client,
      );
      throw denialError(d);
    }
    const limit = policy.rules.find((r) => r.id === d.rule)?.limit;
    if (limit !== undefined || account.type === 'hotp' || request.action === 'aws_session')
      await this.#fleetOrRefuse(payload, request, account.id, d.rule, rc); // issue 15
    let reserved: Reservation | undefined;
    if (limit !== undefined && d.rule !== null) {
      await this.#checkTrail(payload, true, request.action, account.id, rc.client);
      const key = { rule: d.rule, agent: request.agent, account: account.id };
      const got = await this.#limits(payload).reserve(key, limit);
      // Issue 15: and the fleet's count (every machine's uses), once this machine's allows it.
      const fleetFull = got.ok ? await this.#fleetReserve(payload, request, d.rule, got, key, limit, rc) : null;
      if (!got.ok || fleetFull !== null) {
        await this.#record(
          payload,
          { ...base, approval: null, decision: 'deny', rule: d.rule, reason: 'rate_limited' },
          rc.client,
        );
        // The span is told from now, after the refusal was recorded.
        const at = got.ok ? fleetFull : limitFreesAt(got.usage, key, limit, got.now);
        const t = this.ctx.clock.now();
        throw denialError(
          { ...d, decision: 'deny', reason: 'rate_limited' },
          at === null ? undefined : freesUpText(at, Math.max(t, got.ok ? t : got.now)),
        );
      }
      reserved = got;
      const left = Math.max(0, limit.count - got.used - 1);
      d = { ...d, limit: { count: limit.count, per_seconds: limit.per_seconds, remaining: left } };
    }
    let out: Produced<T>;
    let approval: AuditApproval;
    let via: ApprovalChannel | null;
    try {
      ({ approval, via } = await this.#approval(d, payload, request, rc));
      if (approval !== 'none' && approval !== 'confirmed' && approval !== 'remembered') {
        await this.#record(
          payload,
          { ...base, approval, decision: 'deny', rule: d.rule, reason: viaReason(`approval_${approval}`, via) },
          rc.client,
        );
        throw refusal('approval_declined', APPROVAL_REFUSED[approval]);
      }
      try {
        out = await produce(account, d);
      } catch (e) {
        const code = isTotpMcpError(e) ? e.code : 'internal';
        await this.#record(
          payload,
          { ...base, approval, decision: 'error', rule: d.rule, reason: `error_${code}` },
          rc.client,
        );
        throw e;
      }
    } catch (e) {
      await reserved?.release().catch(() => undefined);
      throw e;
    }
    const allow = {
      ...base,
      approval,
      decision: 'allow',
      rule: d.rule,
      reason: viaReason('allowed', via),
      step: out.step ?? null,
      aws: out.aws ?? null,
      origin: out.origin ?? null,
    } as const;
    const record = (): Promise<void> => this.#record(payload, allow, rc.client);
    await (reserved ? reserved.commit(record) : record());
    return out.value;
  }

  /**
   * The gate every agent-facing secret goes through: policy (with tamper checks) → approval →
   * `produce` → audit (fsynced) → value. `getCode` uses it; so does the AWS session work.
   */
  async gated<T>(
    rc: RequestContext,
    req: { action: Action; account: string; aws?: PolicyAwsRequest | undefined },
    produce: Producer<T>,
  ): Promise<T> {
    checkId(req.account);
    const payload = await this.#payload();
    const policy = await this.#policy(payload, req.action, req.account, rc.client);
    await this.#capped(payload, policy, req.action, req.account, rc.client);
    const account = await this.#find(payload, policy, req, rc.client);
    const request: PolicyRequest = {
      agent: this.agent,
      action: req.action,
      account: { id: account.id, tags: account.tags },
      ...(req.aws && { aws: req.aws }),
    };
    return this.#decide(payload, policy, request, account, rc, produce);
  }

  /**
   * The person's approval of exactly this subject: agent × account × action (an AWS session's
   * role, duration and delivery) × deciding rule × policy pin. A remembered one counts only for
   * the same subject, and only while the rule that remembered it still has a TTL.
   */
  async #approval(
    d: Decision,
    payload: Payload,
    request: PolicyRequest,
    rc: RequestContext,
  ): Promise<{ approval: AuditApproval; via: ApprovalChannel | null }> {
    const none = { approval: 'none', via: null } as const;
    if (d.approval !== 'confirm' || d.rule === null) return none;
    const aws = request.aws;
    const subject: ApprovalSubject = {
      agent: this.agent,
      account: request.account.id,
      action: request.action,
      ...(request.action === 'aws_session' && {
        aws: {
          role: aws?.role ?? null,
          duration_seconds: aws?.duration_seconds ?? null,
          delivery: aws?.delivery ?? 'profile',
          max_duration_seconds: d.aws?.max_duration_seconds,
        },
      }),
      rule: d.rule,
      pin: pinId(payload.policy_pin),
    };
    const now = this.ctx.clock.now();
    if (
      d.approval_ttl_seconds &&
      (this.#approved.has(subject, now) || (await fleetRecall(this.ctx, approvalKey(subject)))) // issue 15
    )
      return { approval: 'remembered', via: null };
    if (!rc.approve) return { approval: 'unavailable', via: null };
    const got = await rc.approve(subject, {
      via: approvalChannels(d),
      ttlSeconds: d.approval_ttl_seconds,
      timeoutMs: approvalTimeoutSeconds(d) * 1000,
    });
    const { answer, channel, rememberSeconds } = typeof got === 'string' ? { answer: got, channel: null } : got;
    if (answer === 'ask') throw new ApprovalRequired(approvalQuestion(subject), subject);
    const keep = Math.min(d.approval_ttl_seconds ?? 0, rememberSeconds ?? Infinity);
    if (answer === 'confirmed' && keep > 0) {
      this.#approved.remember(subject, this.ctx.clock.now() + keep * 1000, now);
      await fleetRemember(this.ctx, approvalKey(subject), this.ctx.clock.now() + keep * 1000); // issue 15
    }
    return { approval: answer, via: channel };
  }

  /**
   * An account the agent names, when an allow rule decides this action on it. Any other id, one
   * that does not exist or one this agent may not use (caught by a deny rule, by tag or by id, or
   * by no rule), is answered as a missing id: from what the agent's own rules say about the id
   * alone (no tags), so the answer is the same whether it exists or not, and says nothing about
   * its tags. `not_found` then only where the policy would let this agent use such an id. The
   * audit event records the true reason.
   */
  async #find(
    payload: Payload,
    policy: Policy,
    req: { action: Action; account: string; aws?: PolicyAwsRequest | undefined },
    client: AuditClient | null,
  ): Promise<Account> {
    const { action, account: id } = req;
    const account = payload.accounts.find((a) => a.id === id);
    if (account && matchRequest(policy, this.agent, action, account).kind === 'allow') return account;
    const ctx = { now: this.ctx.clock.now(), usage: () => 0 };
    const aws = req.aws && { aws: req.aws };
    const probe = evaluate(policy, { agent: this.agent, action, account: { id, tags: [] }, ...aws }, ctx);
    const truth = account
      ? evaluate(policy, { agent: this.agent, action, account: { id, tags: account.tags }, ...aws }, ctx)
      : probe;
    const found = probe.decision === 'allow';
    await this.#record(
      payload,
      {
        action,
        account: id,
        decision: 'deny',
        rule: truth.rule,
        reason: account ? truth.reason : found ? 'not_found' : probe.reason,
      },
      client,
    );
    throw found ? refusal('not_found', `no account '${id}'`) : denialError(probe);
  }

  /**
   * One use of a limited rule counted by the fleet (issue 15), after this machine's own count
   * reserved it: null when the fleet has room (or no coordinator), else when its window frees (this
   * machine's reservation is then given back). A failed produce later keeps the fleet's use: it
   * over-counts, never under-counts. Unreachable: recorded as an error and refused.
   */
  async #fleetReserve(
    payload: Payload,
    request: PolicyRequest,
    rule: string,
    got: Reservation,
    key: { rule: string; agent: string; account: string },
    limit: { count: number; per_seconds: number },
    rc: RequestContext,
  ): Promise<number | null> {
    try {
      const c = await this.ctx.coordinator();
      if (c === null) return null;
      const r = await c.reserve(
        `limit\0${key.rule}\0${key.agent}\0${key.account}`,
        limit.count,
        limit.per_seconds * 1000,
      );
      if (r.ok) return null;
      await got.release();
      return r.freesAtMs;
    } catch (e) {
      await got.release().catch(() => undefined);
      const code = isTotpMcpError(e) ? e.code : 'internal';
      await this.#record(
        payload,
        {
          action: request.action,
          account: key.account,
          approval: null,
          decision: 'error',
          rule,
          reason: `error_${code}`,
        },
        rc.client,
      );
      throw e;
    }
  }

  /**
   * Fleet mode (issue 15): what must be single use or counted across machines (a limited rule, an
   * HOTP counter, an AWS session) is refused, and recorded as an error, while a configured
   * coordinator cannot be reached. No coordinator configured: nothing to do.
   */
  async #fleetOrRefuse(
    payload: Payload,
    request: PolicyRequest,
    account: string,
    rule: string | null,
    rc: RequestContext,
  ): Promise<void> {
    try {
      await this.ctx.coordinator();
    } catch (e) {
      const code = isTotpMcpError(e) ? e.code : 'internal';
      await this.#record(
        payload,
        { action: request.action, account, approval: null, decision: 'error', rule, reason: `error_${code}` },
        rc.client,
      );
      throw e;
    }
  }

  async #waitForFreshStep(account: Account, minRemaining: number, signal: AbortSignal | undefined): Promise<void> {
    if (account.type === 'hotp') return;
    const periodMs = account.period * 1000;
    const now = this.ctx.clock.now();
    const left = periodMs - (now % periodMs);
    if (left >= minRemaining * 1000 || minRemaining * 1000 > periodMs) return;
    await sleep(left + 5, signal).catch(() => {
      throw refusal('internal', 'cancelled');
    });
  }

  /** Accounts this agent may use under some rule: nothing about the others. */
  async listAccounts(rc: RequestContext, tag?: string): Promise<VisibleAccount[]> {
    const payload = await this.#payload();
    const policy = await this.#policy(payload, 'list', null, rc.client);
    await this.#capped(payload, policy, 'list', null, rc.client);
    const byId = new Map(payload.accounts.map((a) => [a.id, a]));
    const visible = visibleAccounts(policy, this.agent, payload.accounts, { now: this.ctx.clock.now() })
      .map((v) => ({ v, a: byId.get(v.id) }))
      .filter(
        (x): x is { v: (typeof x)['v']; a: Account } =>
          x.a !== undefined && (tag === undefined || x.a.tags.includes(tag)),
      )
      .map(({ v, a }) => ({
        id: a.id,
        issuer: a.issuer,
        label: a.label,
        type: a.type,
        actions: [...v.actions],
        approval_required: v.approval,
      }));
    await this.#record(payload, { action: 'list', decision: 'allow', reason: 'allowed' }, rc.client);
    return visible;
  }

  /**
   * This agent's own rules (never another agent's), and what is left of each limit on each
   * account whose code or aws_session requests a limited rule decides.
   */
  async describeAccess(rc: RequestContext): Promise<AgentAccess> {
    const payload = await this.#payload();
    const policy = await this.#policy(payload, 'describe', null, rc.client);
    await this.#capped(payload, policy, 'describe', null, rc.client);
    const now = this.ctx.clock.now();
    const usage = await this.#auditLog(payload).usageCounter(now);
    const limits: LimitLeft[] = [];
    const seen = new Set<string>();
    for (const a of payload.accounts) {
      for (const action of ['code', 'aws_session', 'fill'] as const) {
        const d = evaluate(policy, { agent: this.agent, action, account: { id: a.id, tags: a.tags } }, { now, usage });
        const rule = d.rule === null ? undefined : policy.rules.find((r) => r.id === d.rule);
        if (rule?.effect !== 'allow' || rule.limit === undefined || seen.has(`${rule.id}\0${a.id}`)) continue;
        seen.add(`${rule.id}\0${a.id}`);
        const { count, per_seconds } = rule.limit;
        limits.push({
          rule: rule.id,
          account: a.id,
          count,
          per_seconds,
          remaining: Math.max(0, count - usage(rule.id, this.agent, a.id, per_seconds)),
        });
      }
    }
    await this.#record(payload, { action: 'describe', decision: 'allow', reason: 'allowed' }, rc.client);
    return { ...describeAgent(policy, this.agent), limits };
  }

  /**
   * A code, if policy (and the person, when asked) allow it; recorded before it is returned.
   * With `minRemainingSeconds`, a TOTP code about to expire is not handed out: the call waits
   * (at most one step, ≤ 15 s, cancellable) for the next step and issues that code then. It never
   * returns a future step's code: no front can name another time (the policy is decided at now).
   */
  async getCode(
    rc: RequestContext,
    accountId: string,
    opts: { minRemainingSeconds?: number | undefined } = {},
  ): Promise<IssuedCode> {
    return this.gated(rc, { action: 'code', account: accountId }, async (account) => {
      if (opts.minRemainingSeconds) {
        await this.#waitForFreshStep(account, Math.min(opts.minRemainingSeconds, MAX_MIN_REMAINING_SECONDS), rc.signal);
      }
      const issued = await issueFor(this.ctx, account, this.ctx.clock.now());
      return { value: issued, step: issued.step };
    });
  }

  // ---- issue 17: fill a code into the agent's browser (browser/fill.ts) ----
  /**
   * Types a code into the page the agent's browser shows, on one of the account's origins; the
   * code never comes back. Decided like `getCode` under the action `fill`. The page and the field
   * are found once the policy allows (so an account's existence and origins say nothing to an
   * agent that may not fill it) and before the code is computed; the allow event, with the page's
   * origin, is fsynced before the first keystroke.
   */
  async fillCode(
    rc: RequestContext,
    accountId: string,
    opts: { endpoint: string; selector?: string | undefined; minRemainingSeconds?: number | undefined },
  ): Promise<FillResult> {
    // Set inside the producer; closed on every path (a refusal, a failed audit write, a typed code).
    const held: { at?: Located } = {};
    try {
      const issued = await this.gated(rc, { action: 'fill', account: accountId }, async (account) => {
        const origins = account.origins ?? [];
        if (origins.length === 0)
          throw refusal('denied', 'this account has no origins where its code may be filled', {
            hint: "the owner adds the site with 'totp-mcp origins ID +https://…'",
          });
        const { locate } = await import('../browser/fill.js');
        const at = await locate({ endpoint: opts.endpoint, origins, selector: opts.selector });
        held.at = at;
        if (opts.minRemainingSeconds) {
          await this.#waitForFreshStep(
            account,
            Math.min(opts.minRemainingSeconds, MAX_MIN_REMAINING_SECONDS),
            rc.signal,
          );
        }
        const code = await issueFor(this.ctx, account, this.ctx.clock.now());
        return { value: code, step: code.step, origin: at.origin };
      });
      const located = held.at;
      if (located === undefined) throw refusal('internal', 'the page was not located');
      await located.type(issued.code);
      return {
        account: issued.account,
        filled: true,
        origin: located.origin,
        field: located.field,
        expires_at: issued.expires_at,
      };
    } finally {
      await held.at?.close();
    }
  }
}

/** What `fillCode` returns: where the code went, never the code. */
export interface FillResult {
  account: string;
  filled: true;
  origin: string;
  field: string;
  expires_at: string | null;
}

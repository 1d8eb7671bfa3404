/**
 * Audit events (DESIGN §2 "Audit log"). An event can only hold enums, ids that match a safe
 * pattern, integers, an ISO timestamp and two short self-reported client strings: there is no
 * free-text field, so a code, a seed, a key, a token or a passphrase has nowhere to go. The
 * TypeScript types say so (a `Redacted` value is not a string, enums are closed unions), and the
 * plain checks below enforce it at run time on every append: extra fields are rejected, an id or a
 * reason that does not match its pattern is rejected, the client's name and version are stripped
 * of control and format characters and cut to 64 characters. The zod schemas in event-schema.ts
 * are the reference (a property test holds the plain checks to them); they are loaded only to
 * word a rejection and by `audit verify`, which keeps zod off every agent request's path.
 */
import { ID_PATTERN } from '../core/model.js';

/**
 * What was asked for. Closed: adding a kind means adding it here (and to `COUNTED_ACTIONS` if it
 * hands out something that a rate limit counts).
 */
export const AUDIT_ACTIONS = [
  'list', // list_accounts / `totp-mcp list`
  'code', // a TOTP/HOTP/Steam code
  'aws_session', // AWS credentials (any delivery)
  'describe', // describe_access / `policy explain`
  'policy_apply', // a policy file pinned into the vault
  'account_add',
  'account_update',
  'account_remove',
  'account_import',
  'account_export',
  'vault_init',
  'vault_rekey', // recipients or identity changed
  'audit_verify',
  'audit_reset', // the owner started a new chain after a break (the event's `reset` names it)
  'vault_accept_rollback', // the owner accepted a vault older than the trail had seen
  'account_counter_back', // the owner moved an HOTP counter back (`edit --force`): step is the new counter, reason `from:<old>`
  'vault_restore', // the owner put a backup generation back (`restore`): gen is the one it replaced, reason `to:<restored>`
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The actions whose allowed uses count towards a rule's `limit`. */
export const COUNTED_ACTIONS: readonly AuditAction[] = ['code', 'aws_session'];

export const AUDIT_DECISIONS = ['allow', 'deny', 'error'] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

/**
 * How the person's approval went. `error`: the client answered the question with an error or
 * something malformed; `timeout`: it did not answer in time. Both are refusals. The zod twin
 * (event-schema.ts) takes this same list.
 */
export const AUDIT_APPROVALS = [
  'none',
  'confirmed',
  'remembered',
  'declined',
  'cancelled',
  'unavailable',
  'error',
  'timeout',
  // Issue 14: nobody answered on any channel before the question closed; the client cancelled the call.
  'expired',
  'withdrawn',
] as const;
export type AuditApproval = (typeof AUDIT_APPROVALS)[number];

import { DELIVERIES as AUDIT_DELIVERIES, HEX64, type Delivery as AuditDelivery } from '../core/vocab.js';
export { AUDIT_DELIVERIES, HEX64, type AuditDelivery };

/** Agent names and account ids: the project's id alphabet (core/model.ts), lowercase ASCII, ≤ 64. */
export const AUDIT_ID_PATTERN = ID_PATTERN;
/** Policy rule ids: ASCII letters, digits and `. _ : @ + -`, ≤ 64, starting with a letter or digit. */
export const AUDIT_RULE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,63}$/;
/** Reason codes: stable snake_case words such as `rate_limited`, ≤ 64. */
export const AUDIT_REASON_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;
/** An IAM role name, or a role ARN. */
export const AUDIT_ROLE_PATTERN = /^(?:[\w+=,.@-]{1,64}|arn:aws[a-z-]{0,16}:iam::\d{12}:role\/[\w+=,.@/-]{1,256})$/;
/** RoleSessionName / SourceIdentity alphabet (AWS): `[\w+=,.@-]`, 2 to 64 characters. */
export const AUDIT_SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
/** ISO 8601 UTC timestamp, as `Date.prototype.toISOString` writes it (seconds fraction optional). */
export const ISO_UTC_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Longest client name or version kept, in characters (code points). */
export const CLIENT_FIELD_MAX = 64;
/** Longest owner's reason kept on an `audit_reset` event, in characters (code points). */
export const RESET_REASON_MAX = 200;
/** Longest AWS session accepted (GetSessionToken allows 36 h). */
export const MAX_AWS_DURATION_SECONDS = 129_600;

/** The client as it described itself (MCP `clientInfo`): recorded, never trusted. */
export interface AuditClient {
  readonly name: string;
  readonly version: string;
}

export interface AuditAws {
  /** The role assumed (name or ARN); `null` for the MFA user's own session. */
  readonly role: string | null;
  /** Seconds. */
  readonly duration: number;
  /** When the credentials expire (ISO 8601), or null when not issued. */
  readonly expires: string | null;
  readonly delivery: AuditDelivery;
  /** RoleSessionName / SourceIdentity sent to AWS, or null. */
  readonly session_name: string | null;
}

/** What an `audit_reset` event says about the break it starts after. */
export interface AuditReset {
  /** The last seq known of the old chain (its head or the vault's anchor, whichever is later); 0 when none. */
  readonly seq: number;
  /** That event's MAC, when known. */
  readonly mac: string | null;
  /** The owner's words (`audit reset --reason`), stripped of unprintable characters and cut. */
  readonly reason: string;
}

/** What a caller passes to `append`: one decision. Optional fields default to null. */
export interface AuditInput {
  /** The agent the server was launched for; null for the owner's own CLI. */
  readonly agent: string | null;
  readonly client?: AuditClient | null;
  readonly action: AuditAction;
  readonly account?: string | null;
  readonly decision: AuditDecision;
  /** The deciding policy rule, if any. */
  readonly rule?: string | null;
  /** A stable reason code (`allowed`, `rate_limited`, `io_error`, …). */
  readonly reason: string;
  /** The OTP time step (or HOTP counter) used, if a code was computed. */
  readonly step?: number | null;
  readonly approval?: AuditApproval | null;
  readonly aws?: AuditAws | null;
  /** The vault generation the decision was made with (app/trail.ts). */
  readonly gen?: number | null;
  /** Only on an `audit_reset` event. */
  readonly reset?: AuditReset | null;
}

/** One line of the log. Keys are written in canonical (sorted) order; see canonical.ts. */
export interface AuditEvent {
  readonly v: 1;
  /** 1, 2, 3… along the whole chain, across rotated files. */
  readonly seq: number;
  /** ISO 8601 with milliseconds, UTC. */
  readonly ts: string;
  readonly agent: string | null;
  readonly client: AuditClient | null;
  readonly action: AuditAction;
  readonly account: string | null;
  readonly decision: AuditDecision;
  readonly rule: string | null;
  readonly reason: string;
  readonly step: number | null;
  readonly approval: AuditApproval | null;
  readonly aws: AuditAws | null;
  /** The vault generation (absent in events written before generations existed). */
  readonly gen?: number | null;
  /** Present only on an `audit_reset` event. */
  readonly reset?: AuditReset;
  readonly pid: number;
  /** Hex MAC of the previous event; 64 zeros for the first. */
  readonly prev: string;
  /** Hex HMAC-SHA256 over `prev ‖ canonical(event without mac)`. */
  readonly mac: string;
}

/** An event before the chain fields are assigned (under the lock). */
export type AuditBody = Omit<AuditEvent, 'seq' | 'prev' | 'mac'>;

/**
 * Control (Cc), format (Cf: zero-width and bidi overrides), private-use (Co) and lone surrogate
 * (Cs) characters: none of them belongs in a name, and some could disguise a line in `audit tail`.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
const HAS_UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;

/** Strips unprintable characters and keeps at most `CLIENT_FIELD_MAX` code points. */
export function cleanClientText(text: string): string {
  // The usual case, on every event: short and printable (code points ≤ UTF-16 units).
  if (text.length <= CLIENT_FIELD_MAX && !HAS_UNPRINTABLE.test(text)) return text;
  const clean = text.replace(UNPRINTABLE, '');
  const chars = Array.from(clean);
  return chars.length <= CLIENT_FIELD_MAX ? clean : chars.slice(0, CLIENT_FIELD_MAX).join('');
}

/** Normalized caller fields, ready to be stamped. */
export type CheckedInput = Omit<AuditBody, 'v' | 'ts' | 'pid' | 'gen' | 'reset'> & {
  readonly gen: number | null;
  readonly reset: AuditReset | null;
};

const INPUT_KEYS: ReadonlySet<string> = new Set([
  'agent',
  'client',
  'action',
  'account',
  'decision',
  'rule',
  'reason',
  'step',
  'approval',
  'aws',
  'gen',
  'reset',
]);
/** A stored event's keys; `gen` and `reset` may be absent. */
const EVENT_KEYS: ReadonlySet<string> = new Set([...INPUT_KEYS, 'v', 'seq', 'ts', 'pid', 'prev', 'mac']);
const OPTIONAL_EVENT_KEYS = 2;
const RESET_KEYS: ReadonlySet<string> = new Set(['seq', 'mac', 'reason']);
const AWS_KEYS: ReadonlySet<string> = new Set(['role', 'duration', 'expires', 'delivery', 'session_name']);
const ACTIONS: ReadonlySet<unknown> = new Set(AUDIT_ACTIONS);
const DECISIONS: ReadonlySet<unknown> = new Set(AUDIT_DECISIONS);
const APPROVALS: ReadonlySet<unknown> = new Set(AUDIT_APPROVALS);
const DELIVERIES: ReadonlySet<unknown> = new Set(AUDIT_DELIVERIES);

const isObj = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};
const onlyKeys = (o: Record<string, unknown>, keys: ReadonlySet<string>, required: boolean): boolean => {
  let n = 0;
  for (const k in o) {
    if (!Object.hasOwn(o, k) || !keys.has(k)) return false;
    n++;
  }
  return !required || n === keys.size;
};
const matches = (x: unknown, re: RegExp): x is string => typeof x === 'string' && re.test(x);
const nonNegInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isoUtc = (x: unknown): x is string => matches(x, ISO_UTC_PATTERN) && !Number.isNaN(Date.parse(x));
/** `undefined` means "absent" (the default, null), `false` means invalid. */
const orNull = <T>(x: unknown, ok: (v: unknown) => v is T): T | null | false =>
  x === undefined || x === null ? null : ok(x) ? x : false;

function checkAws(x: unknown): AuditAws | null | false {
  if (x === undefined || x === null) return null;
  if (!isObj(x) || !onlyKeys(x, AWS_KEYS, true)) return false;
  const { role, duration, expires, delivery, session_name } = x;
  if (!(role === null || matches(role, AUDIT_ROLE_PATTERN))) return false;
  if (!(
    Number.isSafeInteger(duration) &&
    (duration as number) >= 1 &&
    (duration as number) <= MAX_AWS_DURATION_SECONDS
  ))
    return false;
  if (!(expires === null || isoUtc(expires)) || !DELIVERIES.has(delivery)) return false;
  if (!(session_name === null || matches(session_name, AUDIT_SESSION_NAME_PATTERN))) return false;
  return { role, duration: duration as number, expires, delivery: delivery as AuditDelivery, session_name };
}

/** The owner's reason text, cleaned like a client's name but longer; '' when nothing printable is left. */
export function cleanResetReason(text: string): string {
  const chars = Array.from(text.replace(UNPRINTABLE, '').trim());
  return (chars.length <= RESET_REASON_MAX ? chars : chars.slice(0, RESET_REASON_MAX)).join('');
}

/** A stored or given reset block; `false` when invalid. */
function checkReset(x: unknown, clean: boolean): AuditReset | null | false {
  if (x === undefined || x === null) return null;
  if (!isObj(x) || !onlyKeys(x, RESET_KEYS, true)) return false;
  const { seq, mac, reason } = x;
  if (!nonNegInt(seq) || !(mac === null || matches(mac, HEX64)) || typeof reason !== 'string' || reason.length > 4096)
    return false;
  const r = cleanResetReason(reason);
  if (r === '' || (!clean && r !== reason)) return false;
  return { seq, mac, reason: r };
}

/** A caller's event, checked and normalized without zod; undefined when anything is off. */
export function fastCheckInput(input: unknown): CheckedInput | undefined {
  if (!isObj(input) || !onlyKeys(input, INPUT_KEYS, false)) return undefined;
  const { agent, client, action, account, decision, rule, reason, step, approval, aws, gen, reset } = input;
  if (!(agent === null || matches(agent, AUDIT_ID_PATTERN))) return undefined;
  let c: AuditClient | null = null;
  if (client !== undefined && client !== null) {
    if (!isObj(client) || !onlyKeys(client, CLIENT_KEYS, true)) return undefined;
    const { name, version } = client;
    if (typeof name !== 'string' || typeof version !== 'string' || name.length > 4096 || version.length > 4096)
      return undefined;
    c = { name: cleanClientText(name), version: cleanClientText(version) };
  }
  if (!ACTIONS.has(action) || !DECISIONS.has(decision) || !matches(reason, AUDIT_REASON_PATTERN)) return undefined;
  const acct = orNull(account, (v): v is string => matches(v, AUDIT_ID_PATTERN));
  const r = orNull(rule, (v): v is string => matches(v, AUDIT_RULE_PATTERN));
  const st = orNull(step, nonNegInt);
  const ap = orNull(approval, (v): v is AuditApproval => APPROVALS.has(v));
  const a = checkAws(aws);
  const g = orNull(gen, nonNegInt);
  const rs = checkReset(reset, true);
  if (acct === false || r === false || st === false || ap === false || a === false || g === false || rs === false)
    return undefined;
  return {
    agent,
    client: c,
    action: action as AuditAction,
    account: acct,
    decision: decision as AuditDecision,
    rule: r,
    reason,
    step: st,
    approval: ap,
    aws: a,
    gen: g,
    reset: rs,
  };
}
const CLIENT_KEYS: ReadonlySet<string> = new Set(['name', 'version']);

/** A stored event, checked without zod (the same rules as `auditEventSchema`); undefined when not well formed. */
export function fastCheckEvent(x: unknown): AuditEvent | undefined {
  if (!isObj(x) || !onlyKeys(x, EVENT_KEYS, false)) return undefined;
  const {
    v,
    seq,
    ts,
    agent,
    client,
    action,
    account,
    decision,
    rule,
    reason,
    step,
    approval,
    aws,
    pid,
    prev,
    mac,
    gen,
    reset,
  } = x;
  let n = 0;
  for (const k in x) if (Object.hasOwn(x, k)) n++;
  if (n !== EVENT_KEYS.size - OPTIONAL_EVENT_KEYS + (gen === undefined ? 0 : 1) + (reset === undefined ? 0 : 1))
    return undefined;
  if (!(gen === undefined || gen === null || nonNegInt(gen))) return undefined;
  if (!(reset === undefined || checkReset(reset, false))) return undefined;
  if (v !== 1 || !(Number.isSafeInteger(seq) && (seq as number) >= 1) || !isoUtc(ts) || !nonNegInt(pid))
    return undefined;
  if (!matches(prev, HEX64) || !matches(mac, HEX64)) return undefined;
  if (
    !(agent === null || matches(agent, AUDIT_ID_PATTERN)) ||
    !(account === null || matches(account, AUDIT_ID_PATTERN))
  )
    return undefined;
  if (!(
    client === null ||
    (isObj(client) &&
      onlyKeys(client, CLIENT_KEYS, true) &&
      typeof client['name'] === 'string' &&
      typeof client['version'] === 'string' &&
      client['name'].length <= CLIENT_FIELD_MAX * 2 &&
      client['version'].length <= CLIENT_FIELD_MAX * 2)
  ))
    return undefined;
  if (!ACTIONS.has(action) || !DECISIONS.has(decision) || !matches(reason, AUDIT_REASON_PATTERN)) return undefined;
  if (
    !(rule === null || matches(rule, AUDIT_RULE_PATTERN)) ||
    !(step === null || nonNegInt(step)) ||
    !(approval === null || APPROVALS.has(approval))
  )
    return undefined;
  if (aws === undefined || checkAws(aws) === false) return undefined;
  return x as unknown as AuditEvent;
}

/**
 * Validates a caller's event: the plain check, or (for a rejection only) zod's reason, which names
 * the offending field of OUR schema and the kind of problem, never the value.
 */
export async function checkInput(input: unknown): Promise<CheckedInput> {
  const ok = fastCheckInput(input);
  if (ok) return ok;
  const { checkInputStrict } = await import('./event-schema.js');
  return checkInputStrict(input);
}

/** Parses one stored line; undefined when it is not a well-formed event. */
export function parseEventLine(line: string): AuditEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  return fastCheckEvent(raw);
}

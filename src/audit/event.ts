/**
 * Audit events: what the MAC-chained log records of every decision and owner act. An event can
 * only hold enums, ids that match a safe pattern, integers, an ISO timestamp and two short
 * self-reported client strings: there is no
 * free-text field, so a code, a seed, a key, a token or a passphrase has nowhere to go. The
 * tables below are the one definition of an event: the TypeScript types, the check of every
 * append (extra fields rejected, ids and reasons matched against their patterns, the client's
 * name and version stripped of control and format characters and cut to 64 characters) and the
 * check of every stored line all come from them.
 */
import { ID_PATTERN } from '../core/model.js';
import {
  convert,
  filled,
  int,
  nullable,
  object,
  oneOf,
  optional,
  readShape,
  refine,
  sortedKeys,
  str,
  type Field,
  type Infer,
  type InferIn,
} from '../core/shape.js';
import { DELIVERIES, HEX64 } from '../core/vocab.js';
import { TotpMcpError } from '../core/errors.js';

/**
 * What was asked for. Closed: adding a kind means adding it here (and to `COUNTED_ACTIONS` if it
 * hands out something that a rate limit counts).
 */
export const AUDIT_ACTIONS = [
  'list', // list_accounts / `totp-mcp list`
  'code', // a TOTP/HOTP/Steam code
  'fill', // a code typed into the agent's browser, never shown to it (`origin` says where)
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
export const COUNTED_ACTIONS: readonly AuditAction[] = ['code', 'aws_session', 'fill'];

export const AUDIT_DECISIONS = ['allow', 'deny', 'error'] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

/**
 * How the person's approval went. `error`: the client answered the question with an error or
 * something malformed; `timeout`: it did not answer in time. Both are refusals.
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

export { DELIVERIES as AUDIT_DELIVERIES, type Delivery as AuditDelivery } from '../core/vocab.js';

/** Agent names and account ids: the project's id alphabet (core/model.ts), lowercase ASCII, ≤ 64. */
const id = str({ re: ID_PATTERN });
/** Policy rule ids: ASCII letters, digits and `. _ : @ + -`, ≤ 64, starting with a letter or digit. */
const ruleId = str({ re: /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,63}$/ });
/** Reason codes: stable snake_case words such as `rate_limited`, ≤ 64. */
const reasonCode = str({ re: /^[a-z][a-z0-9_.:-]{0,63}$/ });
/** ISO 8601 UTC timestamp, as `Date.prototype.toISOString` writes it (seconds fraction optional). */
const isoUtc = str({
  re: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/,
  ok: (s) => !Number.isNaN(Date.parse(s)),
});
const mac = str({ re: HEX64 });
const count = int(0);
/** A web origin (`fill`: the page the code went to, or was refused for): scheme://host[:port], no free text. */
const origin = str({ re: /^https?:\/\/[a-z0-9.\-[\]:]{1,262}$/ });

/** Longest client name or version kept, in characters (code points). */
export const CLIENT_FIELD_MAX = 64;
/** Longest owner's reason kept on an `audit_reset` event, in characters (code points). */
const RESET_REASON_MAX = 200;
/** Longest text taken from a caller before cleaning (a cleaned field is far shorter). */
const RAW_TEXT_MAX = 4096;

const AWS = object(
  sortedKeys({
    /** The role assumed: an IAM role name or a role ARN; `null` for the MFA user's own session. */
    role: nullable(str({ re: /^(?:[\w+=,.@-]{1,64}|arn:aws[a-z-]{0,16}:iam::\d{12}:role\/[\w+=,.@/-]{1,256})$/ })),
    /** Seconds (GetSessionToken allows 36 h). */
    duration: int(1, 129_600),
    /** When the credentials expire, or null when not issued. */
    expires: nullable(isoUtc),
    delivery: oneOf(DELIVERIES),
    /** RoleSessionName / SourceIdentity sent to AWS (AWS's alphabet, 2 to 64 characters), or null. */
    session_name: nullable(str({ re: /^[\w+=,.@-]{2,64}$/ })),
  }),
);

/** The client as it described itself (MCP `clientInfo`): recorded, never trusted. */
const CLIENT_IN = object({
  name: convert(str({ max: RAW_TEXT_MAX }), cleanClientText),
  version: convert(str({ max: RAW_TEXT_MAX }), cleanClientText),
});
const CLIENT_STORED = object(
  sortedKeys({ name: str({ max: CLIENT_FIELD_MAX * 2 }), version: str({ max: CLIENT_FIELD_MAX * 2 }) }),
);

/** What an `audit_reset` event says about the break it starts after. */
const resetFields = {
  /** The last seq known of the old chain (its head or the vault's anchor, whichever is later); 0 when none. */
  seq: count,
  /** That event's MAC, when known. */
  mac: nullable(mac),
  /** The owner's words (`audit reset --reason`), stripped of unprintable characters and cut. */
  reason: str({
    min: 1,
    max: RESET_REASON_MAX * 2,
    ok: (s) => Array.from(s).length <= RESET_REASON_MAX && cleanResetReason(s) === s,
  }),
};
const RESET_STORED = object(sortedKeys(resetFields));
const RESET_IN = object({
  ...resetFields,
  reason: refine(convert(str({ max: RAW_TEXT_MAX }), cleanResetReason), (r) => r !== '', 'nothing printable'),
});

const nullByDefault = <T>(f: Field<T>): Field<T | null> & { absent: 'fill' } => filled(nullable(f), () => null);

/** What a caller passes to `append`: one decision. Fields that may be left out default to null. */
const INPUT = object({
  /** The agent the server was launched for; null for the owner's own CLI. */
  agent: nullable(id),
  client: nullByDefault(CLIENT_IN),
  action: oneOf(AUDIT_ACTIONS),
  account: nullByDefault(id),
  decision: oneOf(AUDIT_DECISIONS),
  /** The deciding policy rule, if any. */
  rule: nullByDefault(ruleId),
  /** A stable reason code (`allowed`, `rate_limited`, `io_error`, …). */
  reason: reasonCode,
  /** The OTP time step (or HOTP counter) used, if a code was computed. */
  step: nullByDefault(count),
  approval: nullByDefault(oneOf(AUDIT_APPROVALS)),
  aws: nullByDefault(AWS),
  /** The vault generation the decision was made with (app/trail.ts). */
  gen: nullByDefault(count),
  /** Only on an `audit_reset` event. */
  reset: nullByDefault(RESET_IN),
  origin: nullByDefault(origin),
});

/**
 * One line of the log: the caller's fields, stamped (`v`, `ts`, `pid`) and chained (`seq`, `prev`,
 * `mac`). Keys in canonical (sorted) order, as the line holds them (canonical.ts).
 */
const EVENT = object(
  sortedKeys({
    v: oneOf([1] as const),
    /** 1, 2, 3… along the whole chain, across rotated files. */
    seq: int(1),
    /** ISO 8601 with milliseconds, UTC. */
    ts: isoUtc,
    agent: nullable(id),
    client: nullable(CLIENT_STORED),
    action: oneOf(AUDIT_ACTIONS),
    account: nullable(id),
    decision: oneOf(AUDIT_DECISIONS),
    rule: nullable(ruleId),
    reason: reasonCode,
    step: nullable(count),
    approval: nullable(oneOf(AUDIT_APPROVALS)),
    aws: nullable(AWS),
    /** The vault generation (absent in events written before generations existed). */
    gen: optional(nullable(count)),
    /** Present only on an `audit_reset` event. */
    reset: optional(RESET_STORED),
    /** Present only on a `fill` event: the page's origin. */
    origin: optional(origin),
    pid: count,
    /** Hex MAC of the previous event; 64 zeros for the first. */
    prev: mac,
    /** Hex HMAC-SHA256 over `prev ‖ canonical(event without mac)`. */
    mac,
  }),
);

export type AuditClient = Readonly<Infer<typeof CLIENT_STORED.fields>>;
export type AuditAws = Readonly<Infer<typeof AWS.fields>>;
export type AuditInput = InferIn<typeof INPUT.fields>;
/** Normalized caller fields, ready to be stamped. */
export type CheckedInput = Readonly<Infer<typeof INPUT.fields>>;
export type AuditEvent = Readonly<Infer<typeof EVENT.fields>>;

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

/** The owner's reason text, cleaned like a client's name but longer; '' when nothing printable is left. */
export function cleanResetReason(text: string): string {
  const chars = Array.from(text.replace(UNPRINTABLE, '').trim());
  return (chars.length <= RESET_REASON_MAX ? chars : chars.slice(0, RESET_REASON_MAX)).join('');
}

/**
 * Validates a caller's event. The error names the offending field of OUR table and the kind of
 * problem, never the value (it might be the very secret that must not be written) and never an
 * unexpected key (it came from the caller, not from us).
 */
export function checkInput(input: unknown): CheckedInput {
  const r = readShape(INPUT, input);
  if (r.ok) return r.value;
  const where =
    r.error.reason === 'an unknown field' ? 'an unexpected field' : `field '${r.error.path.join('.') || '?'}'`;
  throw new TotpMcpError('internal', `audit event rejected: ${where} is not allowed or not valid`, {
    hint: 'audit events take only enums, ids, numbers and short client strings',
  });
}

/** A stored event (parsed JSON); undefined when it is not well formed. */
export function readEvent(x: unknown): AuditEvent | undefined {
  const r = readShape(EVENT, x);
  return r.ok ? r.value : undefined;
}

/** Parses one stored line; undefined when it is not a well-formed event. */
export function parseEventLine(line: string): AuditEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  return readEvent(raw);
}

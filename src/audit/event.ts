/**
 * Audit events (DESIGN §2 "Audit log"). An event can only hold enums, ids that match a safe
 * pattern, integers, an ISO timestamp and two short self-reported client strings: there is no
 * free-text field, so a code, a seed, a key, a token or a passphrase has nowhere to go. The
 * TypeScript types say so (a `Redacted` value is not a string, enums are closed unions), and the
 * zod schemas below enforce it at run time on every append: extra fields are rejected, an id or a
 * reason that does not match its pattern is rejected, the client's name and version are stripped
 * of control and format characters and cut to 64 characters.
 */
import { z } from 'zod';
import { TotpMcpError } from '../core/errors.js';
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
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The actions whose allowed uses count towards a rule's `limit`. */
export const COUNTED_ACTIONS: readonly AuditAction[] = ['code', 'aws_session'];

export const AUDIT_DECISIONS = ['allow', 'deny', 'error'] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

export const AUDIT_APPROVALS = ['none', 'confirmed', 'remembered', 'declined', 'cancelled', 'unavailable'] as const;
export type AuditApproval = (typeof AUDIT_APPROVALS)[number];

export const AUDIT_DELIVERIES = ['credential_process', 'profile', 'exec', 'container', 'inline'] as const;
export type AuditDelivery = (typeof AUDIT_DELIVERIES)[number];

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
const HEX64 = /^[0-9a-f]{64}$/;

/** Longest client name or version kept, in characters (code points). */
export const CLIENT_FIELD_MAX = 64;
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

/** Strips unprintable characters and keeps at most `CLIENT_FIELD_MAX` code points. */
export function cleanClientText(text: string): string {
  const clean = text.replace(UNPRINTABLE, '');
  const chars = Array.from(clean);
  return chars.length <= CLIENT_FIELD_MAX ? clean : chars.slice(0, CLIENT_FIELD_MAX).join('');
}

const clientText = z.string().max(4096).transform(cleanClientText);
const id = z.string().regex(AUDIT_ID_PATTERN);
const ruleId = z.string().regex(AUDIT_RULE_PATTERN);
const reason = z.string().regex(AUDIT_REASON_PATTERN);
const nonNegInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const isoUtc = z
  .string()
  .regex(ISO_UTC_PATTERN)
  .refine((s) => !Number.isNaN(Date.parse(s)));

const awsSchema = z.strictObject({
  role: z.string().regex(AUDIT_ROLE_PATTERN).nullable(),
  duration: z.number().int().min(1).max(MAX_AWS_DURATION_SECONDS),
  expires: isoUtc.nullable(),
  delivery: z.enum(AUDIT_DELIVERIES),
  session_name: z.string().regex(AUDIT_SESSION_NAME_PATTERN).nullable(),
});

const inputSchema = z.strictObject({
  agent: id.nullable(),
  client: z.strictObject({ name: clientText, version: clientText }).nullable().default(null),
  action: z.enum(AUDIT_ACTIONS),
  account: id.nullable().default(null),
  decision: z.enum(AUDIT_DECISIONS),
  rule: ruleId.nullable().default(null),
  reason,
  step: nonNegInt.nullable().default(null),
  approval: z.enum(AUDIT_APPROVALS).nullable().default(null),
  aws: awsSchema.nullable().default(null),
});

/** The stored event: what a reader accepts as a well-formed line (the MAC is checked apart). */
export const auditEventSchema = z.strictObject({
  v: z.literal(1),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  ts: isoUtc,
  agent: id.nullable(),
  client: z.strictObject({ name: z.string().max(CLIENT_FIELD_MAX * 2), version: z.string().max(CLIENT_FIELD_MAX * 2) }).nullable(),
  action: z.enum(AUDIT_ACTIONS),
  account: id.nullable(),
  decision: z.enum(AUDIT_DECISIONS),
  rule: ruleId.nullable(),
  reason,
  step: nonNegInt.nullable(),
  approval: z.enum(AUDIT_APPROVALS).nullable(),
  aws: awsSchema.nullable(),
  pid: nonNegInt,
  prev: z.string().regex(HEX64),
  mac: z.string().regex(HEX64),
});

/** Normalized caller fields, ready to be stamped. */
export type CheckedInput = Omit<AuditBody, 'v' | 'ts' | 'pid'>;

/**
 * Validates a caller's event. The error names the offending field of OUR schema and the kind of
 * problem, never the value (it might be the very secret that must not be written) and never an
 * unexpected key (it came from the caller, not from us).
 */
export function checkInput(input: unknown): CheckedInput {
  const r = inputSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where =
    issue === undefined || issue.code === 'unrecognized_keys'
      ? 'an unexpected field'
      : `field '${issue.path.filter((p): p is string => typeof p === 'string' && /^[a-z_]{1,16}$/.test(p)).join('.') || '?'}'`;
  throw new TotpMcpError('internal', `audit event rejected: ${where} is not allowed or not valid`, {
    hint: 'audit events take only enums, ids, numbers and short client strings',
  });
}

export type ParsedEvent = z.infer<typeof auditEventSchema>;

/** Parses one stored line; undefined when it is not a well-formed event. */
export function parseEventLine(line: string): AuditEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = auditEventSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

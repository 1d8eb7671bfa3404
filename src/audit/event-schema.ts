/**
 * The zod reference schemas of audit events. event.ts checks events with plain code on every
 * append and read; this module is loaded only to word a rejected append, and by `audit verify`.
 */
import * as z from 'zod/v4';
import { TotpMcpError } from '../core/errors.js';
import {
  AUDIT_ACTIONS,
  AUDIT_APPROVALS,
  AUDIT_DECISIONS,
  AUDIT_DELIVERIES,
  AUDIT_ID_PATTERN,
  AUDIT_REASON_PATTERN,
  AUDIT_ROLE_PATTERN,
  AUDIT_RULE_PATTERN,
  AUDIT_SESSION_NAME_PATTERN,
  CLIENT_FIELD_MAX,
  HEX64,
  ISO_UTC_PATTERN,
  MAX_AWS_DURATION_SECONDS,
  RESET_REASON_MAX,
  cleanClientText,
  cleanResetReason,
  type CheckedInput,
} from './event.js';

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

const storedReset = z.strictObject({
  seq: nonNegInt,
  mac: z.string().regex(HEX64).nullable(),
  reason: z
    .string()
    .min(1)
    .refine((s) => Array.from(s).length <= RESET_REASON_MAX && cleanResetReason(s) === s),
});
const inputReset = z.strictObject({
  seq: nonNegInt,
  mac: z.string().regex(HEX64).nullable(),
  reason: z.string().max(4096).transform(cleanResetReason).pipe(z.string().min(1)),
});

export const inputSchema = z.strictObject({
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
  gen: nonNegInt.nullable().default(null),
  reset: inputReset.nullable().default(null),
});

/** The stored event: what a reader accepts as a well-formed line (the MAC is checked apart). */
export const auditEventSchema = z.strictObject({
  v: z.literal(1),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  ts: isoUtc,
  agent: id.nullable(),
  client: z
    .strictObject({ name: z.string().max(CLIENT_FIELD_MAX * 2), version: z.string().max(CLIENT_FIELD_MAX * 2) })
    .nullable(),
  action: z.enum(AUDIT_ACTIONS),
  account: id.nullable(),
  decision: z.enum(AUDIT_DECISIONS),
  rule: ruleId.nullable(),
  reason,
  step: nonNegInt.nullable(),
  approval: z.enum(AUDIT_APPROVALS).nullable(),
  aws: awsSchema.nullable(),
  gen: nonNegInt.nullable().optional(),
  reset: storedReset.optional(),
  pid: nonNegInt,
  prev: z.string().regex(HEX64),
  mac: z.string().regex(HEX64),
});

/**
 * Validates a caller's event. The error names the offending field of OUR schema and the kind of
 * problem, never the value (it might be the very secret that must not be written) and never an
 * unexpected key (it came from the caller, not from us).
 */
export function checkInputStrict(input: unknown): CheckedInput {
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

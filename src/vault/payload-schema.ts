/**
 * The reference schema of the vault payload (zod). payload.ts checks well-formed documents with
 * plain code and loads this module only for a document those checks do not recognise: zod decides
 * and words the error, never quoting a value.
 */
import * as z from 'zod/mini';
import { ALGORITHMS, ID_PATTERN, MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, OTP_TYPES, TAG_PATTERN } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import {
  AUDIT_KEY,
  BASE32_CANONICAL,
  HOME_ID,
  MAX_ANCHORS,
  KNOWN_KEYS,
  MAX_SECRET,
  MAX_TAGS,
  MAX_TEXT,
  PAYLOAD_VERSION,
  SHA256_HEX,
  TIMESTAMP,
  digitsOk,
  type Payload,
} from './payload.js';

const redact = (s: string): Redacted => new Redacted(s);

const timestamp = z.string().check(z.regex(TIMESTAMP));

/** The account schema: the reference. `fastAccountOk` below accepts a subset of it, proven by a property test. */
export const accountSchema = z
  .strictObject({
    id: z.string().check(z.regex(ID_PATTERN)),
    issuer: z.string().check(z.maxLength(MAX_TEXT)),
    label: z.string().check(z.maxLength(MAX_TEXT)),
    type: z.enum(OTP_TYPES),
    secret: z.pipe(z.string().check(z.minLength(1), z.maxLength(MAX_SECRET), z.regex(BASE32_CANONICAL)), z.transform(redact)),
    algorithm: z.enum(ALGORITHMS),
    digits: z.int(),
    period: z.int().check(z.minimum(1), z.maximum(MAX_PERIOD)),
    counter: z.int().check(z.minimum(0)),
    tags: z.array(z.string().check(z.regex(TAG_PATTERN))).check(z.maxLength(MAX_TAGS)),
    aws: z.optional(z.record(z.string(), z.unknown())),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .check((ctx) => {
    const a = ctx.value;
    if (!digitsOk(a.type, a.digits)) {
      ctx.issues.push({
        code: 'custom',
        input: a.digits,
        path: ['digits'],
        message: a.type === 'steam' ? 'steam codes have 5 characters' : `digits must be ${MIN_DIGITS}..${MAX_DIGITS}`,
      });
    }
  });

const policyPinSchema = z.nullable(
  z.strictObject({ sha256: z.string().check(z.regex(SHA256_HEX)), applied_at: timestamp, compiled: z.optional(z.record(z.string(), z.unknown())) }),
);

const anchorsSchema = z
  .record(z.string().check(z.regex(HOME_ID)), z.strictObject({ seq: z.int().check(z.minimum(0)), mac: z.string().check(z.regex(SHA256_HEX)) }))
  .check(z.refine((r) => Object.keys(r).length <= MAX_ANCHORS, 'too many anchors'));

const headFields = {
  version: z.literal(PAYLOAD_VERSION),
  generation: z._default(z.int().check(z.minimum(0)), 0),
  anchors: z._default(anchorsSchema, () => ({})),
  policy_pin: policyPinSchema,
  audit_key: z.pipe(z.string().check(z.regex(AUDIT_KEY)), z.transform(redact)),
  created_at: timestamp,
  updated_at: timestamp,
};

const payloadSchema = z.strictObject({ ...headFields, accounts: z.array(accountSchema) });
/** Everything but the accounts' contents, which the fast path checks (no per-element pass here). */
export const headSchema = z.strictObject({ ...headFields, accounts: z.custom<unknown[]>((x) => Array.isArray(x)) });

// The schema's output must be a Payload: a compile-time check.
type Assert<T extends true> = T;
type _SchemaIsPayload = Assert<z.output<typeof payloadSchema> extends Payload ? true : false>;

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (KNOWN_KEYS.has(p)) out += out ? `.${String(p)}` : String(p);
    else out += out ? '.?' : '?';
  }
  return out || '(top level)';
}

/** A fixed reason per issue; zod's own messages can quote input (unknown keys, literals). */
function reason(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array' ? 'too long' : 'too large';
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array' ? 'too short' : 'too small';
    case 'invalid_format':
      return issue.format === 'regex' ? 'not in the expected form' : `not a valid ${issue.format}`;
    case 'invalid_value':
      return 'not an allowed value';
    case 'unrecognized_keys':
      return issue.keys.length === 1 ? 'an unknown field' : `${issue.keys.length} unknown fields`;
    case 'custom':
      return issue.message; // written by us above
    default:
      return 'invalid';
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `${pathText(i.path)}: ${reason(i)}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}

/** Validates a payload object: the payload, or what is wrong with it. */
export function validate(doc: unknown): { ok: true; payload: Payload } | { ok: false; problem: string } {
  const r = payloadSchema.safeParse(doc);
  return r.success ? { ok: true, payload: r.data } : { ok: false, problem: describeIssues(r.error.issues) };
}

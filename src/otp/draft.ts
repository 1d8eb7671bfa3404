import { fail } from '../core/errors.js';
import {
  MAX_DIGITS,
  MAX_PERIOD,
  MIN_DIGITS,
  STEAM_DIGITS,
  type AccountDraft,
  type Algorithm,
  type OtpType,
} from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import { canonicalBase32 } from './base32.js';
import { STEAM_PERIOD } from './generate.js';

const DEFAULT_PERIOD = 30;
const DEFAULT_DIGITS = 6;
const MAX_NAME_CHARS = 256;

/** What makeDraft accepts: loose types, since values come from flags, URIs and import files. */
export interface DraftInput {
  secret: Redacted;
  type?: string | undefined;
  algorithm?: string | undefined;
  digits?: number | string | undefined;
  period?: number | string | undefined;
  counter?: number | string | undefined;
  issuer?: string | undefined;
  label?: string | undefined;
}

/**
 * Validate and normalise parameters from any source (CLI flags, URIs, imports): digits 6–10
 * (steam: forced 5, SHA1, 30), period integer 1..MAX_PERIOD, counter safe non-negative integer,
 * algorithm names tolerant ('sha-256','SHA256','sha256' → 'SHA256'; MD5 etc. rejected),
 * issuer/label trimmed, ≤ 256 chars, no control characters.
 *
 * Fields that mean nothing for a type are normalised rather than checked, so that a draft has one
 * form and survives an export/import round trip: steam ignores algorithm/digits/period (they are
 * fixed), hotp ignores period (kept at 30), totp and steam ignore counter (kept at 0).
 */
export function makeDraft(input: DraftInput): AccountDraft {
  const type = parseType(input.type);
  const secret = new Redacted(canonicalBase32(input.secret.reveal()));
  const issuer = parseName(input.issuer, 'issuer');
  const label = parseName(input.label, 'label');
  if (type === 'steam') {
    return { type, secret, algorithm: 'SHA1', digits: STEAM_DIGITS, period: STEAM_PERIOD, counter: 0, issuer, label };
  }
  const algorithm = parseAlgorithm(input.algorithm);
  const digits = parseInteger(input.digits, DEFAULT_DIGITS);
  if (digits === undefined || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    return fail('invalid', `digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}`);
  }
  if (type === 'hotp') {
    const counter = parseInteger(input.counter, 0);
    if (counter === undefined) return fail('invalid', 'counter must be a non-negative integer');
    return { type, secret, algorithm, digits, period: DEFAULT_PERIOD, counter, issuer, label };
  }
  const period = parseInteger(input.period, DEFAULT_PERIOD);
  if (period === undefined || period < 1 || period > MAX_PERIOD) {
    return fail('invalid', `period must be an integer from 1 to ${MAX_PERIOD} seconds`);
  }
  return { type, secret, algorithm, digits, period, counter: 0, issuer, label };
}

function parseType(value: string | undefined): OtpType {
  const t = (value ?? 'totp').trim().toLowerCase();
  if (t === 'totp' || t === 'hotp' || t === 'steam') return t;
  return fail('invalid', 'unsupported OTP type (expected totp, hotp or steam)');
}

/** SHA1, SHA-1, sha256, SHA-256, SHA2-256, ... (the spellings exporters use). */
const ALGORITHM_NAME = /^SHA(?:-?(1)|(?:2?-)?(256|512))$/i;

function parseAlgorithm(value: string | undefined): Algorithm {
  if (value === undefined) return 'SHA1';
  const m = ALGORITHM_NAME.exec(value.trim());
  if (!m) return fail('invalid', 'algorithm must be SHA1, SHA256 or SHA512');
  return m[1] ? 'SHA1' : m[2] === '256' ? 'SHA256' : 'SHA512';
}

/** A non-negative safe integer from a number or a decimal string; undefined when it is not one. */
function parseInteger(value: number | string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  let n = value;
  if (typeof n === 'string') {
    const t = n.trim();
    // Decimal digits only: Number() would also take '0x1e', '1e3', '' and ' '.
    if (!/^[0-9]{1,16}$/.test(t)) return undefined;
    n = Number(t);
  }
  // `+ 0` turns -0 into 0, which would otherwise survive into the vault and print as "0".
  return Number.isSafeInteger(n) && n >= 0 ? n + 0 : undefined;
}

/**
 * C0/C1 controls and line/paragraph separators (they would forge lines in listings and logs),
 * bidi overrides and isolates (they reorder what a person reads), and lone surrogates (not text;
 * encodeURIComponent throws on them).
 */
const BAD_NAME_CHAR = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\p{Cs}]/u;

function parseName(value: string | undefined, what: 'issuer' | 'label'): string {
  // Refused before anything walks it: more UTF-16 units than twice the limit are more code points than it.
  if (value !== undefined && value.length > 2 * MAX_NAME_CHARS && value.trim().length > 2 * MAX_NAME_CHARS) {
    return fail('invalid', `${what} is longer than ${MAX_NAME_CHARS} characters`);
  }
  const t = (value ?? '').trim();
  if (BAD_NAME_CHAR.test(t)) return fail('invalid', `${what} contains control characters`);
  // Count code points, not UTF-16 units, so an emoji is one character as a person sees it.
  let chars = 0;
  for (const _ of t)
    if (++chars > MAX_NAME_CHARS) return fail('invalid', `${what} is longer than ${MAX_NAME_CHARS} characters`);
  return t;
}

import { HOTP, Secret } from 'otpauth';
import { fail } from '../core/errors.js';
import { ALGORITHMS, MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, STEAM_DIGITS, type OtpParams } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import { canonicalBase32 } from './base32.js';

interface GeneratedCode {
  code: Redacted;
  /** TOTP/Steam: the time step. HOTP: the counter used. */
  step: number;
  /** When the step ends (ms since the epoch); null for HOTP. */
  expiresAtMs: number | null;
}

/** Steam Guard: TOTP fixed at SHA1 / 30 s, shown as 5 characters of this alphabet. */
const STEAM_ALPHABET = '23456789BCDFGHJKMNPQRTVWXY';
export const STEAM_PERIOD = 30;

/**
 * Decoded keys, per secret object: an account's secret is one object for as long as the vault
 * payload holding it lives (a server decodes each key once, not per code). Held weakly, so a key
 * goes when its payload does; never enumerable, never serialized.
 */
const keys = new WeakMap<Redacted, Secret>();

function decoded(secret: Redacted): Secret {
  let key = keys.get(secret);
  if (key === undefined) {
    key = Secret.fromBase32(canonicalBase32(secret.reveal()));
    keys.set(secret, key);
  }
  return key;
}

/** floor(atMs / 1000 / period), done as one division so it stays exact for integer ms. */
export function totpStep(period: number, atMs: number): number {
  return Math.floor(atMs / (period * 1000));
}

/**
 * TOTP/steam: step from atMs, expiresAtMs = (step+1)*period*1000. HOTP: uses params.counter,
 * step = counter, expiresAtMs null (caller advances and persists the counter).
 * Steam: SHA1/30 s, 5 chars from 23456789BCDFGHJKMNPQRTVWXY.
 *
 * Parameters are checked again here even though the vault validates them: otpauth itself accepts
 * period 0 or digits 0 and returns a meaningless code, and a wrong code is worse
 * than an error.
 */
export function generateCode(params: OtpParams, atMs: number): GeneratedCode {
  // otpauth's objects print their seed; this Secret never leaves this function.
  const secret = decoded(params.secret);

  if (params.type === 'hotp') {
    const counter = params.counter;
    if (!Number.isSafeInteger(counter) || counter < 0) fail('invalid', 'counter must be a non-negative integer');
    const code = hotp(secret, checkAlgorithm(params.algorithm), checkDigits(params.digits), counter);
    return { code: new Redacted(code), step: counter, expiresAtMs: null };
  }

  if (!Number.isFinite(atMs) || atMs < 0) fail('invalid', 'time must be a non-negative number of milliseconds');
  if (params.type === 'steam') {
    const step = totpStep(STEAM_PERIOD, atMs);
    // With 10 digits, 10^10 > 2^31 so the "% 10^digits" of RFC 4226 truncation is a no-op: the
    // decimal string is exactly the 31-bit truncated value that Steam re-encodes in base 26.
    let value = Number(hotp(secret, 'SHA1', 10, step));
    let code = '';
    for (let i = 0; i < STEAM_DIGITS; i++) {
      code += STEAM_ALPHABET.charAt(value % STEAM_ALPHABET.length);
      value = Math.floor(value / STEAM_ALPHABET.length);
    }
    return { code: new Redacted(code), step, expiresAtMs: (step + 1) * STEAM_PERIOD * 1000 };
  }

  const period = params.period;
  if (!Number.isInteger(period) || period < 1 || period > MAX_PERIOD) {
    fail('invalid', `period must be an integer from 1 to ${MAX_PERIOD} seconds`);
  }
  const step = totpStep(period, atMs);
  const code = hotp(secret, checkAlgorithm(params.algorithm), checkDigits(params.digits), step);
  return { code: new Redacted(code), step, expiresAtMs: (step + 1) * period * 1000 };
}

/** RFC 4226 via otpauth's static generate, which (unlike HOTP#generate) keeps no state. */
function hotp(secret: Secret, algorithm: string, digits: number, counter: number): string {
  return HOTP.generate({ secret, algorithm, digits, counter });
}

function checkAlgorithm(algorithm: string): string {
  if (!(ALGORITHMS as readonly string[]).includes(algorithm))
    fail('invalid', 'algorithm must be SHA1, SHA256 or SHA512');
  return algorithm;
}

function checkDigits(digits: number): number {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    fail('invalid', `digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}`);
  }
  return digits;
}

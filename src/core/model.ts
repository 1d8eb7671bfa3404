import type { Redacted } from './redacted.js';

/** The OTP kinds the vault holds. Steam is TOTP (SHA1, 30 s) shown as 5 Steam characters. */
export const OTP_TYPES = ['totp', 'hotp', 'steam'] as const;
export type OtpType = (typeof OTP_TYPES)[number];

export const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Digits allowed for totp/hotp. Steam codes are always 5 characters. */
export const MIN_DIGITS = 6;
export const MAX_DIGITS = 10;
/** Longest period accepted: one day (KeePassXC clamps at the same value). */
export const MAX_PERIOD = 86_400;

/**
 * Account ids and tags: lowercase ASCII only, so that no two ids differ only by case or by a
 * look-alike character, and no id contains a glob or path metacharacter.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._:@+-]{0,63}$/;
export const TAG_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const ID_RULE = 'lowercase letters, digits and . _ : @ + - (at most 64, starting with a letter or digit)';
export const TAG_RULE = 'lowercase letters, digits and . _ - (at most 32, starting with a letter or digit)';

/** What it takes to compute a code. The secret is canonical base32 (upper case, no padding). */
export interface OtpParams {
  type: OtpType;
  secret: Redacted;
  algorithm: Algorithm;
  digits: number;
  period: number;
  counter: number;
}

/** AWS settings for an account; filled in by the AWS work, kept opaque until then. */
export type AwsBlock = Record<string, unknown>;

export interface Account extends OtpParams {
  id: string;
  issuer: string;
  label: string;
  tags: string[];
  aws?: AwsBlock | undefined;
  created_at: string;
  updated_at: string;
}

/** An account as parsed from a URI or typed in, before it has an id and timestamps. */
export interface AccountDraft extends OtpParams {
  issuer: string;
  label: string;
}

/** A code as handed out: the value is the only secret field. */
export interface IssuedCode {
  account: string;
  code: Redacted;
  /** TOTP/Steam: the time step (floor(t / period)). HOTP: the counter used. */
  step: number;
  /** ISO 8601; for HOTP, null (a counter code does not expire). */
  expires_at: string | null;
  remaining_seconds: number | null;
}

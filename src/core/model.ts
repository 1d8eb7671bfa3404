import { isCanonicalOrigin, MAX_ORIGINS } from './origin.js';
import { Redacted } from './redacted.js';
import { ShapeError, anyObject, array, convert, int, object, oneOf, optional, str, type Infer } from './shape.js';

/** The OTP kinds the vault holds. Steam is TOTP (SHA1, 30 s) shown as 5 Steam characters. */
export const OTP_TYPES = ['totp', 'hotp', 'steam'] as const;
export type OtpType = (typeof OTP_TYPES)[number];

export const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Digits allowed for totp/hotp. Steam codes are always 5 characters. */
export const MIN_DIGITS = 6;
export const MAX_DIGITS = 10;
export const STEAM_DIGITS = 5;
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
export type OtpParams = Pick<Account, 'type' | 'secret' | 'algorithm' | 'digits' | 'period' | 'counter'>;

/** AWS settings for an account; filled in by the AWS work, kept opaque until then. */
type AwsBlock = Record<string, unknown>;

/** Longest issuer or label; longest secret (base32 characters); most tags on one account. */
export const MAX_TEXT = 256;
const MAX_SECRET = 1024;
const MAX_TAGS = 64;
const BASE32_CANONICAL = /^[A-Z2-7]+$/;
/** RFC 3339 date-time (what Date#toISOString writes, or with an offset). */
const TIMESTAMP =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
export const timestamp = str({ re: TIMESTAMP });

const digitsOk = (type: OtpType, digits: number): boolean =>
  type === 'steam' ? digits === STEAM_DIGITS : digits >= MIN_DIGITS && digits <= MAX_DIGITS;

/** Free-form JSON of a block that may hold Redacted values (`aws`): written with them revealed. */
function revealReplacer(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify calls toJSON before a replacer sees the value, so look at the holder.
  const raw: unknown = (this as Record<string, unknown>)[key];
  return raw instanceof Redacted ? raw.reveal() : value;
}
const revealed = (v: object): unknown => JSON.parse(JSON.stringify(v, revealReplacer));

/**
 * An account as the vault stores it: the one definition of its fields. The `Account` type, the
 * vault's validator and its JSON line all come from this table; a new field is one line here
 * (`optional(...)` so that older vaults still open). Table order is the order written to disk.
 */
export const ACCOUNT = object(
  {
    id: str({ re: ID_PATTERN }),
    issuer: str({ max: MAX_TEXT }),
    label: str({ max: MAX_TEXT }),
    type: oneOf(OTP_TYPES),
    secret: convert(
      str({ min: 1, max: MAX_SECRET, re: BASE32_CANONICAL }),
      (s) => new Redacted(s),
      (r: Redacted) => (r instanceof Redacted ? r.reveal() : r),
    ),
    algorithm: oneOf(ALGORITHMS),
    digits: int(),
    period: int(1, MAX_PERIOD),
    counter: int(0),
    tags: array(str({ re: TAG_PATTERN }), MAX_TAGS),
    created_at: timestamp,
    updated_at: timestamp,
    aws: optional(convert(anyObject, (o): AwsBlock => o, revealed)),
    /** Web origins where this account's code may be filled into a page (core/origin.ts). */
    origins: optional(array(str({ max: 255, ok: isCanonicalOrigin }), MAX_ORIGINS)),
  },
  (a) => {
    if (!digitsOk(a.type, a.digits))
      throw new ShapeError(
        ['digits'],
        a.type === 'steam' ? 'steam codes have 5 characters' : `digits must be ${MIN_DIGITS}..${MAX_DIGITS}`,
      );
  },
);

export type Account = Infer<typeof ACCOUNT.fields>;

/** An account as parsed from a URI or typed in, before it has an id and timestamps. */
export type AccountDraft = OtpParams & Pick<Account, 'issuer' | 'label' | 'origins'>;

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

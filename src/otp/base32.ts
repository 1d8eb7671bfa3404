import { fail } from '../core/errors.js';

/** Largest seed accepted, in decoded bytes (HMAC keys longer than a block are hashed anyway). */
export const MAX_SECRET_BYTES = 1024;

/** Longest raw input looked at: generous room for spaces, dashes and padding around 1024 bytes. */
const MAX_INPUT_CHARS = 8 * MAX_SECRET_BYTES;

/**
 * Strip whitespace, dashes and trailing '=' padding, uppercase, validate A–Z2–7, non-empty,
 * ≤ 1024 decoded bytes. Returns canonical base32 (no padding). Throws TotpMcpError('invalid', ...)
 * that NEVER contains the input.
 *
 * Lengths that no RFC 4648 encoder emits (1, 3 or 6 characters past a multiple of 8) are accepted
 * the way Google Authenticator and otpauth accept them: the trailing bits are ignored. The string
 * is kept as typed (not re-encoded from the bytes), so an export gives back what was imported.
 */
export function canonicalBase32(input: string): string {
  if (input.length > MAX_INPUT_CHARS) fail('invalid', `secret is too long (at most ${MAX_SECRET_BYTES} bytes)`);
  // '\s' covers Unicode spaces (NBSP, ideographic space) that sneak in through copy and paste.
  const text = input.replace(/[\s-]+/g, '').replace(/=+$/, '');
  // Validate before upper-casing: toUpperCase() maps some non-ASCII letters to ASCII
  // ('ſ' → 'S', 'ı' → 'I'), which would silently turn garbage into a valid-looking seed.
  if (!/^[A-Za-z2-7]*$/.test(text)) fail('invalid', 'secret is not valid base32 (letters A-Z and digits 2-7)');
  const bytes = Math.floor((text.length * 5) / 8);
  if (bytes === 0) fail('invalid', text.length === 0 ? 'secret is empty' : 'secret is too short');
  if (bytes > MAX_SECRET_BYTES) fail('invalid', `secret is too long (at most ${MAX_SECRET_BYTES} bytes)`);
  return text.toUpperCase();
}

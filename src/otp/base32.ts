import { fail } from '../core/errors.js';

/** Largest seed accepted, in decoded bytes (HMAC keys longer than a block are hashed anyway). */
const MAX_SECRET_BYTES = 1024;

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

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (Google's migration format carries raw secret bytes). */
export function bytesToBase32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += B32.charAt((value << (5 - bits)) & 31);
  return out;
}

/** Canonical base32 (as stored in the vault) to bytes; trailing bits past the last byte are dropped. */
export function base32ToBytes(text: string): Buffer {
  const out = Buffer.alloc(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) fail('internal', 'a stored secret is not canonical base32');
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

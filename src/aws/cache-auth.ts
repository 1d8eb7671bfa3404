/**
 * Authentication of the session cache's plaintext. The cache is age-encrypted to the vault's
 * recipients, which are public: anyone who can write `state/aws/` could encrypt a cache of their
 * own. So the plaintext carries an HMAC-SHA256 under a key only the vault holds, derived with HKDF
 * from the vault's audit key under a label of its own (no new vault field; the two uses never
 * share a key). A text that does not verify is not a cache.
 *
 * Format: `totp-mcp-aws-cache/2 <base64url HMAC>\n<JSON>`; the HMAC covers the JSON bytes, and
 * the JSON names the MFA serial (checked by parseCache), so a file cannot be moved to another
 * device's name either.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const MAGIC = 'totp-mcp-aws-cache/2';
const LABEL = 'totp-mcp aws session cache mac v1';

/** The cache's MAC key, from the vault's audit key (raw bytes). */
export function cacheMacKey(auditKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', auditKey, Buffer.alloc(0), LABEL, 32));
}

const mac = (key: Buffer, body: string): Buffer => createHmac('sha256', key).update(body, 'utf8').digest();

/** `body` (the serialised cache) with its MAC line in front. */
export function authenticateCache(body: string, key: Buffer): string {
  return `${MAGIC} ${mac(key, body).toString('base64url')}\n${body}`;
}

export type CacheCheck = { ok: true; body: string } | { ok: false; why: 'unauthenticated' | 'bad_mac' };

/** The body of an authenticated text; `unauthenticated`: no MAC line (a forged or pre-MAC file). */
export function verifyCache(text: string, key: Buffer): CacheCheck {
  const nl = text.indexOf('\n');
  const head = nl < 0 ? '' : text.slice(0, nl);
  if (!head.startsWith(`${MAGIC} `)) return { ok: false, why: 'unauthenticated' };
  const given = Buffer.from(head.slice(MAGIC.length + 1), 'base64url');
  const body = text.slice(nl + 1);
  const want = mac(key, body);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, why: 'bad_mac' };
  return { ok: true, body };
}

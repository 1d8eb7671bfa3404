import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

/**
 * SHA-256 (lowercase hex) of the exact bytes of the policy file, for pinning in the vault.
 * Pass the Buffer read from disk when you have it: a string is hashed as its UTF-8 encoding, which
 * differs from the file if it was decoded with replacement characters or a BOM was stripped.
 */
export function policyHash(text: string | Uint8Array): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return createHash('sha256').update(bytes).digest('hex');
}

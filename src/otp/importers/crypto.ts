/**
 * The ciphers and KDFs of the export formats, on node:crypto. KDFs run on the libuv thread pool
 * (async), never blocking the event loop. Their parameters come from the file, so each has a cap:
 * a hostile file must not make us spend minutes or gigabytes.
 */
import { createDecipheriv, createHmac, pbkdf2, scrypt, type BinaryLike } from 'node:crypto';
import { fail } from '../../core/errors.js';
import type { Redacted } from '../../core/redacted.js';

/** Largest scrypt N accepted (Aegis writes 2^15). */
const MAX_SCRYPT_N = 2 ** 20;
/** scrypt r·p ceiling (Aegis writes 8·1). */
const MAX_SCRYPT_RP = 64;
/** Largest PBKDF2 iteration count accepted (andOTP writes 140,000–160,000; Bitwarden at most 2,000,000). */
export const MAX_PBKDF2_ITERATIONS = 2_000_000;

export function scryptKey(
  password: Redacted,
  salt: Uint8Array,
  n: number,
  r: number,
  p: number,
  length = 32,
): Promise<Buffer> {
  if (!Number.isSafeInteger(n) || n < 2 || n > MAX_SCRYPT_N || (n & (n - 1)) !== 0) {
    fail('invalid', `the export's scrypt N must be a power of two up to ${MAX_SCRYPT_N}`);
  }
  if (!Number.isSafeInteger(r) || !Number.isSafeInteger(p) || r < 1 || p < 1 || r * p > MAX_SCRYPT_RP) {
    fail('invalid', "the export's scrypt r and p are out of range");
  }
  return new Promise((resolve, reject) => {
    scrypt(password.reveal(), salt, length, { N: n, r, p, maxmem: 128 * n * r + 16 * 1024 * 1024 }, (err, key) => {
      if (err) reject(new Error('scrypt failed', { cause: err }));
      else resolve(key);
    });
  });
}

export function pbkdf2Key(
  password: BinaryLike,
  salt: Uint8Array,
  iterations: number,
  digest: 'sha1' | 'sha256',
  length = 32,
): Promise<Buffer> {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    fail(
      'invalid',
      `the export asks for ${Number.isSafeInteger(iterations) ? iterations : 'an invalid number of'} PBKDF2 iterations (the limit is ${MAX_PBKDF2_ITERATIONS})`,
    );
  }
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, length, digest, (err, key) => {
      if (err) reject(new Error('pbkdf2 failed', { cause: err }));
      else resolve(key);
    });
  });
}

/** AES-256-GCM; null when authentication fails (a wrong key, or a damaged file). */
export function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer | null {
  if (key.length !== 32 || nonce.length !== 12 || tag.length !== 16) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    return null;
  }
}

/** HKDF-Expand (RFC 5869 §2.3) for up to one SHA-256 block: Bitwarden stretches keys without an extract step. */
export function hkdfExpand32(prk: Uint8Array, info: string): Buffer {
  return createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([1])]))
    .digest();
}

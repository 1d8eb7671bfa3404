// Independent reference implementations for the OTP tests: nothing here imports src/ or otpauth,
// so a bug shared by the code under test and its oracle is not possible.
import { createHmac } from 'node:crypto';
import type { AccountDraft } from '../../src/core/model.js';
// The seeded PRNG is no oracle (it only picks cases), so it is the project's own.
export { prng } from '../../bench/prng.js';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, no padding. */
export function base32(bytes: Uint8Array): string {
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

export type RefAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** The 31-bit dynamic truncation of RFC 4226 §5.3, in BigInt so nothing can overflow. */
export function truncated(key: Uint8Array, algorithm: RefAlgorithm, counter: number | bigint): bigint {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac(algorithm.toLowerCase(), key).update(msg).digest();
  const offset = h[h.length - 1]! & 0x0f;
  return BigInt(h.readUInt32BE(offset) & 0x7fffffff);
}

export function refHotp(key: Uint8Array, algorithm: RefAlgorithm, counter: number | bigint, digits: number): string {
  return (truncated(key, algorithm, counter) % 10n ** BigInt(digits)).toString().padStart(digits, '0');
}

export function refSteam(key: Uint8Array, counter: number): string {
  const alphabet = '23456789BCDFGHJKMNPQRTVWXY';
  let v = truncated(key, 'SHA1', counter);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += alphabet.charAt(Number(v % 26n));
    v /= 26n;
  }
  return out;
}

export const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
export const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
export const randomBytes = (rand: () => number, n: number): Uint8Array =>
  Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

/** The ways people write base32: lower case, grouped with spaces or dashes, padded. */
export function mangle(rand: () => number, b32: string): string {
  let s = rand() < 0.3 ? b32.toLowerCase() : b32;
  if (rand() < 0.3) s = s.replace(/(.{4})/g, pick(rand, ['$1 ', '$1-', '$1  ']));
  if (rand() < 0.3) s += '='.repeat((8 - (b32.length % 8)) % 8);
  return s;
}

/** A draft with its secret revealed, for deep equality (toEqual cannot see a #private field). */
export const plain = (d: AccountDraft): Omit<AccountDraft, 'secret'> & { secret: string } => ({
  ...d,
  secret: d.secret.reveal(),
});

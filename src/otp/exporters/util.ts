import { fail } from '../../core/errors.js';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

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

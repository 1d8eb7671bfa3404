/**
 * andOTP backups (read as Aegis reads them). Plain: a JSON array of
 * `{secret, issuer, label, digits, type, algorithm, period|counter, ...}`; old exports lack `issuer`
 * and write "Issuer - account" as the label. Encrypted (binary):
 * - new: `[int32 BE iterations][salt 12][nonce 12][ciphertext][tag 16]`, key = PBKDF2-HMAC-SHA1(password, salt, iterations, 32);
 * - old: `[nonce 12][ciphertext][tag 16]`, key = SHA-256(password);
 * both AES-256-GCM.
 */
import { createHash } from 'node:crypto';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import type { Collector } from './collector.js';
import { MAX_PBKDF2_ITERATIONS, aesGcmOpen, pbkdf2Key } from './crypto.js';
import type { ImportHooks } from './types.js';
import {
  asText,
  checkCount,
  checkSealedSize,
  entry,
  get,
  isObj,
  optNumber,
  optText,
  otpType,
  parseJson,
  progressEvery,
} from './util.js';

const NONCE = 12;
const TAG = 16;
const SALT = 12;
const ITER = 4;

/** An array of objects with a secret and an andOTP-style type (TOTP/HOTP/STEAM upper case). */
export function isAndOtp(doc: unknown): doc is unknown[] {
  if (!Array.isArray(doc) || doc.length === 0) return false;
  const first: unknown = doc[0];
  return (
    isObj(first) &&
    typeof get(first, 'secret') === 'string' &&
    typeof get(first, 'type') === 'string' &&
    get(first, 'label') !== undefined
  );
}

/** The plaintext of an encrypted backup: the new format first, then the old one. */
async function decrypt(bytes: Uint8Array, hooks: ImportHooks): Promise<Buffer> {
  if (bytes.length < NONCE + TAG + 1) fail('invalid', 'the andOTP backup is too short to be encrypted data');
  checkSealedSize(bytes.length, 'the andOTP backup');
  const password = await hooks.password('Password of the andOTP backup:');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const iterations = buf.length >= ITER + SALT + NONCE + TAG + 1 ? buf.readUInt32BE(0) : 0;
  // Above the cap, the first bytes are most likely an old-format nonce: only the old format is tried.
  if (iterations >= 1 && iterations <= MAX_PBKDF2_ITERATIONS) {
    const salt = buf.subarray(ITER, ITER + SALT);
    const nonce = buf.subarray(ITER + SALT, ITER + SALT + NONCE);
    const key = await pbkdf2Key(password.reveal(), salt, iterations, 'sha1');
    const plain = aesGcmOpen(
      key,
      nonce,
      buf.subarray(ITER + SALT + NONCE, buf.length - TAG),
      buf.subarray(buf.length - TAG),
    );
    if (plain) return plain;
  }
  const oldKey = createHash('sha256').update(password.reveal(), 'utf8').digest();
  const plain = aesGcmOpen(
    oldKey,
    buf.subarray(0, NONCE),
    buf.subarray(NONCE, buf.length - TAG),
    buf.subarray(buf.length - TAG),
  );
  if (plain) return plain;
  return fail('invalid', 'wrong password: the andOTP backup did not decrypt with it (nothing was imported)');
}

function splitOldLabel(label: string): { issuer: string; label: string } {
  const i = label.indexOf(' - ');
  return i < 0 ? { issuer: '', label } : { issuer: label.slice(0, i), label: label.slice(i + 3) };
}

export function parseAndOtpDoc(c: Collector, doc: unknown, hooks: ImportHooks): void {
  if (!Array.isArray(doc)) fail('invalid', 'not an andOTP backup (expected a JSON array of entries)');
  checkCount(doc.length);
  const tick = progressEvery(doc.length, hooks.progress);
  doc.forEach((raw: unknown, i) => {
    const e = isObj(raw) ? raw : {};
    const rawLabel = typeof get(e, 'label') === 'string' ? (get(e, 'label') as string) : '';
    const hasIssuer = get(e, 'issuer') !== undefined && get(e, 'issuer') !== null;
    const names = hasIssuer ? { issuer: get(e, 'issuer'), label: rawLabel } : splitOldLabel(rawLabel);
    c.push(
      entry(c.next, names.issuer, names.label, () => {
        if (!isObj(raw)) fail('invalid', 'the entry is not an object');
        const type = otpType(get(e, 'type'));
        const label = optText(e, 'label') ?? '';
        const n = hasIssuer ? { issuer: optText(e, 'issuer'), label } : splitOldLabel(label);
        return {
          type,
          secret: new Redacted(optText(e, 'secret') ?? ''),
          algorithm: optText(e, 'algorithm'),
          digits: optNumber(e, 'digits'),
          period: type === 'hotp' ? undefined : optNumber(e, 'period'),
          counter: type === 'hotp' ? optNumber(e, 'counter') : undefined,
          issuer: n.issuer,
          label: n.label,
        };
      }),
    );
    tick(i + 1);
  });
}

export async function parseAndOtpEncrypted(c: Collector, bytes: Uint8Array, hooks: ImportHooks): Promise<string> {
  const plain = await decrypt(bytes, hooks);
  const text = asText(plain);
  if (text === null) fail('invalid', 'the decrypted andOTP backup is not text');
  parseAndOtpDoc(c, parseJson(text, 'the decrypted andOTP backup'), hooks);
  return 'andOTP backup (encrypted)';
}

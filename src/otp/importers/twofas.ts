/**
 * 2FAS `.2fas` exports, schema versions 1–4 (read as Aegis reads them):
 * `{services:[{name, secret, otp:{account, issuer, digits, period, counter, algorithm, tokenType}}],
 * schemaVersion, servicesEncrypted?}`. Encrypted: `servicesEncrypted = b64(ct‖tag):b64(salt):b64(iv)`,
 * key = PBKDF2-HMAC-SHA256(password, salt, 10 000, 32), AES-256-GCM; it decrypts to the services array.
 */
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import type { Collector } from './collector.js';
import { aesGcmOpen, pbkdf2Key } from './crypto.js';
import type { ImportHooks } from './types.js';
import {
  base64Bytes,
  base64Size,
  checkCount,
  checkSealedSize,
  entry,
  get,
  isObj,
  optNumber,
  optObj,
  optText,
  otpType,
  parseJson,
  progressEvery,
  type Obj,
} from './util.js';

const TWOFAS_PBKDF2_ITERATIONS = 10_000;

export const isTwoFas = (doc: unknown): doc is Obj =>
  isObj(doc) &&
  typeof get(doc, 'schemaVersion') === 'number' &&
  (Array.isArray(get(doc, 'services')) || typeof get(doc, 'servicesEncrypted') === 'string');

async function decryptServices(blob: string, hooks: ImportHooks): Promise<unknown> {
  const parts = blob.split(':');
  if (parts.length !== 3) fail('invalid', 'the 2FAS export\'s "servicesEncrypted" is malformed');
  checkSealedSize(base64Size(parts[0] ?? ''), 'the 2FAS export');
  const data = base64Bytes(parts[0] ?? '');
  const salt = base64Bytes(parts[1] ?? '');
  const iv = base64Bytes(parts[2] ?? '');
  if (!data || !salt || !iv || data.length < 16 || iv.length !== 12 || salt.length === 0) {
    fail('invalid', 'the 2FAS export\'s "servicesEncrypted" is malformed');
  }
  const password = await hooks.password('Password of the 2FAS export:');
  const key = await pbkdf2Key(password.reveal(), salt, TWOFAS_PBKDF2_ITERATIONS, 'sha256');
  const plain = aesGcmOpen(key, iv, data.subarray(0, data.length - 16), data.subarray(data.length - 16));
  if (!plain) fail('invalid', 'wrong password: the 2FAS export did not decrypt with it (nothing was imported)');
  return parseJson(plain.toString('utf8'), 'the decrypted 2FAS services');
}

export async function parseTwoFas(c: Collector, doc: Obj, hooks: ImportHooks): Promise<string> {
  const schema = get(doc, 'schemaVersion') as number;
  if (!Number.isInteger(schema) || schema < 1 || schema > 4)
    fail('invalid', 'unsupported 2FAS schema version (1 to 4 are known)');
  const blob = get(doc, 'servicesEncrypted');
  const encrypted = typeof blob === 'string' && blob !== '';
  const services = encrypted ? await decryptServices(blob, hooks) : get(doc, 'services');
  if (!Array.isArray(services)) fail('invalid', 'the 2FAS export has no services list');
  checkCount(services.length);
  const tick = progressEvery(services.length, hooks.progress);
  services.forEach((raw: unknown, i) => {
    const s = isObj(raw) ? raw : {};
    const otp = isObj(get(s, 'otp')) ? (get(s, 'otp') as Obj) : {};
    const issuer = get(s, 'name') ?? get(otp, 'issuer');
    c.push(
      entry(c.next, issuer, get(otp, 'account'), () => {
        if (!isObj(raw)) fail('invalid', 'the service is not an object');
        const o = optObj(s, 'otp') ?? {};
        const type = otpType(get(o, 'tokenType'));
        return {
          type,
          secret: new Redacted(optText(s, 'secret') ?? ''),
          algorithm: optText(o, 'algorithm'),
          digits: optNumber(o, 'digits'),
          period: type === 'hotp' ? undefined : optNumber(o, 'period'),
          counter: type === 'hotp' ? optNumber(o, 'counter') : undefined,
          issuer: optText(s, 'name') || optText(o, 'issuer'),
          label: optText(o, 'account'),
        };
      }),
    );
    tick(i + 1);
  });
  return encrypted ? '2FAS export (encrypted)' : '2FAS export (plain)';
}

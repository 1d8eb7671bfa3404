/**
 * Bitwarden JSON exports: the password manager's `{encrypted:false, items:[{name,
 * login:{username, totp}}]}` and the Bitwarden Authenticator app's export, which has the same shape.
 * `login.totp` holds an otpauth:// URI, `steam://<BASE32>`, or a bare base32 secret (TOTP SHA1/6/30).
 *
 * Password-protected exports (`encrypted:true, passwordProtected:true`): key material =
 * PBKDF2-HMAC-SHA256(password, salt as text, kdfIterations, 32), stretched with HKDF-Expand
 * ("enc", "mac"); `data` is an EncString `2.<iv>|<ct>|<mac>` (AES-256-CBC, HMAC-SHA256 over iv‖ct),
 * checked first on `encKeyValidation_DO_NOT_EDIT`. Argon2id exports (kdfType 1) need a KDF Node 20
 * does not have: they are refused with a clear message. Account-restricted exports cannot be
 * decrypted outside Bitwarden at all.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { parseOtpUri } from '../uri.js';
import type { Collector } from './collector.js';
import { hkdfExpand32, pbkdf2Key } from './crypto.js';
import type { ImportHooks } from './types.js';
import {
  base64Bytes,
  base64Size,
  checkCount,
  checkSealedSize,
  entry,
  get,
  isObj,
  optObj,
  optText,
  parseJson,
  progressEvery,
  type Obj,
} from './util.js';

export const isBitwarden = (doc: unknown): doc is Obj =>
  isObj(doc) &&
  (Array.isArray(get(doc, 'items')) || (get(doc, 'encrypted') === true && get(doc, 'passwordProtected') === true));

interface Keys {
  enc: Buffer;
  mac: Buffer;
}

/** Decrypts an EncString of type 2; null when its MAC does not match (wrong password or damage). */
function openEncString(text: unknown, keys: Keys): Buffer | null {
  if (typeof text !== 'string') return null;
  const m = /^2\.([^|]+)\|([^|]+)\|([^|]+)$/.exec(text);
  if (!m) fail('invalid', 'the Bitwarden export uses an unknown encryption type');
  checkSealedSize(base64Size(m[2] ?? ''), 'the Bitwarden export');
  const iv = base64Bytes(m[1] ?? '');
  const ct = base64Bytes(m[2] ?? '');
  const mac = base64Bytes(m[3] ?? '');
  if (!iv || !ct || !mac || iv.length !== 16 || mac.length !== 32 || ct.length % 16 !== 0 || ct.length === 0) {
    fail('invalid', 'the Bitwarden export is malformed');
  }
  const want = createHmac('sha256', keys.mac).update(iv).update(ct).digest();
  if (!timingSafeEqual(want, mac)) return null;
  try {
    const d = createDecipheriv('aes-256-cbc', keys.enc, iv);
    return Buffer.concat([d.update(ct), d.final()]);
  } catch {
    return null;
  }
}

async function decryptProtected(doc: Obj, hooks: ImportHooks): Promise<unknown> {
  const kdfType = get(doc, 'kdfType');
  if (kdfType === 1) {
    fail('invalid', 'this Bitwarden export is protected with Argon2id, which totp-mcp cannot derive', {
      hint: 'export again from Bitwarden as unencrypted JSON (delete the file after the import)',
    });
  }
  if (kdfType !== 0) fail('invalid', 'the Bitwarden export uses an unknown key derivation');
  const salt = get(doc, 'salt');
  const iterations = get(doc, 'kdfIterations');
  if (typeof salt !== 'string' || salt === '' || typeof iterations !== 'number')
    fail('invalid', 'the Bitwarden export header is malformed');
  const password = await hooks.password('Password of the Bitwarden export:');
  const master = await pbkdf2Key(password.reveal(), Buffer.from(salt, 'utf8'), iterations, 'sha256');
  const keys = { enc: hkdfExpand32(master, 'enc'), mac: hkdfExpand32(master, 'mac') };
  const wrong = 'wrong password: the Bitwarden export did not decrypt with it (nothing was imported)';
  if (
    get(doc, 'encKeyValidation_DO_NOT_EDIT') !== undefined &&
    openEncString(get(doc, 'encKeyValidation_DO_NOT_EDIT'), keys) === null
  ) {
    fail('invalid', wrong);
  }
  const plain = openEncString(get(doc, 'data'), keys);
  if (plain === null) fail('invalid', wrong);
  return parseJson(plain.toString('utf8'), 'the decrypted Bitwarden export');
}

/** The draft input for one `login.totp` value, with Bitwarden's defaults for missing names. */
function totpInput(totp: string, name: string, username: string) {
  const t = totp.trim();
  if (/^otpauth:\/\//i.test(t)) {
    const d = parseOtpUri(t);
    return { ...d, issuer: d.issuer || name, label: d.label || username };
  }
  if (/^steam:\/\//i.test(t))
    return {
      type: 'steam',
      secret: new Redacted(t.slice('steam://'.length)),
      issuer: name || 'Steam',
      label: username,
    };
  if (/^[a-z][a-z0-9+.-]*:/i.test(t))
    return fail('invalid', 'the TOTP field holds a URI that is neither otpauth:// nor steam://');
  return { type: 'totp', secret: new Redacted(t), issuer: name, label: username };
}

export async function parseBitwarden(c: Collector, doc: Obj, hooks: ImportHooks): Promise<string> {
  let encrypted = false;
  let body: unknown = doc;
  if (get(doc, 'encrypted') === true) {
    if (get(doc, 'passwordProtected') !== true) {
      fail('invalid', "this Bitwarden export is encrypted with the account's key: only Bitwarden can read it", {
        hint: 'export again as unencrypted JSON, or as a password-protected JSON with PBKDF2',
      });
    }
    body = await decryptProtected(doc, hooks);
    encrypted = true;
  }
  if (!isObj(body) || !Array.isArray(get(body, 'items'))) fail('invalid', 'the Bitwarden export has no items list');
  const items = get(body, 'items') as unknown[];
  checkCount(items.length);
  const tick = progressEvery(items.length, hooks.progress);
  let without = 0;
  items.forEach((raw: unknown, i) => {
    const item = isObj(raw) ? raw : {};
    const login = isObj(get(item, 'login')) ? (get(item, 'login') as Obj) : {};
    const totp = get(login, 'totp');
    if (isObj(raw) && (totp === undefined || totp === null || totp === '')) {
      without++;
      tick(i + 1);
      return;
    }
    const name = typeof get(item, 'name') === 'string' ? (get(item, 'name') as string) : '';
    const username = typeof get(login, 'username') === 'string' ? (get(login, 'username') as string) : '';
    c.push(
      entry(c.next, name, username, () => {
        if (!isObj(raw)) fail('invalid', 'the item is not an object');
        const l = optObj(item, 'login') ?? {};
        return totpInput(optText(l, 'totp') ?? '', optText(item, 'name') ?? '', optText(l, 'username') ?? '');
      }),
    );
    tick(i + 1);
  });
  if (without > 0) c.notes.push(`${without} Bitwarden item(s) without a TOTP were left out`);
  return encrypted ? 'Bitwarden JSON export (password-protected)' : 'Bitwarden JSON export';
}

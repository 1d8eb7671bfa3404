/**
 * Aegis exports (the vault format Aegis documents):
 * `{version:1, header:{slots, params}, db}`; plain when slots and params are null (db an object),
 * else db is base64 AES-256-GCM ciphertext under a master key that each password slot wraps with
 * scrypt(password, salt, N, r, p) → AES-256-GCM.
 */
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import type { Collector } from './collector.js';
import { aesGcmOpen, scryptKey } from './crypto.js';
import type { ImportHooks } from './types.js';
import {
  base64Bytes,
  base64Size,
  checkCount,
  checkSealedSize,
  entry,
  get,
  hexBytes,
  isObj,
  optNumber,
  optObj,
  optText,
  otpType,
  parseJson,
  progressEvery,
  type Obj,
} from './util.js';

export const isAegis = (doc: unknown): doc is Obj =>
  isObj(doc) && isObj(get(doc, 'header')) && get(doc, 'db') !== undefined && typeof get(doc, 'version') === 'number';

export const aegisEncrypted = (doc: Obj): boolean => typeof get(doc, 'db') === 'string';

const WRONG = 'wrong password: the Aegis export did not decrypt with it (nothing was imported)';

async function decryptDb(doc: Obj, hooks: ImportHooks): Promise<unknown> {
  const header = get(doc, 'header') as Obj;
  const slots = get(header, 'slots');
  const params = get(header, 'params');
  if (!Array.isArray(slots) || !isObj(params))
    fail('invalid', 'the Aegis export is encrypted but its header has no slots or params');
  const passwordSlots = slots.filter((s): s is Obj => isObj(s) && get(s, 'type') === 1);
  if (passwordSlots.length === 0)
    fail(
      'invalid',
      'the Aegis export has no password slot (only biometric or raw keys): export it again with a password',
    );
  if (passwordSlots.length > 16) fail('invalid', 'the Aegis export has too many slots');
  const nonce = hexBytes(get(params, 'nonce'), 12);
  const tag = hexBytes(get(params, 'tag'), 16);
  checkSealedSize(base64Size(get(doc, 'db') as string), 'the Aegis export');
  const db = base64Bytes(get(doc, 'db') as string);
  if (!nonce || !tag || !db) fail('invalid', 'the Aegis export header or content is malformed');

  const password = await hooks.password('Password of the Aegis export:');
  for (const slot of passwordSlots) {
    const salt = hexBytes(get(slot, 'salt'));
    const wrapped = hexBytes(get(slot, 'key'), 32);
    const kp = get(slot, 'key_params');
    const n = get(slot, 'n');
    const r = get(slot, 'r');
    const p = get(slot, 'p');
    if (!salt || !wrapped || !isObj(kp) || typeof n !== 'number' || typeof r !== 'number' || typeof p !== 'number') {
      fail('invalid', 'an Aegis password slot is malformed');
    }
    const kNonce = hexBytes(get(kp, 'nonce'), 12);
    const kTag = hexBytes(get(kp, 'tag'), 16);
    if (!kNonce || !kTag) fail('invalid', 'an Aegis password slot is malformed');
    const key = await scryptKey(password, salt, n, r, p);
    const master = aesGcmOpen(key, kNonce, wrapped, kTag);
    if (!master) continue;
    const plain = aesGcmOpen(master, nonce, db, tag);
    if (!plain) fail('invalid', 'the Aegis export is damaged: its content does not authenticate');
    return parseJson(plain.toString('utf8'), 'the decrypted Aegis content');
  }
  return fail('invalid', WRONG);
}

export async function parseAegis(c: Collector, doc: Obj, hooks: ImportHooks): Promise<string> {
  const version = get(doc, 'version');
  if (version !== 1) fail('invalid', 'unsupported Aegis export version');
  const encrypted = aegisEncrypted(doc);
  const content = encrypted ? await decryptDb(doc, hooks) : get(doc, 'db');
  if (!isObj(content) || !Array.isArray(get(content, 'entries')))
    fail('invalid', 'the Aegis export has no entries list');
  const dbVersion = get(content, 'version');
  if (typeof dbVersion === 'number' && dbVersion > 3)
    c.notes.push('the Aegis content version is newer than 3: read as version 3');
  const entries = get(content, 'entries') as unknown[];
  checkCount(entries.length);
  const tick = progressEvery(entries.length, hooks.progress);
  entries.forEach((raw, i) => {
    const e = isObj(raw) ? raw : {};
    c.push(
      entry(c.next, get(e, 'issuer'), get(e, 'name'), () => {
        if (!isObj(raw)) fail('invalid', 'the entry is not an object');
        const info = optObj(e, 'info') ?? fail('invalid', 'the entry has no "info"');
        const type = otpType(get(e, 'type'));
        return {
          type,
          secret: new Redacted(optText(info, 'secret') ?? ''),
          algorithm: optText(info, 'algo'),
          digits: optNumber(info, 'digits'),
          period: type === 'hotp' ? undefined : optNumber(info, 'period'),
          counter: type === 'hotp' ? optNumber(info, 'counter') : undefined,
          issuer: optText(e, 'issuer'),
          label: optText(e, 'name'),
        };
      }),
    );
    tick(i + 1);
  });
  return encrypted ? 'Aegis export (encrypted)' : 'Aegis export (plain)';
}

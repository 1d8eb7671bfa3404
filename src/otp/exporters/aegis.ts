/**
 * Aegis-compatible exports (the vault format Aegis documents), readable by
 * Aegis' "Import from Aegis" and by totp-mcp's own importer:
 * - plain: `{version:1, header:{slots:null, params:null}, db:{version:3, entries, groups:[]}}`;
 * - encrypted: a random 256-bit master key encrypts the content (AES-256-GCM, random 96-bit nonce,
 *   db = base64 ciphertext, header.params = hex nonce and tag); one password slot wraps the master
 *   key with scrypt(password, 32-byte salt, N = 32768, r = 8, p = 1) → AES-256-GCM.
 */
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { fail } from '../../core/errors.js';
import type { AccountDraft } from '../../core/model.js';
import { Redacted } from '../../core/redacted.js';
import { scryptKey } from '../importers/crypto.js';

const AEGIS_SCRYPT = { n: 32768, r: 8, p: 1 } as const;

function entryOf(d: AccountDraft): Record<string, unknown> {
  const secret = d.secret.reveal();
  const info =
    d.type === 'hotp'
      ? { secret, algo: d.algorithm, digits: d.digits, counter: d.counter }
      : d.type === 'steam'
        ? { secret, algo: 'SHA1', digits: 5, period: 30 }
        : { secret, algo: d.algorithm, digits: d.digits, period: d.period };
  return {
    type: d.type,
    uuid: randomUUID(),
    name: d.label,
    issuer: d.issuer,
    note: '',
    favorite: false,
    icon: null,
    info,
    groups: [],
  };
}

function seal(key: Uint8Array, plaintext: Uint8Array): { ct: Buffer; nonce: Buffer; tag: Buffer } {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { ct, nonce, tag: c.getAuthTag() };
}

/** The export's JSON text (it holds every seed: Redacted until written). */
export async function aegisExport(drafts: readonly AccountDraft[], password: Redacted | null): Promise<Redacted> {
  const content = { version: 3, entries: drafts.map(entryOf), groups: [] };
  if (password === null) {
    return new Redacted(
      `${JSON.stringify({ version: 1, header: { slots: null, params: null }, db: content }, null, 4)}\n`,
    );
  }
  if (password.reveal() === '') fail('usage', 'the export password is empty');
  const master = randomBytes(32);
  const salt = randomBytes(32);
  const key = await scryptKey(password, salt, AEGIS_SCRYPT.n, AEGIS_SCRYPT.r, AEGIS_SCRYPT.p);
  const wrapped = seal(key, master);
  const db = seal(master, Buffer.from(JSON.stringify(content), 'utf8'));
  const slot = {
    type: 1,
    uuid: randomUUID(),
    key: wrapped.ct.toString('hex'),
    key_params: { nonce: wrapped.nonce.toString('hex'), tag: wrapped.tag.toString('hex') },
    ...AEGIS_SCRYPT,
    salt: salt.toString('hex'),
    repaired: true,
    is_backup: false,
  };
  const doc = {
    version: 1,
    header: { slots: [slot], params: { nonce: db.nonce.toString('hex'), tag: db.tag.toString('hex') } },
    db: db.ct.toString('base64'),
  };
  return new Redacted(`${JSON.stringify(doc, null, 4)}\n`);
}

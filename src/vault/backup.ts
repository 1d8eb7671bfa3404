/**
 * Backups for `export --backup`: a plaintext (the vault's JSON payload) encrypted to age recipients
 * or to a passphrase, as a standard binary age file. `age -d` reads it; a passphrase backup also
 * works as a passphrase-only vault.age, and a recipient backup as a vault.age with the matching
 * identity.
 */
import { TotpMcpError } from '../core/errors.js';
import type { Redacted } from '../core/redacted.js';
import { MIX_ERROR, decryptAge, decrypterFor, encryptAge, isPostQuantum, isValidRecipient } from './age.js';
import { AsyncScryptIdentity, AsyncScryptRecipient, DEFAULT_WORK_FACTOR, type ScryptKeyCache } from './scrypt.js';

export type BackupTarget = { recipients: readonly string[] } | { passphrase: Redacted; workFactor?: number };

export async function encryptBackup(plaintext: Uint8Array, to: BackupTarget): Promise<Buffer> {
  if ('recipients' in to) {
    const list = [...new Set(to.recipients.map((r) => r.trim()))];
    if (list.length === 0) throw new TotpMcpError('usage', 'no recipient for the backup');
    list.forEach((r, i) => {
      if (!isValidRecipient(r)) {
        const what = /^AGE-SECRET-KEY-/i.test(r) ? 'a secret key (give the age1… public key instead)' : 'not a valid age recipient (age1…)';
        throw new TotpMcpError('usage', `backup recipient ${i + 1} is ${what}`);
      }
    });
    const pq = list.filter(isPostQuantum).length;
    if (pq !== 0 && pq !== list.length) throw new TotpMcpError('usage', MIX_ERROR);
    return encryptAge(plaintext, list);
  }
  if (to.passphrase.reveal() === '') throw new TotpMcpError('usage', 'the backup passphrase is empty');
  const cache: ScryptKeyCache = new Map();
  const ct = await encryptAge(plaintext, [new AsyncScryptRecipient(to.passphrase, to.workFactor ?? DEFAULT_WORK_FACTOR, cache)]);
  // Read it back with the same passphrase (the derived key is cached): a backup that does not open is worse than none.
  const back = await decryptAge(ct, decrypterFor([new AsyncScryptIdentity(to.passphrase, { cache })])).catch(() => null);
  if (back === null || !back.equals(plaintext)) throw new TotpMcpError('internal', 'the backup did not decrypt with its passphrase: nothing was written');
  return ct;
}

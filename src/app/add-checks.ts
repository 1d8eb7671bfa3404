/**
 * Warnings for the owner's `add` (the account is still added): a secret too short to be safe, and
 * a secret the vault already holds under another id. Only ids and bit counts are ever reported.
 */
import type { Account, AccountDraft } from '../core/model.js';
import type { Redacted } from '../core/redacted.js';
import { planImport } from './import.js';

/** RFC 4226 §4: a shared secret of at least 128 bits, 160 recommended; below 80 is weak by any count. */
const MIN_SECRET_BITS = 80;

/** Whole bytes carried by a canonical base32 secret, in bits. */
const secretBits = (secret: Redacted): number => Math.floor((secret.reveal().length * 5) / 8) * 8;

/** The id of an account with the same secret, found as `import` finds duplicates (its plan), or null. */
function sameSecretAs(existing: readonly Account[], draft: AccountDraft): string | null {
  // Blank names: only the secret can match (import also matches on issuer and label).
  const entry = {
    index: 1,
    issuer: '',
    label: '',
    draft: { ...draft, issuer: '', label: '' },
    problem: null,
    note: null,
  };
  const [planned] = planImport(existing, [entry], 'skip');
  return planned?.row.action === 'skip' ? planned.row.id : null;
}

export function addWarnings(existing: readonly Account[], draft: AccountDraft): string[] {
  const out: string[] = [];
  const bits = secretBits(draft.secret);
  if (bits < MIN_SECRET_BITS)
    out.push(
      `the secret is only ${bits} bits long (at least ${MIN_SECRET_BITS} expected, 160 recommended): check it was copied whole`,
    );
  const dup = sameSecretAs(existing, draft);
  if (dup !== null) out.push(`the vault already holds this secret under the id '${dup}'`);
  return out;
}

/**
 * Small age files beside the vault (the AWS session cache): encrypted to the vault's recipients,
 * or to a dedicated identity kept inside a passphrase-only vault. Same codec as the vault.
 */
import { TotpMcpError } from '../core/errors.js';
import { Redacted } from '../core/redacted.js';
import { decryptAge, decrypterFor, encryptAge, generateIdentityText, parseIdentityText } from './age.js';

/** age-encrypts `plaintext` to X25519 (age1…) recipients. */
export async function sealToRecipients(plaintext: Uint8Array, recipients: readonly string[]): Promise<Buffer> {
  if (recipients.length === 0) throw new TotpMcpError('internal', 'nothing to encrypt to');
  return encryptAge(plaintext, recipients);
}

/** Decrypts with the given identities (AGE-SECRET-KEY-1…). Throws 'invalid' without detail on any failure. */
export async function unsealWithIdentities(bytes: Uint8Array, identities: readonly Redacted[]): Promise<Buffer> {
  try {
    return await decryptAge(bytes, decrypterFor(identities.map((i) => i.reveal())));
  } catch {
    throw new TotpMcpError('invalid', 'the file does not decrypt with this key');
  }
}

/** A fresh X25519 identity and its recipient. */
export async function newSealIdentity(nowMs: number): Promise<{ identity: Redacted; recipient: string }> {
  const { text } = await generateIdentityText(nowMs);
  const { keys, recipients } = await parseIdentityText(text);
  return { identity: new Redacted(keys[0] as string), recipient: recipients[0] as string };
}

/** The recipient (age1…) of an identity. */
export async function recipientOf(identity: Redacted): Promise<string> {
  try {
    const { recipients } = await parseIdentityText(identity.reveal());
    return recipients[0] as string;
  } catch {
    throw new TotpMcpError('invalid', 'not an age identity');
  }
}

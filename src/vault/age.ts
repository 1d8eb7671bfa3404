/**
 * The age codec: every encryption and decryption goes through typage (age-encryption), the only
 * implementation of age in totp-mcp, but for two pieces in files of their own: the scrypt stanza's
 * key derivation on Node's thread pool (scrypt.ts, a typage Identity/Recipient), and the payload's
 * decryption on node:crypto (age-payload.ts). Here: turning typage's errors into fixed-text
 * AgeErrors that never quote the file.
 */
import {
  Decrypter,
  Encrypter,
  armor,
  generateX25519Identity,
  identityToRecipient,
  type Identity,
  type Recipient,
  type Stanza,
} from 'age-encryption';
import { decryptPayload, payloadOffset } from './age-payload.js';
import { StanzaError } from './scrypt.js';

export { Decrypter };
export type { Identity, Recipient };

/** What went wrong with an age file, before the caller names the file. Messages are fixed text. */
export class AgeError extends Error {
  constructor(
    readonly kind: 'no_match' | 'malformed' | 'damaged' | 'work_factor',
    message: string,
  ) {
    super(message);
    this.name = 'AgeError';
  }
}

const MAGIC = 'age-encryption.org/v1';
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const NO_MATCH = "no identity matched any of the file's recipients";

const ascii = new TextDecoder('latin1');

function startsWithText(bytes: Uint8Array, text: string, from = 0): boolean {
  if (bytes.length - from < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

function skipSpace(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return i;
}

export const isArmored = (bytes: Uint8Array): boolean => startsWithText(bytes, ARMOR_BEGIN, skipSpace(bytes));
export const isBinaryAge = (bytes: Uint8Array): boolean => startsWithText(bytes, `${MAGIC}\n`);
/** Is this an age-encrypted file (binary or armored), as opposed to, say, a plain identity file? */
export const isAgeFile = (bytes: Uint8Array): boolean => isBinaryAge(bytes) || isArmored(bytes);

/** The binary form of an age file, armored or not. */
function dearmor(bytes: Uint8Array): Uint8Array {
  if (!isArmored(bytes)) return bytes;
  try {
    return armor.decode(ascii.decode(bytes));
  } catch {
    throw new AgeError('malformed', 'its ASCII armor is invalid');
  }
}

/** The binary file, or a fixed-text refusal when it does not even start like one. */
function binary(bytes: Uint8Array): Uint8Array {
  const raw = dearmor(bytes);
  if (!isBinaryAge(raw)) throw new AgeError('malformed', 'it has no age-encryption.org/v1 header line');
  return raw;
}

function mapHeaderError(e: unknown): never {
  if (e instanceof AgeError) throw e;
  if (e instanceof StanzaError) throw new AgeError(e.kind === 'work_factor' ? 'work_factor' : 'malformed', e.message);
  if (e instanceof Error && e.message === NO_MATCH) throw new AgeError('no_match', 'no identity matched');
  if (e instanceof Error && e.message === 'invalid header HMAC') {
    throw new AgeError('damaged', 'its header was modified or damaged (MAC mismatch)');
  }
  if (e instanceof Error && e.message === 'scrypt work factor is too high') {
    throw new AgeError('work_factor', 'its scrypt work factor is too high');
  }
  // Anything else is typage rejecting the header's syntax. Its messages can quote the file's
  // first line (which, for a plaintext file put in place of the vault, is plaintext): don't pass them on.
  throw new AgeError('malformed', 'its header is invalid');
}

export interface HeaderInfo {
  /** The first argument of each stanza: X25519, scrypt, mlkem768x25519, … */
  stanzaTypes: string[];
  /** scrypt work factor when the header holds an scrypt stanza. */
  scryptLogN: number | null;
}

/**
 * The header's stanzas as typage parses them, without any key: an identity that only looks at
 * the stanzas it is shown and matches none of them.
 */
export async function readHeader(bytes: Uint8Array): Promise<HeaderInfo> {
  const raw = binary(bytes);
  const seen: { stanzas: Stanza[] | null } = { stanzas: null };
  const d = new Decrypter();
  d.addIdentity({
    unwrapFileKey: (stanzas: Stanza[]) => {
      seen.stanzas = stanzas;
      return null;
    },
  });
  await d.decryptHeader(raw).catch((e: unknown) => (seen.stanzas === null ? mapHeaderError(e) : undefined));
  const stanzas = seen.stanzas ?? [];
  const scrypt = stanzas.find((s) => s.args[0] === 'scrypt')?.args[2];
  return {
    stanzaTypes: stanzas.map((s) => s.args[0] ?? ''),
    scryptLogN: scrypt !== undefined && /^[0-9]{1,3}$/.test(scrypt) ? Number(scrypt) : null,
  };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

/** A stream's bytes. (typage's own helper goes through fetch's Response, whose loading is most of a short command's crypto time.) */
async function readAll(s: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = s.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return Buffer.concat(chunks);
}

const DAMAGED = 'it is damaged or truncated (authentication failed)';

/**
 * Decrypts a whole age file (binary or armored). Throws AgeError only. `typage: true` runs the
 * payload on typage too, instead of age-payload.ts.
 */
export async function decryptAge(bytes: Uint8Array, decrypter: Decrypter, opts: { typage?: boolean } = {}): Promise<Buffer> {
  const raw = binary(bytes);
  if (opts.typage === true) {
    // typage opens the header before it resolves; the payload's chunks are authenticated as they are read.
    let payload: ReadableStream<Uint8Array>;
    try {
      payload = await decrypter.decrypt(streamOf(raw));
    } catch (e) {
      mapHeaderError(e);
    }
    try {
      return await readAll(payload);
    } catch {
      throw new AgeError('damaged', DAMAGED);
    }
  }
  let fileKey: Uint8Array;
  try {
    fileKey = await decrypter.decryptHeader(raw);
  } catch (e) {
    mapHeaderError(e);
  }
  try {
    return decryptPayload(fileKey, raw.subarray(payloadOffset(raw)));
  } catch {
    throw new AgeError('damaged', DAMAGED);
  }
}

/** Checks that the identities open this file's header, without decrypting the payload. */
export async function unlockHeader(bytes: Uint8Array, decrypter: Decrypter): Promise<void> {
  const raw = binary(bytes);
  try {
    await decrypter.decryptHeader(raw);
  } catch (e) {
    mapHeaderError(e);
  }
}

/** Encrypts to the recipients (age1… strings or Recipient objects such as scrypt.ts's). Binary output. */
export async function encryptAge(plaintext: Uint8Array, recipients: readonly (string | Recipient)[]): Promise<Buffer> {
  if (recipients.length === 0) throw new Error('encryptAge: no recipients');
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return readAll(await e.encrypt(streamOf(plaintext)));
}

export const armorEncode = (bytes: Uint8Array): string => armor.encode(bytes);

// ---- keys and key files ----

export const isPostQuantum = (recipient: string): boolean =>
  recipient.startsWith('age1pq1') || recipient.startsWith('age1tagpq1');

export const MIX_ERROR =
  "incompatible recipients: can't mix post-quantum and classic recipients, or the file would be vulnerable to quantum computers";

/** Whether typage accepts this string as a recipient (bech32 checksum, length, known type). */
export function isValidRecipient(recipient: string): boolean {
  if (!recipient.startsWith('age1')) return false;
  try {
    new Encrypter().addRecipient(recipient);
    return true;
  } catch {
    return false;
  }
}

/** Parses an age identity file's text: keys, skipping blank lines and # comments. Never echoes a line. */
export async function parseIdentityText(text: string): Promise<{ keys: string[]; recipients: string[] }> {
  const keys: string[] = [];
  const recipients: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('AGE-PLUGIN-')) {
      throw new AgeError('malformed', `line ${i + 1} is a plugin identity, which totp-mcp does not support`);
    }
    if (!line.startsWith('AGE-SECRET-KEY-')) throw new AgeError('malformed', `line ${i + 1} is not an age identity`);
    let recipient: string;
    try {
      recipient = await identityToRecipient(line);
    } catch {
      throw new AgeError('malformed', `line ${i + 1} is not a valid age identity`);
    }
    keys.push(line);
    recipients.push(recipient);
  }
  if (keys.length === 0) throw new AgeError('malformed', 'it holds no identity');
  return { keys, recipients };
}

/** A new X25519 identity, written the way age-keygen writes it. */
export async function generateIdentityText(nowMs: number): Promise<{ text: string; recipient: string }> {
  const key = await generateX25519Identity();
  const recipient = await identityToRecipient(key);
  const created = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { text: `# created: ${created}\n# public key: ${recipient}\n${key}\n`, recipient };
}

/** A typage Decrypter for these identities (AGE-SECRET-KEY-… strings or Identity objects). */
export function decrypterFor(identities: readonly (string | Identity)[]): Decrypter {
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  return d;
}

/**
 * The age codec: the only module that talks to typage.
 *
 * Headers (stanzas, MAC, every recipient and identity type) are typage's. The payload — the age
 * STREAM (ChaCha20-Poly1305 over 64 KiB chunks) — runs on node:crypto here, because typage's
 * pure-JS cipher alone would spend a large part of the budget for reading 10,000 accounts
 * (bench/README.md). The format is age v1 exactly (https://age-encryption.org/v1); tests check it both ways
 * against typage and the Go age CLI.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  Decrypter as TypageDecrypter,
  Encrypter,
  armor,
  generateX25519Identity,
  identityToRecipient,
  type Identity,
  type Recipient,
} from 'age-encryption';
import { StanzaError } from './scrypt.js';
import { fastFileKey, x25519Key, type X25519Key } from './x25519.js';

export type { Identity, Recipient };

/**
 * The identities a file is opened with. When they are all X25519 keys (an identity file), headers
 * are opened on node:crypto first (x25519.ts); typage's Decrypter is only built when that path
 * leaves the decision to it (its constructor already starts WebCrypto work).
 */
export class Decrypter {
  readonly #identities: readonly (string | Identity)[];
  #typage: TypageDecrypter | null = null;
  /** The same identities on node:crypto, when every one of them is an X25519 key. */
  readonly x25519: readonly X25519Key[] | null;

  constructor(identities: readonly (string | Identity)[]) {
    this.#identities = identities;
    const keys = identities.map((id) => (typeof id === 'string' ? x25519Key(id) : null));
    this.x25519 = keys.every((k) => k !== null) ? keys : null;
  }

  get typage(): TypageDecrypter {
    if (!this.#typage) {
      const d = new TypageDecrypter();
      for (const id of this.#identities) d.addIdentity(id);
      this.#typage = d;
    }
    return this.#typage;
  }
}

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
const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;
/** No header of ours comes near this; a file without a MAC line in it is not an age file. */
const MAX_HEADER = 4 * 1024 * 1024;

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
export function dearmor(bytes: Uint8Array): Uint8Array {
  if (!isArmored(bytes)) return bytes;
  try {
    return armor.decode(ascii.decode(bytes));
  } catch {
    throw new AgeError('malformed', 'its ASCII armor is invalid');
  }
}

export interface HeaderInfo {
  /** The first argument of each stanza: X25519, scrypt, mlkem768x25519, … */
  stanzaTypes: string[];
  /** scrypt work factor when the header holds an scrypt stanza. */
  scryptLogN: number | null;
  /** Bytes up to and including the MAC line. */
  length: number;
}

/**
 * Reads the header's shape without any key. Strict enough to find its end reliably (body lines
 * are base64, so the first line that starts with "---" is the MAC line); typage re-parses it
 * fully when decrypting.
 */
export function readHeader(raw: Uint8Array): HeaderInfo {
  if (!isBinaryAge(raw)) throw new AgeError('malformed', 'it has no age-encryption.org/v1 header line');
  const stanzaTypes: string[] = [];
  let scryptLogN: number | null = null;
  let pos = MAGIC.length + 1;
  const limit = Math.min(raw.length, MAX_HEADER);
  for (;;) {
    const nl = raw.indexOf(0x0a, pos);
    if (nl < 0 || nl >= limit) throw new AgeError('malformed', 'its header is truncated');
    const line = ascii.decode(raw.subarray(pos, nl));
    pos = nl + 1;
    if (line.startsWith('--- ')) return { stanzaTypes, scryptLogN, length: pos };
    if (!line.startsWith('-> ')) {
      if (/^[A-Za-z0-9+/]{0,64}$/.test(line)) continue; // a stanza body line
      throw new AgeError('malformed', 'its header is invalid');
    }
    const args = line.slice(3).split(' ');
    const type = args[0] ?? '';
    if (!/^[\x21-\x7e]+$/.test(type)) throw new AgeError('malformed', 'its header is invalid');
    stanzaTypes.push(type);
    if (type === 'scrypt' && args[2] !== undefined && /^[0-9]{1,3}$/.test(args[2])) scryptLogN = Number(args[2]);
  }
}

function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

function chunkNonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(index, 5, 6); // 11-byte big-endian counter; 2^48 chunks is far beyond any vault
  n[11] = last ? 1 : 0;
  return n;
}

/** header ‖ age STREAM encryption of the payload (nonce ‖ chunks), in one buffer. */
function encryptPayload(header: Uint8Array, fileKey: Uint8Array, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE);
  const key = payloadKey(fileKey, nonce);
  const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  const out = Buffer.allocUnsafe(header.length + NONCE + plaintext.length + count * TAG);
  out.set(header, 0);
  nonce.copy(out, header.length);
  let o = header.length + NONCE;
  for (let i = 0; i < count; i++) {
    const c = createCipheriv('chacha20-poly1305', key, chunkNonce(i, i === count - 1), { authTagLength: TAG });
    o += c.update(plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)).copy(out, o);
    o += c.final().copy(out, o);
    o += c.getAuthTag().copy(out, o);
  }
  return out.subarray(0, o);
}

/** age STREAM decryption; any truncation, extension or flipped byte fails authentication. */
function decryptPayload(fileKey: Uint8Array, body: Uint8Array): Buffer {
  if (body.length < NONCE + TAG) throw new AgeError('damaged', 'it is truncated');
  const key = payloadKey(fileKey, body.subarray(0, NONCE));
  const ct = body.subarray(NONCE);
  const full = CHUNK + TAG;
  const count = Math.ceil(ct.length / full);
  const lastLen = ct.length - (count - 1) * full;
  if (lastLen < TAG || (lastLen === TAG && count > 1)) throw new AgeError('damaged', 'it is truncated or damaged');
  const out = Buffer.allocUnsafe(ct.length - count * TAG);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const chunk = ct.subarray(i * full, Math.min((i + 1) * full, ct.length));
    const d = createDecipheriv('chacha20-poly1305', key, chunkNonce(i, i === count - 1), { authTagLength: TAG });
    d.setAuthTag(chunk.subarray(chunk.length - TAG));
    try {
      o += d.update(chunk.subarray(0, chunk.length - TAG)).copy(out, o);
      d.final();
    } catch {
      throw new AgeError('damaged', 'it is damaged or truncated (authentication failed)');
    }
  }
  return out;
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

/**
 * The file key of the last header opened, by the header's exact bytes. Same bytes, same stanzas
 * and MAC, which the key was checked against: reusing it skips the identity (X25519 or scrypt)
 * when a file is read again unchanged, as after open → read, or a write's re-read.
 */
export interface HeaderMemo {
  last: { header: Buffer; fileKey: Uint8Array } | null;
}

async function fileKeyOf(raw: Uint8Array, decrypter: Decrypter, memo: HeaderMemo | undefined): Promise<{ fileKey: Uint8Array; length: number }> {
  const { length } = readHeader(raw);
  const header = Buffer.from(raw.buffer, raw.byteOffset, length);
  if (memo?.last?.header.equals(header)) return { fileKey: memo.last.fileKey, length };
  let fileKey: Uint8Array | null = decrypter.x25519 && fastFileKey(header, decrypter.x25519);
  if (fileKey === null) {
    try {
      fileKey = await decrypter.typage.decryptHeader(raw.subarray(0, length));
    } catch (e) {
      mapHeaderError(e);
    }
  }
  if (memo) memo.last = { header: Buffer.from(header), fileKey };
  return { fileKey, length };
}

/** Decrypts a whole age file (binary or armored). Throws AgeError only. */
export async function decryptAge(bytes: Uint8Array, decrypter: Decrypter, memo?: HeaderMemo): Promise<Buffer> {
  const raw = dearmor(bytes);
  const { fileKey, length } = await fileKeyOf(raw, decrypter, memo);
  return decryptPayload(fileKey, raw.subarray(length));
}

/** Checks that the identities open this file's header, without decrypting the payload. */
export async function unlockHeader(bytes: Uint8Array, decrypter: Decrypter, memo?: HeaderMemo): Promise<void> {
  await fileKeyOf(dearmor(bytes), decrypter, memo);
}

/**
 * Encrypts to the recipients (age1… strings or custom Recipient objects). typage builds the
 * header (stanzas and MAC); a last, stanza-less recipient receives the file key so the payload
 * can be sealed on node:crypto. Binary output.
 */
export async function encryptAge(plaintext: Uint8Array, recipients: readonly (string | Recipient)[]): Promise<Buffer> {
  if (recipients.length === 0) throw new Error('encryptAge: no recipients');
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const captured: { key: Uint8Array | null } = { key: null };
  e.addRecipient({
    wrapFileKey: (k: Uint8Array) => {
      captured.key = Uint8Array.from(k);
      return [];
    },
  });
  const skeleton = await e.encrypt(new Uint8Array(0)); // header ‖ nonce ‖ empty final chunk (a tag)
  const headerLength = skeleton.length - NONCE - TAG;
  const fileKey = captured.key;
  if (fileKey?.length !== 16 || readHeader(skeleton).length !== headerLength) {
    throw new Error('encryptAge: unexpected output from age-encryption');
  }
  return encryptPayload(skeleton.subarray(0, headerLength), fileKey, plaintext);
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
      recipient = x25519Key(line)?.recipient ?? (await identityToRecipient(line));
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
  const recipient = x25519Key(key)?.recipient;
  if (recipient === undefined) throw new Error('generateIdentityText: typage made an identity that is not X25519');
  const created = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { text: `# created: ${created}\n# public key: ${recipient}\n${key}\n`, recipient };
}

export function decrypterFor(identities: readonly (string | Identity)[]): Decrypter {
  return new Decrypter(identities);
}

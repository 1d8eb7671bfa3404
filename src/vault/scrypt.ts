/**
 * age's scrypt recipient type as a typage Identity/Recipient, with the key derived on Node's
 * asynchronous `crypto.scrypt` (libuv thread pool). typage's own scrypt (noble's, synchronous)
 * would freeze the event loop for about a second at the default work factor: an MCP server
 * unlocking a passphrase vault must keep answering (test/vault/event-loop.test.ts). typage still
 * parses the header, checks its MAC and runs the payload; this file only turns a passphrase and
 * a stanza into the file key. It also refuses a work factor above the limit, with a clear message,
 * and remembers derived keys for one passphrase so that a write's verify step skips scrypt.
 *
 * Format (age v1): stanza `-> scrypt <b64nopad(salt16)> <logN>`, body = the 16-byte file key
 * sealed with ChaCha20-Poly1305 (zero nonce) under
 * `scrypt(passphrase, "age-encryption.org/v1/scrypt" ‖ salt, N = 2^logN, r = 8, p = 1, 32)`.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { base64nopad } from '@scure/base';
import { Stanza, type Identity, type Recipient } from 'age-encryption';
import type { Redacted } from '../core/redacted.js';

export const DEFAULT_WORK_FACTOR = 18;
/** typage refuses more on decrypt and cannot encrypt at 21 (noble's maxmem); Go age reads up to 22. */
export const MAX_WORK_FACTOR = 20;

const LABEL = Buffer.from('age-encryption.org/v1/scrypt');
const ZERO_NONCE = Buffer.alloc(12);

/** A stanza of ours that we cannot use; mapped to a TotpMcpError by the codec, which knows the file. */
export class StanzaError extends Error {
  constructor(
    readonly kind: 'malformed' | 'work_factor' | 'not_alone',
    message: string,
  ) {
    super(message);
    this.name = 'StanzaError';
  }
}

/** Derived keys by `${logN}:${salt}`, for one passphrase: lets a write's verify step skip scrypt. */
export type ScryptKeyCache = Map<string, Buffer>;

/** Strict unpadded base64 (canonical, no padding, no whitespace), or null. */
function b64nopadDecode(s: string): Uint8Array | null {
  try {
    return base64nopad.decode(s);
  } catch {
    return null;
  }
}

function checkWorkFactor(logN: number): void {
  if (!Number.isInteger(logN) || logN < 1 || logN > MAX_WORK_FACTOR) {
    throw new RangeError(`scrypt work factor must be an integer 1..${MAX_WORK_FACTOR}`);
  }
}

function deriveKey(passphrase: Redacted, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.reveal(),
      Buffer.concat([LABEL, salt]),
      32,
      { N, r: 8, p: 1, maxmem: 130 * N * 8 + 16 * 1024 * 1024 },
      (err, key) => {
        if (err) reject(err);
        else resolve(key);
      },
    );
  });
}

async function cachedKey(passphrase: Redacted, salt: Buffer, logN: number, cache: ScryptKeyCache | undefined): Promise<Buffer> {
  const id = `${logN}:${salt.toString('base64')}`;
  const hit = cache?.get(id);
  if (hit) return hit;
  const key = await deriveKey(passphrase, salt, logN);
  cache?.set(id, key);
  return key;
}

/** Decrypts files whose header is a single scrypt stanza. Returns null (not a throw) for a wrong passphrase. */
export class AsyncScryptIdentity implements Identity {
  readonly #passphrase: Redacted;
  readonly #cache: ScryptKeyCache | undefined;
  readonly #maxLogN: number;

  constructor(passphrase: Redacted, options: { cache?: ScryptKeyCache; maxWorkFactor?: number } = {}) {
    this.#passphrase = passphrase;
    this.#cache = options.cache;
    this.#maxLogN = options.maxWorkFactor ?? MAX_WORK_FACTOR;
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const mine = stanzas.find((s) => s.args[0] === 'scrypt');
    if (!mine) return null;
    if (stanzas.length !== 1) throw new StanzaError('not_alone', 'an scrypt stanza must be the only one in the header');
    const [, saltText, logNText] = mine.args;
    if (mine.args.length !== 3 || saltText === undefined || logNText === undefined || !/^[1-9][0-9]{0,2}$/.test(logNText)) {
      throw new StanzaError('malformed', 'invalid scrypt stanza');
    }
    const salt = b64nopadDecode(saltText);
    if (salt?.length !== 16 || mine.body.length !== 32) throw new StanzaError('malformed', 'invalid scrypt stanza');
    const logN = Number(logNText);
    if (logN > this.#maxLogN) {
      throw new StanzaError(
        'work_factor',
        `its scrypt work factor is 2^${logN}, above the limit of 2^${this.#maxLogN} (it would take minutes and gigabytes)`,
      );
    }
    const key = await cachedKey(this.#passphrase, Buffer.from(salt), logN, this.#cache);
    const body = Buffer.from(mine.body);
    const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
    d.setAuthTag(body.subarray(16));
    try {
      return new Uint8Array(Buffer.concat([d.update(body.subarray(0, 16)), d.final()]));
    } catch {
      return null; // wrong passphrase (or a tampered stanza): indistinguishable, as in age
    }
  }
}

/** Encrypts to a passphrase: a fresh salt per file, so the key is new each time (never reuse a salt). */
export class AsyncScryptRecipient implements Recipient {
  readonly #passphrase: Redacted;
  readonly #logN: number;
  readonly #cache: ScryptKeyCache | undefined;

  constructor(passphrase: Redacted, logN: number = DEFAULT_WORK_FACTOR, cache?: ScryptKeyCache) {
    checkWorkFactor(logN);
    this.#passphrase = passphrase;
    this.#logN = logN;
    this.#cache = cache;
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16);
    const key = await cachedKey(this.#passphrase, salt, this.#logN, this.#cache);
    const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
    const body = Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]);
    return [new Stanza(['scrypt', base64nopad.encode(salt), String(this.#logN)], new Uint8Array(body))];
  }
}

/**
 * age's X25519 identities on node:crypto (OpenSSL), for the common case of opening a vault with
 * an identity file: the recipient of an identity, and the file key of a header.
 *
 * Why not typage here: it runs X25519 through WebCrypto and parses headers through web streams,
 * and in a fresh process that costs several times what this path does (loading those parts of
 * Node, importing the key twice), on the start-up of every `totp-mcp serve` (bench/README.md).
 *
 * `fastFileKey` only ever says yes: it returns the file key when the header parses strictly
 * (https://age-encryption.org/v1), one of its X25519 stanzas opens with one of the keys, and the
 * header MAC checks out; otherwise it returns null and the caller asks typage, which then either
 * succeeds (a stanza of another type, e.g. a post-quantum one) or fails with its own error. So
 * every error keeps typage's wording, and this path accepts nothing typage would refuse (checked
 * against the C2SP CCTV age vectors in test/vault/x25519.test.ts).
 *
 * X25519 stanza: `-> X25519 <b64nopad(ephemeral share, 32 B)>`, body = the 16-byte file key sealed
 * with ChaCha20-Poly1305 (zero nonce) under HKDF-SHA256(ikm = X25519(key, share),
 * salt = share ‖ recipient public key, info = "age-encryption.org/v1/X25519").
 * Header MAC: HMAC-SHA256(HKDF-SHA256(ikm = file key, salt = "", info = "header"), header bytes up
 * to and including the `---` of the MAC line).
 */
import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { b64nopadDecode } from './scrypt.js';

export interface X25519Key {
  readonly privateKey: KeyObject;
  /** The recipient's public key (32 bytes). */
  readonly publicKey: Buffer;
  /** age1… */
  readonly recipient: string;
}

const IDENTITY_PREFIX = 'AGE-SECRET-KEY-';
/** PKCS #8 wrapping of a raw X25519 private key (RFC 8410): the fixed prefix before the 32 bytes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const STANZA_LABEL = 'age-encryption.org/v1/X25519';
const VERSION_LINE = 'age-encryption.org/v1';
const ZERO_NONCE = Buffer.alloc(12);

/** An `AGE-SECRET-KEY-1…` identity (as typage reads it: upper-case bech32), or null if it is not one. */
export function x25519Key(identity: string): X25519Key | null {
  if (!identity.startsWith(`${IDENTITY_PREFIX}1`)) return null;
  let decoded: { prefix: string; bytes: Uint8Array };
  try {
    decoded = bech32.decodeToBytes(identity);
  } catch {
    return null;
  }
  if (decoded.prefix.toUpperCase() !== IDENTITY_PREFIX || decoded.bytes.length !== 32) return null;
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, decoded.bytes]), format: 'der', type: 'pkcs8' });
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof x !== 'string') return null;
  const publicKey = Buffer.from(x, 'base64url');
  return { privateKey, publicKey, recipient: bech32.encodeFromBytes('age', publicKey) };
}

interface Stanza {
  readonly args: readonly string[];
  readonly body: Buffer;
}

interface Header {
  readonly stanzas: readonly Stanza[];
  /** The bytes the MAC covers: everything up to and including the `---` of the MAC line. */
  readonly macked: Uint8Array;
  readonly mac: Buffer;
}

/** The header (its exact bytes, ending with the MAC line's newline), or null if anything is off. */
function parseHeader(header: Uint8Array): Header | null {
  for (const b of header) if ((b < 0x20 || b > 0x7e) && b !== 0x0a) return null;
  const text = Buffer.from(header.buffer, header.byteOffset, header.length).toString('latin1');
  if (!text.endsWith('\n')) return null;
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== VERSION_LINE) return null;
  const stanzas: Stanza[] = [];
  let i = 1;
  for (;;) {
    const line = lines[i++];
    if (line === undefined) return null;
    const args = line.split(' ');
    if (args.length >= 2 && args[0] === '->') {
      if (args.some((a) => a === '')) return null;
      const parts: Buffer[] = [];
      for (;;) {
        const bodyLine = lines[i++];
        const part = bodyLine === undefined ? null : b64nopadDecode(bodyLine);
        if (part === null || part.length > 48) return null;
        parts.push(part);
        if (part.length < 48) break;
      }
      stanzas.push({ args: args.slice(1), body: Buffer.concat(parts) });
      continue;
    }
    if (!line.startsWith('--- ') || i !== lines.length) return null;
    const mac = b64nopadDecode(line.slice(4));
    if (mac === null || mac.length !== 32) return null;
    return { stanzas, macked: header.subarray(0, header.length - 1 - line.length + 3), mac };
  }
}

/** The file key from one stanza, null when it is not for this key; throws on a low-order share. */
function openStanza(key: X25519Key, share: Buffer, body: Buffer): Buffer | null {
  const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: share.toString('base64url') }, format: 'jwk' });
  const shared = diffieHellman({ privateKey: key.privateKey, publicKey: peer });
  if (shared.every((b) => b === 0)) throw new Error('low-order share');
  const wrapKey = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([share, key.publicKey]), STANZA_LABEL, 32));
  const d = createDecipheriv('chacha20-poly1305', wrapKey, ZERO_NONCE, { authTagLength: 16 });
  d.setAuthTag(body.subarray(16));
  try {
    return Buffer.concat([d.update(body.subarray(0, 16)), d.final()]);
  } catch {
    return null;
  }
}

/**
 * The file key of an age header (its exact bytes, through the MAC line), when one of `keys` opens
 * it and everything checks out; null to let typage decide (see the module comment). Keys are tried
 * in order, each against the stanzas in order, and the first file key found is the one whose MAC
 * is checked, as typage does with its identities.
 */
export function fastFileKey(header: Uint8Array, keys: readonly X25519Key[]): Buffer | null {
  const h = parseHeader(header);
  if (h === null) return null;
  // An scrypt stanza must be alone (age refuses the file otherwise); leave that to typage.
  if (h.stanzas.length > 1 && h.stanzas.some((s) => s.args[0] === 'scrypt')) return null;
  const candidates: { share: Buffer; body: Buffer }[] = [];
  for (const s of h.stanzas) {
    if (s.args[0] !== 'X25519') continue;
    const share = s.args.length === 2 ? b64nopadDecode(s.args[1] as string) : null;
    if (share?.length !== 32 || s.body.length !== 32) return null; // malformed: typage words it
    candidates.push({ share, body: s.body });
  }
  try {
    for (const key of keys) {
      for (const c of candidates) {
        const fileKey = openStanza(key, c.share, c.body);
        if (fileKey === null) continue;
        const macKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32));
        const mac = createHmac('sha256', macKey).update(h.macked).digest();
        return timingSafeEqual(mac, h.mac) ? fileKey : null;
      }
    }
  } catch {
    return null; // a share OpenSSL or the low-order check refuses
  }
  return null;
}

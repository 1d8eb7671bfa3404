/**
 * The one part of age that does not run on typage: decrypting the payload (the age STREAM,
 * https://age-encryption.org/v1) on node:crypto. typage's ChaCha20-Poly1305 is JavaScript, which
 * a fresh process interprets before it compiles it: for a 100-account vault that is most of the
 * crypto time of a `totp-mcp code` start (bench/README.md). typage still parses and opens the
 * header and checks its MAC; this file takes the file key it found and nothing else. Encryption
 * is typage's alone. `decryptAge(…, { typage: true })` forces typage's own payload path: the C2SP
 * CCTV vectors run on both (test/vault/cctv.test.ts).
 */
import { createDecipheriv, hkdfSync } from 'node:crypto';

const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;

/**
 * Where the payload starts in a file whose header typage has accepted: after the MAC line, the
 * first line that starts with "---" (stanza lines start with "->", body lines are base64).
 */
export function payloadOffset(raw: Uint8Array): number {
  const mac = Buffer.from(raw.buffer, raw.byteOffset, raw.length).indexOf('\n---');
  const end = mac < 0 ? -1 : raw.indexOf(0x0a, mac + 1);
  if (end < 0) throw new Error('no MAC line');
  return end + 1;
}

function chunkNonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(index, 5, 6); // 11-byte big-endian counter; 2^48 chunks is far beyond any vault
  n[11] = last ? 1 : 0;
  return n;
}

/** The age STREAM's plaintext; throws on any truncation, extension or flipped byte. */
export function decryptPayload(fileKey: Uint8Array, body: Uint8Array): Buffer {
  if (body.length < NONCE + TAG) throw new Error('truncated');
  const key = Buffer.from(hkdfSync('sha256', fileKey, body.subarray(0, NONCE), 'payload', 32));
  const ct = body.subarray(NONCE);
  const full = CHUNK + TAG;
  const count = Math.ceil(ct.length / full);
  const lastLen = ct.length - (count - 1) * full;
  // A last chunk may only be empty when it is the only one.
  if (lastLen < TAG || (lastLen === TAG && count > 1)) throw new Error('truncated');
  const out = Buffer.allocUnsafe(ct.length - count * TAG);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const chunk = ct.subarray(i * full, Math.min((i + 1) * full, ct.length));
    const d = createDecipheriv('chacha20-poly1305', key, chunkNonce(i, i === count - 1), { authTagLength: TAG });
    d.setAuthTag(chunk.subarray(chunk.length - TAG));
    o += d.update(chunk.subarray(0, chunk.length - TAG)).copy(out, o);
    d.final();
  }
  return out;
}

// X25519 on node:crypto (src/vault/x25519.ts) against typage and the C2SP CCTV age test vectors
// (https://github.com/C2SP/CCTV/tree/main/age): the fast path must open every well-formed file
// encrypted to an identity we hold, and accept nothing that age refuses.
import { createHash, randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { Decrypter as TypageDecrypter, Encrypter, generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import * as vectors from 'cctv-age';
import { describe, expect, test } from 'vitest';
import { AgeError, decryptAge, decrypterFor, dearmor, encryptAge, parseIdentityText, readHeader } from '../../src/vault/age.js';
import { fastFileKey, x25519Key } from '../../src/vault/x25519.js';

interface Vector {
  name: string;
  expect: string;
  fileKey: string;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  payload: string | undefined;
  file: Buffer;
}

function parseVector(name: string, bytes: Uint8Array): Vector {
  const all = Buffer.from(bytes);
  const split = all.indexOf('\n\n');
  const meta = all.subarray(0, split).toString('utf8').split('\n');
  const values = (key: string): string[] => meta.filter((l) => l.startsWith(`${key}: `)).map((l) => l.slice(key.length + 2));
  let file = all.subarray(split + 2);
  if (values('compressed')[0] === 'zlib') file = inflateSync(file);
  return {
    name,
    expect: values('expect')[0] ?? '',
    fileKey: values('file key')[0] ?? '',
    identities: values('identity'),
    passphrases: values('passphrase'),
    armored: values('armored')[0] === 'yes',
    payload: values('payload')[0],
    file,
  };
}

const ALL = Object.entries(vectors as Record<string, Uint8Array>)
  .filter(([name]) => name !== 'default')
  .map(([name, bytes]) => parseVector(name, bytes));
/** Vectors opened with identities only (passphrase vectors are the scrypt path's business). */
const WITH_IDENTITIES = ALL.filter((v) => v.identities.length > 0 && v.passphrases.length === 0);
const X25519_ONLY = WITH_IDENTITIES.filter((v) => v.identities.every((id) => x25519Key(id) !== null));

/** The header's exact bytes, or null when even its end cannot be found. */
function headerOf(v: Vector): Buffer | null {
  try {
    const raw = dearmor(v.file);
    return Buffer.from(raw.subarray(0, readHeader(raw).length));
  } catch {
    return null;
  }
}

describe('CCTV age vectors', () => {
  test('the set is there and covers X25519', () => {
    expect(ALL.length).toBeGreaterThan(100);
    expect(X25519_ONLY.filter((v) => v.expect === 'success').length).toBeGreaterThan(10);
    expect(X25519_ONLY.filter((v) => v.expect === 'header failure').length).toBeGreaterThan(20);
  });

  test.each(X25519_ONLY.map((v) => [v.name, v] as const))('fast path, %s', async (_name, v) => {
    const header = headerOf(v);
    const keys = v.identities.map((id) => x25519Key(id)).filter((k) => k !== null);
    const got = header === null ? null : fastFileKey(header, keys);
    // typage on the same header bytes: the fast path may only ever agree with it or abstain.
    const d = new TypageDecrypter();
    for (const id of v.identities) d.addIdentity(id);
    const typage = header === null ? null : await d.decryptHeader(header).then((k) => Buffer.from(k).toString('hex'), () => null);
    if (typage === null) expect(got).toBeNull();
    else expect(got?.toString('hex') ?? null).toBe(typage);
    // And on every good header it must not abstain (armor failures never get this far).
    if (v.expect === 'success' || v.expect === 'payload failure') expect(got?.toString('hex')).toBe(v.fileKey);
  });

  test.each(WITH_IDENTITIES.map((v) => [v.name, v] as const))('decryptAge, %s', async (_name, v) => {
    const run = decryptAge(v.file, decrypterFor(v.identities));
    if (v.expect === 'success') {
      const plain = await run;
      expect(createHash('sha256').update(plain).digest('hex')).toBe(v.payload);
    } else {
      await expect(run).rejects.toBeInstanceOf(AgeError);
    }
  });
});

describe('node:crypto X25519 agrees with typage', () => {
  test('recipients of random identities', async () => {
    for (let i = 0; i < 32; i++) {
      const id = await generateX25519Identity();
      expect(x25519Key(id)?.recipient).toBe(await identityToRecipient(id));
      // typage takes identities in upper case only, and so does the fast path.
      expect(x25519Key(id.toLowerCase())).toBeNull();
    }
  });

  test('not X25519 identities are not taken', async () => {
    expect(x25519Key(await generateHybridIdentity())).toBeNull();
    const id = await generateX25519Identity();
    expect(x25519Key(`${id.slice(0, -1)}${id.endsWith('Q') ? 'P' : 'Q'}`)).toBeNull(); // checksum
    expect(x25519Key('AGE-SECRET-KEY-1')).toBeNull();
    expect(x25519Key('')).toBeNull();
  });

  test('files from typage, several recipients: the fast path finds the same file key', async () => {
    const ids = await Promise.all([generateX25519Identity(), generateX25519Identity(), generateX25519Identity()]);
    const { recipients } = await parseIdentityText(ids.join('\n'));
    for (const [i, id] of ids.entries()) {
      const e = new Encrypter();
      for (const r of [...recipients.slice(i), ...recipients.slice(0, i)]) e.addRecipient(r);
      const file = await e.encrypt(randomBytes(100));
      const header = file.subarray(0, readHeader(file).length);
      const d = new TypageDecrypter();
      d.addIdentity(id);
      const expected = Buffer.from(await d.decryptHeader(header)).toString('hex');
      expect(fastFileKey(header, [x25519Key(id)].filter((k) => k !== null))?.toString('hex')).toBe(expected);
    }
  });

  test('a stranger’s key finds nothing; a flipped MAC is left to typage', async () => {
    const [mine, other] = await Promise.all([generateX25519Identity(), generateX25519Identity()]);
    const file = await encryptAge(Buffer.from('x'), [await identityToRecipient(mine)]);
    const header = Buffer.from(file.subarray(0, readHeader(file).length));
    const otherKey = x25519Key(other);
    const myKey = x25519Key(mine);
    if (!otherKey || !myKey) throw new Error('keys');
    expect(fastFileKey(header, [otherKey])).toBeNull();
    expect(fastFileKey(header, [myKey])).not.toBeNull();
    const macAt = header.lastIndexOf('--- ') + 4;
    header[macAt] = header[macAt] === 0x41 ? 0x42 : 0x41;
    expect(fastFileKey(header, [myKey])).toBeNull();
    await expect(decryptAge(Buffer.concat([header, file.subarray(header.length)]), decrypterFor([mine]))).rejects.toMatchObject({ kind: 'damaged' });
  });
});

/**
 * The codec (typage, with our async scrypt stanzas) against typage used directly, both ways, and
 * its refusal of damaged or hostile input with fixed-text AgeErrors.
 */
import { randomBytes } from 'node:crypto';
import { Decrypter, Encrypter, Stanza, armor, generateHybridIdentity, identityToRecipient } from 'age-encryption';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Redacted } from '../../src/core/redacted.js';
import {
  AgeError,
  decryptAge,
  decrypterFor,
  encryptAge,
  generateIdentityText,
  parseIdentityText,
  readHeader,
} from '../../src/vault/age.js';
import { AsyncScryptIdentity, AsyncScryptRecipient } from '../../src/vault/scrypt.js';

const CHUNK = 64 * 1024;
const SIZES = [0, 1, 15, 16, 17, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 16, 3 * CHUNK - 1, 200_000];

async function keypair(): Promise<{ key: string; recipient: string }> {
  const { text, recipient } = await generateIdentityText(Date.now());
  const { keys } = await parseIdentityText(text);
  return { key: keys[0] as string, recipient };
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof AgeError ? e.kind : `other: ${String(e)}`;
  }
}

describe('the codec agrees with typage used directly', () => {
  test.each(SIZES)('%i bytes: ours → typage and typage → ours', async (n) => {
    const { key, recipient } = await keypair();
    const plain = randomBytes(n);
    const ours = await encryptAge(plain, [recipient]);
    const typage = new Decrypter();
    typage.addIdentity(key);
    expect(Buffer.from(await typage.decrypt(ours)).equals(plain)).toBe(true);

    const e = new Encrypter();
    e.addRecipient(recipient);
    const theirs = await e.encrypt(plain);
    expect((await decryptAge(theirs, decrypterFor([key]))).equals(plain)).toBe(true);
    expect(ours.length).toBe(theirs.length); // same framing, byte for byte in size
  });

  test('random plaintexts round-trip, and armored files are read', async () => {
    const { key, recipient } = await keypair();
    const d = decrypterFor([key]);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3 * CHUNK }), async (plain) => {
        const ct = await encryptAge(plain, [recipient]);
        expect(Buffer.from(await decryptAge(ct, d)).equals(Buffer.from(plain))).toBe(true);
        expect(Buffer.from(await decryptAge(Buffer.from(armor.encode(ct)), d)).equals(Buffer.from(plain))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  test('post-quantum recipients go through typage’s header as well', async () => {
    const key = await generateHybridIdentity();
    const ct = await encryptAge(Buffer.from('pq'), [await identityToRecipient(key)]);
    expect((await readHeader(ct)).stanzaTypes).toEqual(['mlkem768x25519']);
    expect((await decryptAge(ct, decrypterFor([key]))).toString()).toBe('pq');
  });

  test('every single-bit flip in the header and the start of the payload is caught', async () => {
    const { key, recipient } = await keypair();
    const d = decrypterFor([key]);
    const ct = await encryptAge(Buffer.from('{"hello":"world"}'), [recipient]);
    const end = ct.length;
    const kinds = new Set<string>();
    for (let i = 0; i < end; i++) {
      for (let b = 0; b < 8; b++) {
        const bad = Buffer.from(ct);
        bad[i] = (bad[i] as number) ^ (1 << b);
        kinds.add(await kindOf(decryptAge(bad, d)));
      }
    }
    expect([...kinds].sort()).toEqual(['damaged', 'malformed', 'no_match']);
  });
});

describe('async scrypt identity and recipient', () => {
  const pass = new Redacted('sesame');

  test('typage decrypts our scrypt files; we decrypt typage’s', async () => {
    const ours = await encryptAge(Buffer.from('secret text'), [new AsyncScryptRecipient(pass, 10)]);
    expect(await readHeader(ours)).toMatchObject({ stanzaTypes: ['scrypt'], scryptLogN: 10 });
    const t = new Decrypter();
    t.addPassphrase('sesame'); // typage's own scrypt, as the reference implementation
    expect(await t.decrypt(ours, 'text')).toBe('secret text');

    const e = new Encrypter();
    e.setPassphrase('sesame');
    e.setScryptWorkFactor(10);
    const theirs = await e.encrypt('from typage');
    expect((await decryptAge(theirs, decrypterFor([new AsyncScryptIdentity(pass)]))).toString()).toBe('from typage');
  });

  test('a wrong passphrase is "no match", not a throw from the identity', async () => {
    const ct = await encryptAge(Buffer.from('x'), [new AsyncScryptRecipient(pass, 10)]);
    expect(await kindOf(decryptAge(ct, decrypterFor([new AsyncScryptIdentity(new Redacted('nope'))])))).toBe('no_match');
  });

  test('the key cache lets a verify skip scrypt; each write gets a fresh salt', async () => {
    const cache = new Map<string, Buffer>();
    const a = await encryptAge(Buffer.from('a'), [new AsyncScryptRecipient(pass, 14, cache)]);
    const b = await encryptAge(Buffer.from('b'), [new AsyncScryptRecipient(pass, 14, cache)]);
    expect(cache.size).toBe(2);
    const salt = (ct: Buffer): string => ct.toString('latin1').split('\n')[1]!.split(' ')[2]!;
    expect(salt(a)).not.toBe(salt(b));
    const started = performance.now();
    await decryptAge(a, decrypterFor([new AsyncScryptIdentity(pass, { cache })]));
    const cached = performance.now() - started;
    const started2 = performance.now();
    await decryptAge(a, decrypterFor([new AsyncScryptIdentity(pass)]));
    const uncached = performance.now() - started2;
    expect(cached).toBeLessThan(uncached);
  });

  async function withStanzas(stanzas: Stanza[]): Promise<Uint8Array> {
    const e = new Encrypter();
    e.addRecipient({ wrapFileKey: () => stanzas });
    return e.encrypt('x');
  }
  const salt = Buffer.from(randomBytes(16)).toString('base64').replace(/=+$/, '');
  const body = new Uint8Array(32);

  test.each([
    ['work factor 21', [new Stanza(['scrypt', salt, '21'], body)], 'work_factor'],
    ['work factor 0', [new Stanza(['scrypt', salt, '0'], body)], 'malformed'],
    ['work factor with a leading zero', [new Stanza(['scrypt', salt, '018'], body)], 'malformed'],
    ['padded salt', [new Stanza(['scrypt', `${salt}==`, '10'], body)], 'malformed'],
    ['short salt', [new Stanza(['scrypt', salt.slice(4), '10'], body)], 'malformed'],
    ['extra argument', [new Stanza(['scrypt', salt, '10', 'x'], body)], 'malformed'],
    ['short body', [new Stanza(['scrypt', salt, '10'], new Uint8Array(31))], 'malformed'],
    ['not alone', [new Stanza(['scrypt', salt, '10'], body), new Stanza(['X25519', 'AAAA'], body)], 'malformed'],
  ])('refuses an scrypt stanza with %s', async (_name, stanzas, kind) => {
    const ct = await withStanzas(stanzas);
    expect(await kindOf(decryptAge(ct, decrypterFor([new AsyncScryptIdentity(pass)])))).toBe(kind);
  });
});

describe('identity files', () => {
  test('comments and blank lines are skipped; plugin identities and bad lines are refused without echo', async () => {
    const { text } = await generateIdentityText(Date.now());
    expect((await parseIdentityText(`\n${text}\n# trailing\n`)).keys).toHaveLength(1);
    await expect(parseIdentityText('AGE-PLUGIN-YUBIKEY-1ABC\n')).rejects.toThrow(/plugin identity/);
    await expect(parseIdentityText('# only comments\n')).rejects.toThrow(/no identity/);
    const bad = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    await expect(parseIdentityText(`# x\n${bad}\n`)).rejects.toThrow('line 2 is not a valid age identity');
  });
});

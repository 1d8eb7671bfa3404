// The C2SP CCTV age test vectors (https://github.com/C2SP/CCTV/tree/main/age) through the vault's
// codec (src/vault/age.ts on typage, with scrypt.ts for passphrases), on both payload paths
// (age-payload.ts on node:crypto, and typage's own): every good file opens to the right payload,
// and every bad one is refused with the AgeError kind its failure calls for.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as vectors from 'cctv-age';
import { describe, expect, test } from 'vitest';
import { Redacted } from '../../src/core/redacted.js';
import { AgeError, decryptAge, decrypterFor, readHeader, type Identity } from '../../src/vault/age.js';
import { AsyncScryptIdentity } from '../../src/vault/scrypt.js';

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

/** The AgeError kinds each expected outcome of the vectors may take. */
const KINDS: Record<string, readonly string[]> = {
  'no match': ['no_match'],
  'header failure': ['malformed', 'damaged', 'work_factor'],
  'HMAC failure': ['damaged'],
  'payload failure': ['damaged'],
  'armor failure': ['malformed'],
};

async function outcome(v: Vector, typage: boolean): Promise<string> {
  try {
    const ids: (string | Identity)[] = [...v.identities, ...v.passphrases.map((p) => new AsyncScryptIdentity(new Redacted(p)))];
    const plain = await decryptAge(v.file, decrypterFor(ids), { typage });
    return `ok ${createHash('sha256').update(plain).digest('hex')}`;
  } catch (e) {
    return e instanceof AgeError ? e.kind : `other: ${String(e)}`;
  }
}

describe('CCTV age vectors', () => {
  test('the set is there and covers X25519, scrypt and post-quantum keys', () => {
    expect(ALL.length).toBeGreaterThan(100);
    expect(ALL.filter((v) => v.passphrases.length > 0).length).toBeGreaterThan(20);
    expect(ALL.filter((v) => v.identities.some((id) => id.startsWith('AGE-SECRET-KEY-1'))).length).toBeGreaterThan(50);
    expect(ALL.filter((v) => v.identities.some((id) => id.startsWith('AGE-SECRET-KEY-PQ-1'))).length).toBeGreaterThan(0);
    expect(new Set(ALL.map((v) => v.expect))).toEqual(new Set(['success', ...Object.keys(KINDS)]));
  });

  test.each(ALL.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    for (const typage of [false, true]) {
      const got = await outcome(v, typage);
      if (v.expect === 'success') expect({ typage, got }).toEqual({ typage, got: `ok ${v.payload ?? ''}` });
      else expect(KINDS[v.expect], `typage: ${typage}`).toContain(got);
    }
  });

  test('readHeader names the stanzas of every file whose header parses', async () => {
    const scrypt = ALL.find((v) => v.name === 'scrypt');
    if (!scrypt) throw new Error('no scrypt vector');
    expect(await readHeader(scrypt.file)).toEqual({ stanzaTypes: ['scrypt'], scryptLogN: 10 });
    const armored = ALL.find((v) => v.name === 'armor_scrypt');
    if (!armored) throw new Error('no armor_scrypt vector');
    expect(await readHeader(armored.file)).toEqual({ stanzaTypes: ['scrypt'], scryptLogN: 10 });
  });
});

// Hostile and broken files: truncated, wrong types, huge fields, deep nesting, protobuf with lying
// lengths, zip bombs, absurd KDF parameters. Each must end in a clear error (or a clear per-entry
// problem), write nothing, and never show the seed that the file carries (the leak canary).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { newHome } from '../helpers/cli.js';
import {
  ACCOUNTS,
  aegisEncrypted,
  aegisPlain,
  andOtpPlain,
  bitwardenPlain,
  googleParams,
  googlePayload,
  migrationUri,
  raivoJson,
  raivoZip,
  twoFasEncrypted,
  twoFasPlain,
  zipBomb,
  zipMany,
} from './fixtures.js';
import { CANARY_ACCOUNT, expectNoCanary, importCli, snapshot, writeTemp } from './helpers.js';

const WITH_CANARY = [CANARY_ACCOUNT, ...ACCOUNTS.slice(0, 2)];

interface Hostile {
  name: string;
  data: () => string | Uint8Array | Promise<string | Uint8Array>;
  message: RegExp;
  password?: string;
  exit?: number;
}

/** A varint as protobuf writes it. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const pb = (...bytes: (number | number[])[]): Uint8Array => Uint8Array.from(bytes.flat());
const canaryParams = googleParams(CANARY_ACCOUNT);
const validPayload = googlePayload([canaryParams]);

const cases: Hostile[] = [
  // truncated
  {
    name: 'truncated Aegis JSON',
    data: () => aegisPlain(WITH_CANARY).slice(0, 300),
    message: /is not valid JSON \(is the file complete\?\)/,
  },
  { name: 'truncated 2FAS JSON', data: () => twoFasPlain(WITH_CANARY).slice(0, -5), message: /is not valid JSON/ },
  {
    name: 'truncated encrypted Aegis (db cut)',
    data: () => aegisEncrypted(WITH_CANARY, 'pw').replace(/"db":"([^"]{40})[^"]*"/, '"db":"$1"'),
    message: /wrong password|damaged/,
    password: 'pw',
  },
  {
    name: 'truncated Raivo ZIP',
    data: async () => (await raivoZip(WITH_CANARY, 'pw')).subarray(0, 200),
    message: /ZIP file is damaged or truncated|not a Raivo export/,
    password: 'pw',
  },
  {
    name: 'truncated migration payload',
    data: () => migrationUri(validPayload.subarray(0, validPayload.length - 7)),
    message: /export data is damaged/,
  },
  // wrong types
  {
    name: 'Aegis with entries as a string',
    data: () =>
      JSON.stringify({
        version: 1,
        header: { slots: null, params: null },
        db: { version: 3, entries: 'CANARYSEEDQQQQQQCANARYSEEDQQQQQQ' },
      }),
    message: /Aegis export has no entries list/,
  },
  {
    name: 'Aegis of an unknown version',
    data: () => JSON.stringify({ version: 2, header: {}, db: {} }),
    message: /unsupported Aegis export version/,
  },
  {
    name: 'encrypted Aegis with slots as an object',
    data: () => JSON.stringify({ version: 1, header: { slots: {}, params: {} }, db: 'AAAA' }),
    message: /header has no slots or params/,
  },
  {
    name: '2FAS with a future schema',
    data: () => JSON.stringify({ services: [], schemaVersion: 99 }),
    message: /unsupported 2FAS schema version/,
  },
  {
    name: '2FAS with malformed servicesEncrypted',
    data: () =>
      JSON.stringify({ services: [], schemaVersion: 4, servicesEncrypted: 'CANARYSEEDQQQQQQCANARYSEEDQQQQQQ' }),
    message: /"servicesEncrypted" is malformed/,
    password: 'pw',
  },
  {
    name: 'Bitwarden with items as null and encrypted: true',
    data: () => JSON.stringify({ encrypted: true, items: null }),
    message: /encrypted with the account's key|not an export format/,
  },
  {
    name: 'Bitwarden encrypted with the account key',
    data: () => JSON.stringify({ encrypted: true, encKeyValidation_DO_NOT_EDIT: '2.a|b|c', items: [] }),
    message: /encrypted with the account's key: only Bitwarden can read it/,
  },
  {
    name: 'Bitwarden protected with Argon2id',
    data: () =>
      JSON.stringify({
        encrypted: true,
        passwordProtected: true,
        salt: 'c2FsdA==',
        kdfType: 1,
        kdfIterations: 3,
        kdfMemory: 64,
        kdfParallelism: 4,
        encKeyValidation_DO_NOT_EDIT: '2.a|b|c',
        data: '2.d|e|f',
      }),
    message: /protected with Argon2id/,
  },
  {
    name: 'JSON that is a number',
    data: () => '[1, 2, 3]',
    message: /is JSON, but not an export format totp-mcp knows/,
  },
  // huge fields and counts
  {
    name: 'an issuer of a million characters',
    data: () => aegisPlain([{ ...CANARY_ACCOUNT, issuer: 'x'.repeat(1_000_000) }]),
    message: /issuer is longer than 256 characters/,
    exit: 1,
  },
  {
    name: 'a secret of a million characters',
    data: () => andOtpPlain([CANARY_ACCOUNT]).replace(/"secret":"[^"]*"/, `"secret":"${'A'.repeat(1_000_000)}"`),
    message: /secret is too long/,
    exit: 1,
  },
  {
    name: '60,000 entries',
    data: () => raivoJson(Array.from({ length: 60_000 }, () => CANARY_ACCOUNT)),
    message: /more than 50000 entries/,
  },
  // deep nesting
  {
    name: 'JSON nested 100,000 levels deep',
    data: () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    message: /nested more than 64 levels deep/,
  },
  {
    name: 'Aegis with a deeply nested entry',
    data: () =>
      aegisPlain(WITH_CANARY).replace('"entries": [', `"entries": [${'{"a":'.repeat(200)}1${'}'.repeat(200)},`),
    message: /nested more than 64 levels deep/,
  },
  // protobuf with bad lengths
  {
    name: 'protobuf: a field longer than the payload',
    data: () => migrationUri(pb(0x0a, varint(0x7fffffff), Array.from(validPayload.subarray(2)))),
    message: /export data is damaged/,
  },
  {
    name: 'protobuf: a secret longer than its message',
    data: () => migrationUri(pb(0x0a, 6, 0x0a, 100, 1, 2, 3, 4)),
    message: /export data is damaged/,
  },
  {
    name: 'protobuf: an unterminated varint',
    data: () => migrationUri(pb(0x10, 0x80, 0x80, 0x80)),
    message: /export data is damaged/,
  },
  {
    name: 'protobuf: 40,000 nested groups',
    data: () => migrationUri(pb(Array(40_000).fill(0x7b))),
    message: /export data is damaged/,
  },
  {
    name: 'protobuf: an unknown enum and a huge counter',
    data: () =>
      migrationUri(
        googlePayload([
          { ...canaryParams, algorithm: 9 },
          { ...canaryParams, type: 1, counter: Number.MAX_SAFE_INTEGER * 4 },
        ]),
      ),
    message: /nothing imported: every entry has a problem/,
  },
  {
    name: 'migration URI with data that is not base64',
    data: () => 'otpauth-migration://offline?data=%%%CANARYSEEDQQQQQQ',
    message: /malformed percent-encoding|not base64/,
  },
  { name: 'migration URI without data', data: () => 'otpauth-migration://offline?x=1', message: /without "data"/ },
  // zip bombs and KDF bombs
  {
    name: 'a ZIP bomb (declared size)',
    data: () => zipBomb(40 * 1024 * 1024),
    message: /larger than 16 MiB: refusing it/,
  },
  {
    name: 'a ZIP bomb lying about its size',
    data: async () => lieAboutSize(await zipBomb(40 * 1024 * 1024)),
    message: /unpacks to more than 16 MiB \(a zip bomb\?\)|ZIP file is damaged/,
  },
  {
    name: 'an encrypted ZIP bomb lying about its size',
    data: async () => lieAboutSize(await zipBomb(40 * 1024 * 1024, 'pw')),
    message: /unpacks to more than 16 MiB|ZIP file is damaged|wrong password/,
    password: 'pw',
  },
  { name: 'a ZIP of 1,000 files', data: () => zipMany(1000), message: /more than 64 entries/ },
  {
    name: 'Aegis asking for scrypt N = 2^30',
    data: () => aegisEncrypted(WITH_CANARY, 'pw', { n: 1024, r: 8, p: 1 }).replace('"n":1024', `"n":${2 ** 30}`),
    message: /scrypt N must be a power of two up to 1048576/,
    password: 'pw',
  },
  {
    name: 'Aegis asking for scrypt r·p = 2^20',
    data: () => aegisEncrypted(WITH_CANARY, 'pw', { n: 1024, r: 8, p: 1 }).replace('"p":1', '"p":131072'),
    message: /scrypt r and p are out of range/,
    password: 'pw',
  },
  {
    name: 'Bitwarden asking for 10^9 PBKDF2 iterations',
    data: () =>
      JSON.stringify({
        encrypted: true,
        passwordProtected: true,
        salt: 'c2FsdA==',
        kdfType: 0,
        kdfIterations: 1e9,
        encKeyValidation_DO_NOT_EDIT: '2.a|b|c',
        data: '2.d|e|f',
      }),
    message: /PBKDF2 iterations \(the limit is 2000000\)/,
    password: 'pw',
  },
  {
    name: '2FAS encrypted, then a wrong password',
    data: () => twoFasEncrypted(WITH_CANARY, 'right'),
    message: /wrong password/,
    password: 'wrong',
  },
  // not what it claims
  {
    name: 'binary garbage',
    data: () => Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37 + 200) & 0xff)),
    message: /wrong password: the andOTP backup did not decrypt/,
    password: 'pw',
  },
  { name: 'an empty file', data: () => '', message: /is empty/ },
  {
    name: 'a Bitwarden export with a bad TOTP in every item',
    data: () =>
      bitwardenPlain([CANARY_ACCOUNT]).replace(/"totp": "[^"]*"/, '"totp": "CANARYSEEDQQQQQQCANARYSEEDQQQQQQ!"'),
    message: /nothing imported: every entry has a problem/,
  },
];

/** Rewrites the uncompressed size in the local header and the central directory to 100 bytes. */
function lieAboutSize(zip: Buffer): Buffer {
  const b = Buffer.from(zip);
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = b.readUInt32LE(i);
    if (sig === 0x04034b50) b.writeUInt32LE(100, i + 22);
    if (sig === 0x02014b50) b.writeUInt32LE(100, i + 24);
  }
  return b;
}

describe('hostile and broken files: clear errors, nothing written, no seed shown', () => {
  it.each(cases)('$name', async (c) => {
    const home = newHome();
    const before = snapshot(home);
    const path = writeTemp('hostile.bin', await c.data());
    const t0 = performance.now();
    const r = importCli(home, path, c.password === undefined ? [] : ['--password-stdin'], c.password);
    const ms = performance.now() - t0;
    expect(r.code, r.stderr).toBe(c.exit ?? 1);
    expect(`${r.stdout}${r.stderr}`).toMatch(c.message);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expectNoCanary(`stdout of ${c.name}`, r.stdout);
    expectNoCanary(`stderr of ${c.name}`, r.stderr);
    expect(snapshot(home)).toBe(before);
    expect(ms, 'a hostile file must not make an import slow').toBeLessThan(15_000);
  });

  it('refuses a file over 64 MiB without reading it', () => {
    const home = newHome();
    const path = writeTemp('huge.json', '');
    execFileSync('truncate', ['-s', `${65 * 1024 * 1024}`, path]);
    const r = importCli(home, path);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/larger than 64 MiB/);
  });
});

// Every import format, from fixtures built in test/import/fixtures.ts from the published specs:
// each is imported through the CLI into a fresh home, detected from its content, and must give
// exactly the fixture's accounts, making the same codes as oathtool (and the Steam vectors).
// Encrypted variants are read with the right password and refused, with nothing written, with a
// wrong one.
import { describe, expect, it } from 'vitest';
import { cli, newHome } from '../helpers/cli.js';
import {
  ACCOUNTS,
  GOOGLE_ACCOUNTS,
  RAIVO_ACCOUNTS,
  aegisEncrypted,
  aegisPlain,
  andOtpEncrypted,
  andOtpEncryptedOld,
  andOtpPlain,
  bitwardenAuthenticator,
  bitwardenPlain,
  bitwardenProtected,
  googleExport,
  otpauthUri,
  qrPng,
  raivoJson,
  raivoZip,
  twoFasEncrypted,
  twoFasPlain,
  type FxAccount,
} from './fixtures.js';
import { expectAccounts, expectCliCode, expectCodes, importCli, snapshot, writeTemp } from './helpers.js';

const PASSWORD = 'correct horse battery staple ✓';

interface Case {
  name: string;
  file: string;
  data: () => Promise<string | Uint8Array> | string | Uint8Array;
  accounts: FxAccount[];
  detected: RegExp;
  password?: string;
}

const cases: Case[] = [
  {
    name: 'otpauth:// URI list',
    file: 'uris.txt',
    data: () => `# my accounts\n\n${ACCOUNTS.map(otpauthUri).join('\r\n')}\n`,
    accounts: ACCOUNTS,
    detected: /otpauth:\/\/ URI list/,
  },
  {
    name: 'Google Authenticator, one QR code',
    file: 'ga.txt',
    data: () => googleExport(GOOGLE_ACCOUNTS).join('\n'),
    accounts: GOOGLE_ACCOUNTS,
    detected: /Google Authenticator export/,
  },
  {
    name: 'Google Authenticator, a batch of 4 codes',
    file: 'ga4.txt',
    data: () => googleExport(GOOGLE_ACCOUNTS, 1).join('\n'),
    accounts: GOOGLE_ACCOUNTS,
    detected: /Google Authenticator export \(4 migration URIs\)/,
  },
  {
    name: 'Aegis plain',
    file: 'aegis.json',
    data: () => aegisPlain(ACCOUNTS),
    accounts: ACCOUNTS,
    detected: /Aegis export \(plain\)/,
  },
  {
    name: 'Aegis encrypted',
    file: 'aegis-enc.json',
    data: () => aegisEncrypted(ACCOUNTS, PASSWORD),
    accounts: ACCOUNTS,
    detected: /Aegis export \(encrypted\)/,
    password: PASSWORD,
  },
  {
    name: '2FAS plain',
    file: 'x.2fas',
    data: () => twoFasPlain(ACCOUNTS),
    accounts: ACCOUNTS,
    detected: /2FAS export \(plain\)/,
  },
  {
    name: '2FAS encrypted',
    file: 'enc.2fas',
    data: () => twoFasEncrypted(ACCOUNTS, PASSWORD),
    accounts: ACCOUNTS,
    detected: /2FAS export \(encrypted\)/,
    password: PASSWORD,
  },
  {
    name: 'andOTP plain',
    file: 'andotp.json',
    data: () => andOtpPlain(ACCOUNTS),
    accounts: ACCOUNTS,
    detected: /andOTP backup \(plain\)/,
  },
  {
    name: 'andOTP plain, old labels "Issuer - account"',
    file: 'andotp-old.json',
    data: () => andOtpPlain(ACCOUNTS, true),
    accounts: ACCOUNTS,
    detected: /andOTP backup \(plain\)/,
  },
  {
    name: 'andOTP encrypted (PBKDF2 format)',
    file: 'otp_accounts.json.aes',
    data: () => andOtpEncrypted(ACCOUNTS, PASSWORD),
    accounts: ACCOUNTS,
    detected: /andOTP backup \(encrypted/,
    password: PASSWORD,
  },
  {
    name: 'andOTP encrypted (old SHA-256 format)',
    file: 'old.json.aes',
    data: () => andOtpEncryptedOld(ACCOUNTS, PASSWORD),
    accounts: ACCOUNTS,
    detected: /andOTP backup \(encrypted/,
    password: PASSWORD,
  },
  {
    name: 'Bitwarden password manager JSON',
    file: 'bitwarden.json',
    data: () => bitwardenPlain(ACCOUNTS),
    accounts: ACCOUNTS,
    detected: /Bitwarden JSON export/,
  },
  {
    name: 'Bitwarden Authenticator JSON',
    file: 'bw-auth.json',
    data: () => bitwardenAuthenticator(ACCOUNTS),
    accounts: ACCOUNTS,
    detected: /Bitwarden JSON export/,
  },
  {
    name: 'Bitwarden password-protected (PBKDF2)',
    file: 'bw-enc.json',
    data: () => bitwardenProtected(ACCOUNTS, PASSWORD),
    accounts: ACCOUNTS,
    detected: /Bitwarden JSON export \(encrypted\)/,
    password: PASSWORD,
  },
  {
    name: 'Raivo ZIP (AES-256)',
    file: 'raivo-otp-export.zip',
    data: () => raivoZip(RAIVO_ACCOUNTS, PASSWORD),
    accounts: RAIVO_ACCOUNTS,
    detected: /Raivo export \(ZIP\)/,
    password: PASSWORD,
  },
  {
    name: 'Raivo ZIP (ZipCrypto)',
    file: 'raivo-zc.zip',
    data: () => raivoZip(RAIVO_ACCOUNTS, PASSWORD, 'zipcrypto'),
    accounts: RAIVO_ACCOUNTS,
    detected: /Raivo export \(ZIP\)/,
    password: PASSWORD,
  },
  {
    name: 'Raivo JSON (unzipped)',
    file: 'raivo-otp-export.json',
    data: () => raivoJson(RAIVO_ACCOUNTS),
    accounts: RAIVO_ACCOUNTS,
    detected: /Raivo export \(JSON\)/,
  },
  {
    name: 'QR image (PNG) of an otpauth:// URI',
    file: 'qr.png',
    data: () => qrPng(otpauthUri(ACCOUNTS[1]!)),
    accounts: [ACCOUNTS[1]!],
    detected: /QR image: otpauth:\/\/ URI list/,
  },
  {
    name: 'QR image (PNG) of a Google export',
    file: 'ga.png',
    data: () => qrPng(googleExport(GOOGLE_ACCOUNTS)[0]!),
    accounts: GOOGLE_ACCOUNTS,
    detected: /QR image: Google Authenticator export/,
  },
];

describe('import: every format, detected from its content, same accounts and codes', () => {
  it.each(cases)('$name', async (c) => {
    const home = newHome();
    // File names say nothing: detection must come from the content.
    const path = writeTemp(`export-${Math.random().toString(36).slice(2)}.bin`, await c.data());
    const r = importCli(
      home,
      path,
      c.password === undefined ? [] : ['--password-stdin'],
      c.password === undefined ? undefined : `${c.password}\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`detected: ${c.detected.source}`));
    expect(r.stdout).toMatch(new RegExp(`imported ${c.accounts.length}, skipped 0, conflicts 0`));
    const accounts = await expectAccounts(home, c.accounts);
    await expectCodes(home, c.accounts);
    const first = c.accounts.find((a) => a.type === 'totp')!;
    expectCliCode(home, accounts.find((a) => a.issuer === first.issuer && a.label === first.label)!.id, first);
  });

  it.each(cases.filter((c) => c.password !== undefined))(
    '$name: a wrong password says so and writes nothing',
    async (c) => {
      const home = newHome();
      const path = writeTemp('export.bin', await c.data());
      const before = snapshot(home);
      const r = importCli(home, path, ['--password-stdin'], 'not the password\n');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/wrong password/);
      expect(r.stdout).toBe('');
      expect(snapshot(home)).toBe(before);
      // Without a terminal and without --password-stdin, it asks for the flag instead of hanging.
      const n = importCli(home, path);
      expect(n.code).toBe(2);
      expect(n.stderr).toMatch(/--password-stdin/);
      expect(snapshot(home)).toBe(before);
    },
  );

  it('reads the published Google Authenticator vectors', async () => {
    const home = newHome();
    const text = [
      'otpauth-migration://offline?data=CjYKEExyJfPiZeroMa/MdF%2BnkTISE2pvaG5kb2VAZXhhbXBsZS5jb20aB0Rpc2NvcmQgASgBMAIQARgBIAA%3D',
      'otpauth-migration://offline?data=CjQKFKuOm4V945mpzWoDXUoJMyfferkVEg5qZG9lQGdtYWlsLmNvbRoGQW1hem9uIAEoATACEAIYASAA',
    ].join('\n');
    const r = importCli(home, '-', [], text);
    expect(r.code, r.stderr).toBe(0);
    const accounts = (await import('./helpers.js')).vaultAccounts(home);
    const got = (await accounts)
      .map((a) => [a.issuer, a.label, a.secret.reveal(), a.type, a.algorithm, a.digits, a.period])
      .sort();
    expect(got).toEqual([
      ['Amazon', 'jdoe@gmail.com', 'VOHJXBL54OM2TTLKANOUUCJTE7PXVOIV', 'totp', 'SHA1', 6, 30],
      ['Discord', 'johndoe@example.com', 'JRZCL47CMXVOQMNPZR2F7J4RGI', 'totp', 'SHA1', 6, 30],
    ]);
  });

  it('reads a migration URI whose "+" arrived as a space (the paste trap), and one given as the argument', () => {
    const home = newHome();
    const pasted =
      'otpauth-migration://offline?data=CjYKEExyJfPiZeroMa/MdF+nkTISE2pvaG5kb2VAZXhhbXBsZS5jb20aB0Rpc2NvcmQgASgBMAIQARgBIAA='.replace(
        '+',
        ' ',
      );
    const r = importCli(home, pasted);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/discord:johndoe@example\.com/);
  });

  it('reports missing codes of a multi-code Google export, and imports the codes it has', async () => {
    const home = newHome();
    const codes = googleExport(GOOGLE_ACCOUNTS, 1);
    const r = importCli(home, writeTemp('ga.txt', [codes[0], codes[2]].join('\n')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 of its 4 QR codes were read; missing code\(s\) 2, 4/);
    await expectAccounts(home, [GOOGLE_ACCOUNTS[0]!, GOOGLE_ACCOUNTS[2]!]);
  });

  it('reads a folder of QR screenshots as one Google export', async () => {
    const home = newHome();
    const codes = googleExport(GOOGLE_ACCOUNTS, 2);
    expect(codes.length).toBe(2);
    const dir = (await import('node:path')).dirname(writeTemp('1.png', await qrPng(codes[0]!)));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/2.png`, await qrPng(codes[1]!));
    writeFileSync(`${dir}/notes.txt`, 'not an image');
    const r = importCli(home, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/detected: 1\.png: QR image: Google Authenticator export/);
    expect(r.stderr).not.toMatch(/missing/);
    await expectAccounts(home, GOOGLE_ACCOUNTS);
  });

  it('--format names a format; a mismatch is a clear error', () => {
    const home = newHome();
    const aegis = writeTemp('a.json', aegisPlain(ACCOUNTS));
    const before = snapshot(home);
    const r = importCli(home, aegis, ['--format', '2fas']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a 2FAS export \(it looks like an Aegis export\)/);
    expect(snapshot(home)).toBe(before);
    expect(importCli(home, aegis, ['--format', 'aegis']).code).toBe(0);
    const png = importCli(home, aegis, ['--format', 'qr']);
    expect(png.stderr).toMatch(/not a PNG or JPEG image/);
  });

  it('says what an unknown file is not, and names what it reads', () => {
    const home = newHome();
    const r = importCli(home, writeTemp('x.txt', 'hello world\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a format totp-mcp knows/);
    expect(r.stderr).toMatch(/hint: expected otpauth:\/\/ URIs/);
    const j = importCli(home, writeTemp('x.json', '{"hello": 1}'));
    expect(j.stderr).toMatch(/is JSON, but not an export format totp-mcp knows/);
    const missing = importCli(home, '/nonexistent/export.json');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no file or folder at \/nonexistent\/export\.json/);
  });

  it('says a totp-mcp age backup is not an authenticator export', () => {
    const home = newHome();
    const r = cli(home, ['export', '--backup', `${home}/../b.age`, '--password-stdin', '--yes'], { input: 'pw\n' });
    expect(r.code, r.stderr).toBe(0);
    const i = importCli(home, `${home}/../b.age`);
    expect(i.code).toBe(1);
    expect(i.stderr).toMatch(/age-encrypted file/);
  });
});

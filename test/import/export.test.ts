// Exports, each checked by an independent reader and round-tripped: export → import gives the same
// accounts and the same codes. Aegis files are decrypted per docs/vault.md in the test, Google
// codes decoded with the .proto, terminal QR codes turned back into pixels and scanned, backups
// opened with the real `age` CLI and with typage.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Decrypter } from 'age-encryption';
import jsqrModule from 'jsqr';
import { describe, expect, it } from 'vitest';
import { cli, newHome, tempDir } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import {
  ACCOUNTS,
  GOOGLE_ACCOUNTS,
  MigrationPayload,
  aegisDecrypt,
  b32,
  otpauthUri,
  type AegisDoc,
  type AegisEntryDoc,
  type FxAccount,
} from './fixtures.js';
import { expectAccounts, expectCodes, importCli, snapshot, vaultAccounts, writeTemp } from './helpers.js';

const hasAge = requireTool('age', 'age');

type JsQr = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  o: { inversionAttempts: 'attemptBoth' },
) => { data: string } | null;
/** jsqr is CommonJS: its default import is the function itself, or carries it as .default. */
const jsqrExport: unknown = jsqrModule;
const jsQR = (typeof jsqrExport === 'function' ? jsqrExport : (jsqrExport as { default: unknown }).default) as JsQr;

function homeWith(accounts: FxAccount[]): string {
  const home = newHome();
  const r = importCli(home, writeTemp('in.txt', accounts.map(otpauthUri).join('\n')));
  expect(r.code, r.stderr).toBe(0);
  return home;
}

const out = (name: string): string => join(tempDir('totp-mcp-export-'), name);

describe('export --aegis', () => {
  it('plain: the documented structure, mode 0600, and it imports back to the same accounts and codes', async () => {
    const home = homeWith(ACCOUNTS);
    const file = out('aegis.json');
    const r = cli(home, ['export', '--aegis', file, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*PLAIN TEXT/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as AegisDoc;
    expect(doc.version).toBe(1);
    expect(doc.header).toEqual({ slots: null, params: null });
    const db = doc.db as Exclude<AegisDoc['db'], string>;
    expect(db.version).toBe(3);
    expect(db.entries).toHaveLength(ACCOUNTS.length);
    const steam = db.entries.find((e) => e.type === 'steam')!;
    expect(steam.info).toEqual({ secret: b32(ACCOUNTS[4]!), algo: 'SHA1', digits: 5, period: 30 });
    const hotp = db.entries.find((e) => e.type === 'hotp')!;
    expect(hotp.info).toEqual({ secret: b32(ACCOUNTS[3]!), algo: 'SHA1', digits: 6, counter: 5 });
    for (const e of db.entries) expect(e.uuid).toMatch(/^[0-9a-f-]{36}$/);

    const back = newHome();
    expect(importCli(back, file).code).toBe(0);
    await expectAccounts(back, ACCOUNTS);
    await expectCodes(back, ACCOUNTS);

    // An existing file is never overwritten.
    const again = cli(home, ['export', '--aegis', file, '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists: not overwritten/);
  });

  it('encrypted: Aegis parameters (scrypt N=32768 r=8 p=1, 32-byte salt, AES-256-GCM), readable per the spec, imports back', async () => {
    const home = homeWith(ACCOUNTS);
    const file = out('aegis-enc.json');
    const r = cli(home, ['export', '--aegis', file, '--encrypt', '--password-stdin', '--yes'], {
      input: 'hunter2 ✓\n',
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as AegisDoc;
    expect(typeof doc.db).toBe('string');
    expect(doc.header.params!.nonce).toMatch(/^[0-9a-f]{24}$/);
    expect(doc.header.params!.tag).toMatch(/^[0-9a-f]{32}$/);
    const slot = doc.header.slots![0]!;
    expect(slot).toMatchObject({ type: 1, n: 32768, r: 8, p: 1 });
    expect(slot.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(slot.key).toMatch(/^[0-9a-f]{64}$/);
    expect(slot.key_params.nonce).toMatch(/^[0-9a-f]{24}$/);
    const content = aegisDecrypt(readFileSync(file, 'utf8'), 'hunter2 ✓');
    expect(content.entries.map((e) => e.info['secret']).sort()).toEqual(ACCOUNTS.map(b32).sort());
    expect(readFileSync(file, 'utf8')).not.toContain(b32(ACCOUNTS[0]!));

    const back = newHome();
    const before = snapshot(back);
    expect(importCli(back, file, ['--password-stdin'], 'wrong\n').stderr).toMatch(/wrong password/);
    expect(snapshot(back)).toBe(before);
    const ok = importCli(back, file, ['--password-stdin'], 'hunter2 ✓\n');
    expect(ok.code, ok.stderr).toBe(0);
    await expectAccounts(back, ACCOUNTS);
    await expectCodes(back, ACCOUNTS);
  });

  it('only the chosen ids; to stdout with "-"', async () => {
    const home = homeWith(ACCOUNTS);
    const ids = (await vaultAccounts(home)).map((a) => a.id).slice(0, 2);
    const r = cli(home, ['export', '--aegis', '-', '--yes', ...ids]);
    expect(r.code, r.stderr).toBe(0);
    const entries = (JSON.parse(r.stdout) as { db: { entries: AegisEntryDoc[] } }).db.entries;
    expect(entries.map((e) => e.issuer)).toEqual([ACCOUNTS[0]!.issuer, ACCOUNTS[1]!.issuer]);
  });
});

describe('export --google', () => {
  it('without a terminal: migration URIs, 10 accounts per code, one batch id; GA-incompatible accounts skipped and named', async () => {
    const many: FxAccount[] = Array.from({ length: 25 }, (_, i) => ({
      ...GOOGLE_ACCOUNTS[i % GOOGLE_ACCOUNTS.length]!,
      label: `user${i}`,
      key: Buffer.alloc(20, i + 1),
    }));
    const home = homeWith([...many, ACCOUNTS[4]!, ACCOUNTS[1]!]); // + Steam, + a 60 s period
    const r = cli(home, ['export', '--google', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the migration URIs below hold the secrets of 27 account/);
    expect(r.stderr).toMatch(/skipped steam:gamer: Google Authenticator has no Steam type/);
    expect(r.stderr).toMatch(
      /skipped acme-co:john.doe: Google Authenticator only knows 30 s periods \(this one is 60 s\)/,
    );
    const uris = r.stdout.trim().split('\n');
    expect(uris).toHaveLength(3);
    const payloads = uris.map((u) => {
      const data = decodeURIComponent(new URL(u).searchParams.get('data')!.replace(/ /g, '+'));
      return MigrationPayload.toObject(MigrationPayload.decode(Buffer.from(data, 'base64')), {
        longs: Number,
        enums: Number,
        defaults: true,
      }) as {
        otp_parameters: unknown[];
        batch_index: number;
        batch_size: number;
        version: number;
        batch_id: number;
      };
    });
    expect(payloads.map((p) => p.otp_parameters.length)).toEqual([10, 10, 5]);
    expect(payloads.map((p) => [p.batch_index, p.batch_size, p.version])).toEqual([
      [0, 3, 1],
      [1, 3, 1],
      [2, 3, 1],
    ]);
    expect(new Set(payloads.map((p) => p.batch_id)).size).toBe(1);

    const back = newHome();
    const i = importCli(back, '-', [], r.stdout);
    expect(i.code, i.stderr).toBe(0);
    await expectAccounts(back, many);
    await expectCodes(back, many);
  });
});

/** Turns qrcode's utf8 rendering (half blocks) back into a bitmap and scans it. */
function scanBlocks(text: string): string | null {
  const rows = text.replace(/\n+$/, '').split('\n');
  const width = Math.max(...rows.map((r) => Array.from(r).length));
  const scale = 4;
  const h = rows.length * 2;
  const data = new Uint8ClampedArray(width * scale * h * scale * 4).fill(255);
  const set = (x: number, y: number) => {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = ((y * scale + dy) * width * scale + x * scale + dx) * 4;
        data[i] = data[i + 1] = data[i + 2] = 0;
      }
    }
  };
  rows.forEach((row, r) => {
    Array.from(row).forEach((ch, x) => {
      if (ch === '█' || ch === '▀') set(x, r * 2);
      if (ch === '█' || ch === '▄') set(x, r * 2 + 1);
    });
  });
  return jsQR(data, width * scale, h * scale, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

describe('export --qr', () => {
  it('renders the account URI as a QR code that scans back to it', async () => {
    const home = homeWith(ACCOUNTS);
    const id = (await vaultAccounts(home)).find((a) => a.issuer === 'ACME Co')!.id;
    const r = cli(home, ['export', '--qr', id, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the QR code below holds the secret of acme-co:john\.doe/);
    const uri = cli(home, ['export', '--uri', id, '--yes']).stdout.trim();
    expect(scanBlocks(r.stdout)).toBe(uri);
    expect(r.stdout).not.toContain(b32(ACCOUNTS[1]!));
  });

  it('a missing id is an error before any warning', () => {
    const home = homeWith(ACCOUNTS);
    const r = cli(home, ['export', '--qr', 'nope', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no account 'nope'/);
    expect(r.stderr).not.toMatch(/warning/);
  });
});

describe('export --backup', () => {
  it.skipIf(!hasAge)('to a recipient: the age CLI decrypts it to the vault payload', () => {
    const home = homeWith(ACCOUNTS);
    const keyFile = out('backup-key.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    const recipient = /public key: (age1\S+)/.exec(readFileSync(keyFile, 'utf8'))![1]!;
    const file = out('backup.age');
    const r = cli(home, ['export', '--backup', file, '--recipient', recipient, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: .* will hold every secret of the vault \(6 account\(s\)\), age-encrypted to 1 recipient/,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const payload = JSON.parse(execFileSync('age', ['-d', '-i', keyFile, file], { encoding: 'utf8' })) as {
      version: number;
      accounts: { secret: string }[];
    };
    expect(payload.version).toBe(1);
    expect(payload.accounts.map((a) => a.secret).sort()).toEqual(ACCOUNTS.map(b32).sort());
    // The home's own identity cannot read it: it was encrypted to the recipient only.
    const own = spawnAge(['-d', '-i', join(home, 'identity.txt'), file]);
    expect(own).not.toBe(0);
  });

  it('to a passphrase: typage decrypts it, and it works as a passphrase vault.age', async () => {
    const home = homeWith(ACCOUNTS);
    const file = out('backup-pass.age');
    const r = cli(home, ['export', '--backup', file, '--password-stdin', '--yes'], { input: 'backup pass\n' });
    expect(r.code, r.stderr).toBe(0);
    const d = new Decrypter();
    d.addPassphrase('backup pass');
    const payload = JSON.parse(new TextDecoder().decode(await d.decrypt(readFileSync(file)))) as {
      accounts: unknown[];
    };
    expect(payload.accounts).toHaveLength(ACCOUNTS.length);

    const restored = join(tempDir(), 'home');
    execFileSync('mkdir', ['-p', restored]);
    writeFileSync(join(restored, 'vault.age'), readFileSync(file));
    const list = cli(restored, ['list', '--json'], { env: { TOTP_MCP_PASSPHRASE: 'backup pass' } });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(ACCOUNTS.length);
  });

  it('refuses a bad recipient, ids, and an existing file; writes nothing', () => {
    const home = homeWith(ACCOUNTS);
    const file = out('b.age');
    expect(cli(home, ['export', '--backup', file, '--recipient', 'age1nope', '--yes']).stderr).toMatch(
      /backup recipient 1 is not a valid age recipient/,
    );
    expect(existsSync(file)).toBe(false);
    expect(cli(home, ['export', '--backup', file, '--recipient', 'AGE-SECRET-KEY-1XYZ', '--yes']).stderr).toMatch(
      /a secret key/,
    );
    expect(cli(home, ['export', '--backup', file, 'github:alice@example.com', '--yes']).stderr).toMatch(
      /a backup holds the whole vault/,
    );
    writeFileSync(file, 'keep me');
    expect(cli(home, ['export', '--backup', file, '--password-stdin', '--yes'], { input: 'p\n' }).stderr).toMatch(
      /already exists/,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(existsSync(dirname(file))).toBe(true);
  });
});

function spawnAge(args: string[]): number {
  try {
    execFileSync('age', args, { stdio: 'ignore' });
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

describe('export options', () => {
  it('one format at a time, and options only where they mean something', () => {
    const home = homeWith(ACCOUNTS.slice(0, 1));
    const usage = (args: string[], msg: RegExp) => {
      const r = cli(home, ['export', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    };
    usage([], /choose a format: --uri, --qr <id>, --google, --aegis <file> or --backup <file>/);
    usage(['--uri', '--google'], /choose one format, not --uri and --google/);
    usage(['--uri', '--encrypt'], /--encrypt goes with --aegis/);
    usage(['--google', '--recipient', 'age1x'], /--recipient goes with --backup/);
    usage(['--uri', '--password-stdin'], /--password-stdin goes with --aegis --encrypt/);
    usage(['--qr', 'a', 'b'], /--qr takes one account/);
    usage(
      ['--aegis', out('x.json'), '--encrypt'],
      /a password for the Aegis export is needed: give it with --password-stdin/,
    );
  });

  it('--uri keeps its behaviour: a warning on stderr, URIs on stdout', () => {
    const home = homeWith(ACCOUNTS.slice(0, 1));
    const r = cli(home, ['export', '--uri']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: the 1 URI\(s\) below contain the secrets themselves/);
    expect(r.stdout).toMatch(/^otpauth:\/\/totp\/GitHub:alice%40example\.com\?secret=/);
  });
});

// What a person sees and gets: the table, dry runs, duplicates under each --on-conflict, tags,
// generated ids, per-entry problems, one atomic vault write (also under SIGKILL).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliEnv, newHome } from '../helpers/cli.js';
import { ACCOUNTS, aegisPlain, b32, otpauthUri, type FxAccount } from './fixtures.js';
import { expectAccounts, importCli, snapshot, vaultAccounts, writeCount, writeTemp } from './helpers.js';

const aegisFile = (accounts: FxAccount[], extra: unknown[] = []) =>
  writeTemp('aegis.json', aegisPlain(accounts, extra));

describe('import: dry run, table, summary', () => {
  it('--dry-run shows the table and the summary and writes nothing', () => {
    const home = newHome();
    const before = snapshot(home);
    const r = importCli(home, aegisFile(ACCOUNTS), ['--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^#\s+ACTION\s+ID\s+ISSUER\s+LABEL\s+TYPE\s+NOTE$/);
    expect(r.stdout).toMatch(/^1\s+add\s+github:alice@example\.com\s+GitHub\s+alice@example\.com\s+totp/m);
    expect(r.stdout).toMatch(/^6\s+add\s+unicode-ltd:bob-smith\s+Ünïcode Ltd\s+bob smith\s+totp/m);
    expect(r.stdout).toMatch(/dry run: would import 6, skipped 0, conflicts 0; nothing was written/);
    expect(snapshot(home)).toBe(before);
  });

  it('imports in exactly one vault write; a second import of the same file skips every duplicate and writes nothing', async () => {
    const home = newHome();
    const file = aegisFile(ACCOUNTS);
    const w0 = writeCount(home);
    const r = importCli(home, file, ['--tag', 'imported', '--tag', 'phone']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported 6, skipped 0, conflicts 0/);
    expect(writeCount(home)).toBe(w0 + 1);
    for (const a of await vaultAccounts(home)) expect(a.tags).toEqual(['imported', 'phone']);

    const before = snapshot(home);
    const again = importCli(home, file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /^1\s+skip\s+-\s+GitHub\s+alice@example\.com\s.*duplicate of github:alice@example\.com \(same secret\)/m,
    );
    expect(again.stdout).toMatch(/imported 0, skipped 6 \(0 with problems, 6 duplicates\), conflicts 0/);
    expect(snapshot(home)).toBe(before);
  });

  it('--on-conflict rename adds duplicates under new ids; replace updates the existing account in place', async () => {
    const home = newHome();
    expect(importCli(home, aegisFile(ACCOUNTS), ['--tag', 'first']).code).toBe(0);
    const renamed = importCli(home, aegisFile(ACCOUNTS.slice(0, 2)), ['--on-conflict', 'rename']);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toMatch(
      /^1\s+add\s+github:alice@example\.com-2\s.*same secret as github:alice@example\.com: added under a new id/m,
    );
    expect(renamed.stdout).toMatch(/imported 2, skipped 0, conflicts 2/);
    expect((await vaultAccounts(home)).length).toBe(8);

    // Same issuer and label, new secret and parameters: replace keeps the id and the tags.
    const rotated: FxAccount = { ...ACCOUNTS[0]!, key: Buffer.alloc(20, 7), digits: 8 };
    const r = importCli(home, aegisFile([rotated]), ['--on-conflict', 'replace', '--tag', 'rotated']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^1\s+replace\s+github:alice@example\.com\s.*replaces github:alice@example\.com \(same issuer and label\)/m,
    );
    expect(r.stdout).toMatch(/imported 1 \(0 new, 1 replaced\), skipped 0, conflicts 1/);
    const a = (await vaultAccounts(home)).find((x) => x.id === 'github:alice@example.com')!;
    expect(a.secret.reveal()).toBe(b32(rotated));
    expect(a.digits).toBe(8);
    expect(a.tags).toEqual(['first', 'rotated']);
  });

  it('duplicates inside one file: the later entry follows --on-conflict against the earlier one', () => {
    const home = newHome();
    const uri = otpauthUri(ACCOUNTS[0]!);
    const file = writeTemp('dups.txt', `${uri}\n${uri}\n`);
    const skip = importCli(home, file, ['--dry-run']);
    expect(skip.stdout).toMatch(/^2\s+skip\s+-\s+GitHub\s.*duplicate of #1 of this import \(same secret\)/m);
    const replace = importCli(home, file, ['--dry-run', '--on-conflict', 'replace']);
    expect(replace.stdout).toMatch(/^1\s+skip\s.*superseded by #2/m);
    expect(replace.stdout).toMatch(/^2\s+add\s+github:alice@example\.com\s.*replaces #1 of this import/m);
    expect(replace.stdout).toMatch(/would import 1,/);
  });

  it('generates readable, valid, unique ids', async () => {
    const home = newHome();
    const mk = (issuer: string, label: string, seed: number): FxAccount => ({
      ...ACCOUNTS[0]!,
      issuer,
      label,
      key: Buffer.alloc(20, seed),
    });
    const accounts = [
      mk('GitHub', 'a b', 1),
      mk('GitHub', 'a-b', 2),
      mk('', 'Only Label', 3),
      mk('Same', 'same', 4),
      mk('Çà & Co!!', 'x/y\\z', 5),
      mk('', '', 6),
      mk('Ω', '', 7),
      mk('L'.repeat(80), 'm'.repeat(80), 8),
    ];
    const r = importCli(home, aegisFile(accounts));
    expect(r.code, r.stderr).toBe(0);
    const ids = (await vaultAccounts(home)).map((a) => a.id).sort();
    expect(ids).toEqual(
      [
        'github:a-b',
        'github:a-b-2',
        'only-label',
        'same',
        'ca-co:x-y-z',
        'account',
        'account-2',
        'l'.repeat(64),
      ].sort(),
    );
  });

  it('reports entries it cannot import in the table, imports the rest, and counts both', async () => {
    const home = newHome();
    const bad = [
      {
        type: 'totp',
        name: 'md5',
        issuer: 'Old',
        info: { secret: 'JBSWY3DPEHPK3PXP', algo: 'MD5', digits: 6, period: 30 },
      },
      {
        type: 'motp',
        name: 'm',
        issuer: 'Motp',
        info: { secret: 'abcdef', algo: 'MD5', digits: 6, period: 10, pin: '1234' },
      },
      {
        type: 'yandex',
        name: 'y',
        issuer: 'Yandex',
        info: { secret: 'JBSWY3DPEHPK3PXP', algo: 'SHA256', digits: 8, period: 30 },
      },
      {
        type: 'totp',
        name: 'badsecret',
        issuer: 'Bad',
        info: { secret: 'not base32 !!', algo: 'SHA1', digits: 6, period: 30 },
      },
      {
        type: 'totp',
        name: 'digits',
        issuer: 'Bad',
        info: { secret: 'JBSWY3DPEHPK3PXP', algo: 'SHA1', digits: 12, period: 30 },
      },
      { type: 'totp', name: 'noinfo', issuer: 'Bad' },
      'not an object',
      { type: 'totp', name: { nested: true }, issuer: 'Bad', info: { secret: 'JBSWY3DPEHPK3PXP' } },
    ];
    const r = importCli(home, aegisFile(ACCOUNTS.slice(0, 2), bad));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const row = (n: number) => lines.find((l) => l.startsWith(`${n} `)) ?? '';
    expect(row(3)).toMatch(/error\s.*algorithm must be SHA1, SHA256 or SHA512/);
    expect(row(4)).toMatch(/error\s.*mOTP is not supported/);
    expect(row(5)).toMatch(/error\s.*Yandex OTP is not supported/);
    expect(row(6)).toMatch(/error\s.*secret is not valid base32/);
    expect(row(7)).toMatch(/error\s.*digits must be an integer from 6 to 10/);
    expect(row(8)).toMatch(/error\s.*the entry has no "info"/);
    expect(row(9)).toMatch(/error\s.*the entry is not an object/);
    expect(row(10)).toMatch(/error\s.*"name" is not text/);
    expect(r.stdout).toMatch(/imported 2, skipped 8 \(8 with problems, 0 duplicates\), conflicts 0/);
    expect(r.stdout).not.toMatch(/JBSWY3DPEHPK3PXP|abcdef/);
    await expectAccounts(home, ACCOUNTS.slice(0, 2));
  });

  it('when every entry has a problem: exit 1, nothing written', () => {
    const home = newHome();
    const before = snapshot(home);
    const r = importCli(
      home,
      writeTemp('bad.txt', 'otpauth://totp/A?secret=1\notpauth://yaotp/B?secret=JBSWY3DPEHPK3PXP\n'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing imported: every entry has a problem/);
    expect(r.stdout).toMatch(/line 1: secret is not valid base32/);
    expect(r.stdout).toMatch(/line 2: unsupported OTP type/);
    expect(snapshot(home)).toBe(before);
  });

  it('flags a Steam account that arrives as a plain TOTP URI', () => {
    const home = newHome();
    const r = importCli(home, 'otpauth://totp/Steam:gamer?secret=JBSWY3DPEHPK3PXP&issuer=Steam', ['--dry-run']);
    expect(r.stdout).toMatch(/Steam account as plain TOTP: Steam Guard needs type steam/);
  });

  it('refuses bad options before reading anything', () => {
    const home = newHome();
    const file = aegisFile(ACCOUNTS);
    const before = snapshot(home);
    expect(importCli(home, file, ['--tag', 'Bad Tag']).stderr).toMatch(/invalid tag/);
    expect(importCli(home, '-', ['--password-stdin'], 'x').stderr).toMatch(
      /--password-stdin cannot be used when the export itself comes from standard input/,
    );
    expect(importCli(home, file, ['--on-conflict', 'merge']).code).toBe(2);
    expect(importCli(home, file, ['--format', 'lastpass']).code).toBe(2);
    expect(snapshot(home)).toBe(before);
  });

  it('an import killed at any moment leaves the vault either as it was or with every account (one atomic write)', async () => {
    const home = newHome();
    const many: FxAccount[] = Array.from({ length: 2000 }, (_, i) => ({
      ...ACCOUNTS[0]!,
      issuer: `Issuer ${i}`,
      label: `user${i}`,
      key: Buffer.alloc(20, i % 256).fill(i >> 8, 0, 1),
    }));
    const file = aegisFile(many);
    const run = (killAfterMs: number | null) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'import', file], {
          env: cliEnv(home),
          stdio: ['ignore', 'ignore', 'ignore'],
        });
        const t = killAfterMs === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('close', (code) => {
          clearTimeout(t);
          resolve(code);
        });
      });
    const t0 = performance.now();
    const probe = newHome();
    await new Promise<void>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'import', file, '--dry-run'], { env: cliEnv(probe), stdio: 'ignore' });
      c.on('close', () => {
        resolve();
      });
    });
    const life = performance.now() - t0;
    for (const f of [0.2, 0.4, 0.55, 0.7, 0.8, 0.9, 1.0, 1.1]) {
      await run(Math.round(life * f));
      const n = (await vaultAccounts(home)).length;
      expect([0, 2000], `killed at ${f} of an import's life`).toContain(n);
      if (n === 2000) break;
    }
    expect(await run(null)).toBe(0);
    expect((await vaultAccounts(home)).length).toBe(2000);
    expect(cli(home, ['list', '--json']).code).toBe(0);
  });
});

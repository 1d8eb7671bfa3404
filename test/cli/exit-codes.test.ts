// Item 10 of issue 18: exit codes as the README's table says (0 ok, 1 error, 2 usage, 3 denied,
// 4 vault locked or identity wrong), the new-passphrase prompt of `init` (an empty entry refused
// before the confirmation, a mismatch asked again, three tries), and an aborted `init` leaving
// nothing behind.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliEnv, newHome, tempDir } from '../helpers/cli.js';
import { runOnTerminal } from '../helpers/pty.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const ids = (home: string): string[] =>
  (JSON.parse(cli(home, ['list', '--json']).stdout) as { id: string }[]).map((a) => a.id);

describe('exit codes (issue 18, item 10)', () => {
  it('an identity file that is not an age key is exit 4 (identity wrong), as a wrong key is', () => {
    const home = newHome();
    cli(home, ['add', 'gh', '--uri', `otpauth://totp/G:me?secret=${SECRET}`]);
    const dir = dirname(home);
    const notAKey = join(dir, 'notes.txt');
    writeFileSync(notAKey, 'hello, this is not a key\n');
    const badKey = join(dir, 'bad-key.txt');
    writeFileSync(badKey, 'AGE-SECRET-KEY-1QQQQ\n');
    for (const file of [notAKey, badKey]) {
      for (const args of [['list'], ['code', 'gh']]) {
        const r = cli(home, ['--identity', file, ...args]);
        expect(r.code, `${file} ${args.join(' ')}: ${r.stderr}`).toBe(4);
        expect(r.stderr).toMatch(/is not a usable age identity file/);
        expect(r.stdout).toBe('');
      }
    }
    // A real key that is not the vault's is exit 4 too (unchanged), and so is a file that is not there
    // or an age file encrypted to a key rather than a passphrase.
    const other = newHome();
    expect(cli(home, ['--identity', join(other, 'identity.txt'), 'list']).code).toBe(4);
    const missing = cli(home, ['--identity', join(dir, 'no-such-file.txt'), 'list']);
    expect([missing.code, missing.stderr]).toEqual([
      4,
      `totp-mcp: no identity file at ${join(dir, 'no-such-file.txt')}\n`,
    ]);
    const toKey = cli(home, ['--identity', join(home, 'vault.age'), 'list']);
    expect(toKey.code, toKey.stderr).toBe(4);
    expect(toKey.stderr).toMatch(/encrypted to a key, not to a passphrase/);
  });

  it('add and edit with --digits, --period or --counter out of range are usage errors (exit 2), nothing added', () => {
    const home = newHome();
    for (const flags of [
      ['--digits', '11'],
      ['--digits', '5'],
      ['--digits', 'x'],
      ['--period', '0'],
      ['--period', '86401'],
      ['--counter', '-1'],
    ]) {
      const r = cli(
        home,
        ['add', 'gh', '--secret-stdin', ...flags, ...(flags[0] === '--counter' ? ['--type', 'hotp'] : [])],
        { input: SECRET },
      );
      expect(r.code, `add ${flags.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toContain(SECRET);
    }
    expect(ids(home)).toEqual([]);
    expect(cli(home, ['add', 'gh', '--secret-stdin', '--digits', '10'], { input: SECRET }).code).toBe(0);
    expect(cli(home, ['edit', 'gh', '--digits', '11']).code).toBe(2);
    expect(cli(home, ['edit', 'gh', '--period', '0']).code).toBe(2);
    // The same value in a URI is bad data (exit 1), not a usage error.
    expect(cli(home, ['add', 'uri', '--uri', `otpauth://totp/G:me?secret=${SECRET}&digits=11`]).code).toBe(1);
  });

  it('an aborted init leaves nothing behind: an identity file that is not a key, an empty passphrase', () => {
    const dir = tempDir();
    const notAKey = join(dir, 'notes.txt');
    writeFileSync(notAKey, 'not a key\n');
    const home = join(dir, 'home');
    const r = cli(home, ['--identity', notAKey, 'init']);
    expect(r.code, r.stderr).toBe(4);
    expect(existsSync(home)).toBe(false);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    for (const mode of ['--passphrase', '--passphrase-only']) {
      const e = cli(home, ['--passphrase-file', empty, 'init', mode, '--work-factor', '10']);
      expect(e.code, e.stderr).toBe(1);
      expect(e.stderr).toMatch(/passphrase file .* is empty/);
      expect(existsSync(home)).toBe(false);
    }
    // A home folder the owner made beforehand stays, empty as it was.
    const own = join(dir, 'own');
    mkdirSync(own, { mode: 0o700 });
    expect(cli(own, ['--identity', notAKey, 'init']).code).toBe(4);
    expect(readdirSync(own)).toEqual([]);
  });
});

describe('init --passphrase on a terminal (issue 18, item 10)', () => {
  const init = (home: string, answers: [RegExp, string][]) =>
    runOnTerminal([process.execPath, CLI, 'init', '--passphrase', '--work-factor', '10'], {
      env: cliEnv(home),
      cwd: dirname(home),
      answers,
      timeoutMs: 40_000,
    });

  it('refuses an empty passphrase before asking for the confirmation, and asks again after a mismatch', () => {
    const home = join(tempDir(), 'home');
    const r = init(home, [
      [/Choose a passphrase/, '\r'],
      [/the passphrase is empty: try again[\s\S]*Choose a passphrase/, 'first-try\r'],
      [/Again, to confirm/, 'typo\r'],
      [/the two entries differ: try again[\s\S]*Choose a passphrase/, 'correct horse\r'],
      [/differ: try again[\s\S]*Again, to confirm/, 'correct horse\r'],
    ]);
    expect(r.code, r.transcript).toBe(0);
    // No confirmation was asked for the empty entry: the first "Again" comes after the refusal.
    expect(r.transcript.indexOf('Again, to confirm')).toBeGreaterThan(r.transcript.indexOf('the passphrase is empty'));
    expect(r.transcript).toMatch(/created /);
    expect(r.transcript).not.toContain('correct horse');
    expect(readdirSync(home)).toContain('identity.age');
    const list = cli(home, ['list', '--json'], { env: { TOTP_MCP_PASSPHRASE: 'correct horse' } });
    expect(list.code, list.stderr).toBe(0);
  });

  it('gives up after three mismatches (exit 2) and leaves no half-made home', () => {
    const home = join(tempDir(), 'home');
    const again = 'differ: try again[\\s\\S]*';
    const answers: [RegExp, string][] = [0, 1, 2].flatMap((i): [RegExp, string][] => [
      [new RegExp(`${again.repeat(i)}Choose a passphrase`), `pass-${i}\r`],
      [new RegExp(`${again.repeat(i)}Again, to confirm`), `other-${i}\r`],
    ]);
    const r = init(home, answers);
    expect(r.code, r.transcript).toBe(2);
    expect(r.transcript).toMatch(/the two entries differ \(3 tries\): nothing was changed/);
    expect(existsSync(home)).toBe(false);
  });
});

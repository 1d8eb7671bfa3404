// Issue 18 item 11, the small ones: what a new user hit in their first hour, each held by the real
// CLI on a real home.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, newHome, tempDir } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { qrPng } from '../import/fixtures.js';

const URI = 'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub';

describe('import: duplicates counted once, skipped files named', () => {
  it('one duplicate is one duplicate: the row shows the incoming names and the existing id in the note', () => {
    const home = newHome();
    expect(cli(home, ['add', 'gh', '--uri', URI]).code).toBe(0);
    // Same secret, other names: the row must show what the file says, not the account it hits.
    const r = cli(home, ['import', '-'], { input: 'otpauth://totp/Work%20Git:bob?secret=JBSWY3DPEHPK3PXP&issuer=Work%20Git\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1\s+skip\s+-\s+Work Git\s+bob\s+totp\s+duplicate of gh \(same secret\)$/m);
    expect(r.stdout).toMatch(/imported 0, skipped 1 \(0 with problems, 1 duplicate\), conflicts 0\n/);
  });

  it('import FOLDER names each file it did not read, and why', async () => {
    const home = newHome();
    const dir = tempDir('totp-mcp-folder-');
    writeFileSync(join(dir, '1.png'), await qrPng(URI));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    mkdirSync(join(dir, 'more'));
    writeFileSync(join(dir, '.DS_Store'), 'x');
    const r = cli(home, ['import', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^skipped file notes\.txt: not a PNG or JPEG image$/m);
    expect(r.stderr).toMatch(/^skipped file more: a folder/m);
    expect(r.stderr).not.toMatch(/DS_Store/);
    expect(r.stdout).toMatch(/imported 1,/);
  });
});

describe('recipients add of a recipient already there', () => {
  it('says so and does not re-encrypt: vault.age is not rewritten', () => {
    const home = newHome();
    const [own] = cli(home, ['recipients', 'list']).stdout.trim().split('\n');
    const vault = join(home, 'vault.age');
    const before = statSync(vault);
    const r = cli(home, ['recipients', 'add', own!]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/that recipient is already in recipients\.txt/);
    expect(r.stdout).toMatch(/nothing changed: the vault stays encrypted to 1 recipient\(s\)/);
    const after = statSync(vault);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});

describe('loose permissions: a one-line warning on every command', () => {
  it('a group-readable home or identity.txt is said on stderr (never stdout), once, by any command', () => {
    const home = newHome();
    expect(cli(home, ['add', 'gh', '--uri', URI]).code).toBe(0);
    const tidy = cli(home, ['list']);
    expect(tidy.stderr).toBe('');

    chmodSync(home, 0o755);
    const list = cli(home, ['list']);
    expect(list.code).toBe(0);
    const lines = list.stderr.split('\n').filter(Boolean);
    expect(lines).toEqual([`totp-mcp: warning: ${home} has mode 0755: group or others have access (chmod 700 ${home})`]);
    expect(list.stdout).not.toMatch(/warning|mode/);

    chmodSync(home, 0o700);
    chmodSync(join(home, 'identity.txt'), 0o644);
    const code = cli(home, ['code', 'gh']);
    expect(code.code).toBe(0);
    expect(code.stdout).toMatch(/^\d{6}\n$/);
    const warnings = code.stderr.split('\n').filter((l) => l.startsWith('totp-mcp: warning:'));
    expect(warnings).toEqual([`totp-mcp: warning: ${join(home, 'identity.txt')} has mode 0644: group or others have access (chmod 600 ${join(home, 'identity.txt')})`]);
  });
});

describe('doctor --identity: the README restore path passes', () => {
  it.skipIf(!requireTool('age-keygen', 'age'))('a recipient backup used as vault.age with --identity key.txt is a healthy home', () => {
    const home = newHome();
    expect(cli(home, ['add', 'gh', '--uri', URI]).code).toBe(0);
    const dir = tempDir('totp-mcp-restore-');
    const key = join(dir, 'key.txt');
    execFileSync('age-keygen', ['-o', key], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', key], { encoding: 'utf8' }).trim();
    expect(cli(home, ['export', '--backup', join(dir, 'backup.age'), '--recipient', recipient]).code).toBe(0);
    const restored = join(dir, 'restored');
    mkdirSync(restored, { mode: 0o700 });
    copyFileSync(join(dir, 'backup.age'), join(restored, 'vault.age'));
    const d = cli(restored, ['--identity', key, 'doctor']);
    expect(d.stdout).toMatch(/^ok\s+home\s/m);
    expect(d.stdout).not.toMatch(/FAIL/);
    expect(d.code, d.stdout).toBe(0);
    // Without the key it still says what is missing.
    const bare = cli(restored, ['doctor']);
    expect(bare.stdout).toMatch(/FAIL\s+home\s.*it needs --identity FILE/);
  });
});

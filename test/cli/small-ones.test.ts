// Issue 18 item 11, the small ones: what a new user hit in their first hour, each held by the real
// CLI on a real home.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, newHome, tempDir } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { qrPng } from '../import/fixtures.js';
import { homeWithPolicy, TEST_POLICY } from '../helpers/policy.js';
import { limitFreesAt, shortSpan } from '../../src/app/frees-at.js';

const URI = 'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub';

describe('import: duplicates counted once, skipped files named', () => {
  it('one duplicate is one duplicate: the row shows the incoming names and the existing id in the note', () => {
    const home = newHome();
    expect(cli(home, ['add', 'gh', '--uri', URI]).code).toBe(0);
    // Same secret, other names: the row must show what the file says, not the account it hits.
    const r = cli(home, ['import', '-'], {
      input: 'otpauth://totp/Work%20Git:bob?secret=JBSWY3DPEHPK3PXP&issuer=Work%20Git\n',
    });
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
    expect(lines).toEqual([
      `totp-mcp: warning: ${home} has mode 0755: group or others have access (chmod 700 ${home})`,
    ]);
    expect(list.stdout).not.toMatch(/warning|mode/);

    chmodSync(home, 0o700);
    chmodSync(join(home, 'identity.txt'), 0o644);
    const code = cli(home, ['code', 'gh']);
    expect(code.code).toBe(0);
    expect(code.stdout).toMatch(/^\d{6}\n$/);
    const warnings = code.stderr.split('\n').filter((l) => l.startsWith('totp-mcp: warning:'));
    expect(warnings).toEqual([
      `totp-mcp: warning: ${join(home, 'identity.txt')} has mode 0644: group or others have access (chmod 600 ${join(home, 'identity.txt')})`,
    ]);
  });
});

describe('doctor --identity: the README restore path passes', () => {
  it.skipIf(!requireTool('age-keygen', 'age'))(
    'a recipient backup used as vault.age with --identity key.txt is a healthy home',
    () => {
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
    },
  );
});

describe('rate_limited says when the next use frees up', () => {
  it('the time is when the OLDEST use in the window leaves it (CLI; the MCP text is checked in test/mcp/policy.test.ts)', async () => {
    const home = homeWithPolicy(TEST_POLICY.replace('limit: { count: 5, per: 1h }', 'limit: { count: 2, per: 1h }'));
    expect(cli(home, ['code', 'limited', '--agent', 'bot']).code).toBe(0);
    await new Promise((r) => setTimeout(r, 2500));
    expect(cli(home, ['code', 'limited', '--agent', 'bot']).code).toBe(0);
    const r = cli(home, ['code', 'limited', '--agent', 'bot']);
    expect(r.code).toBe(3);
    const m = /used up for now \(rule bot-limited; the next use frees up at (\S+Z), in (\S+)\)\n/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const events = cli(home, ['audit', 'tail', '-n', '50', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ts: string; action: string; decision: string; account: string | null });
    const allows = events
      .filter((e) => e.action === 'code' && e.decision === 'allow' && e.account === 'limited')
      .map((e) => Date.parse(e.ts));
    expect(allows.length).toBe(2);
    const at = Date.parse(m![1]!);
    // Rounded up to the second: within a second after the first use + 1h, well before the second's.
    expect(at - (allows[0]! + 3_600_000)).toBeGreaterThanOrEqual(0);
    expect(at - (allows[0]! + 3_600_000)).toBeLessThanOrEqual(1000);
    expect(allows[1]! + 3_600_000 - at).toBeGreaterThan(1000);
    expect(m![2]).toBe('1h'); // 59m57s or so, rounded up
  });
});

describe('limitFreesAt and shortSpan', () => {
  it('finds the instant the oldest surplus use leaves the window; spans round up', () => {
    const now = 10_000_000;
    const uses = [now - 3_000_000, now - 2_000_000, now - 1_000]; // 3 uses in a 1h window
    const counter = (_r: string, _a: string, _c: string, windowSeconds: number) =>
      uses.filter((t) => t >= now - windowSeconds * 1000).length;
    const q = { rule: 'r', agent: 'a', account: 'c' };
    // Limit 3: one must leave; the oldest does at its time + 1h.
    expect(limitFreesAt(counter, q, { count: 3, per_seconds: 3600 }, now)).toBe(uses[0]! + 3_600_000 + 1);
    // Limit 2: two must leave; the second oldest decides.
    expect(limitFreesAt(counter, q, { count: 2, per_seconds: 3600 }, now)).toBe(uses[1]! + 3_600_000 + 1);
    expect(limitFreesAt(counter, q, { count: 4, per_seconds: 3600 }, now)).toBeNull();
    expect([
      shortSpan(400),
      shortSpan(59_001),
      shortSpan(61_000),
      shortSpan(3_600_000),
      shortSpan(3_660_001),
      shortSpan(90_000_000),
    ]).toEqual(['1s', '1m', '2m', '1h', '1h 2m', '1d 1h']);
  });
});

describe('policy init says what the starter allows', () => {
  it('each claim of the text holds for the applied starter (checked with policy explain)', () => {
    const home = newHome();
    const init = cli(home, ['policy', 'init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).not.toMatch(/denies everything/);
    expect(init.stdout).toMatch(/until 'totp-mcp policy apply', every agent request is denied/);
    expect(init.stdout).toMatch(
      /claude-desktop: list and code for "github\*" and tag:personal accounts, weekdays 08:00-20:00 Europe\/Berlin,\n\s+at most 10 an hour, each use confirmed/,
    );
    expect(init.stdout).toMatch(
      /terraform: aws_session for aws-prod \(role deploy, at most 1h, via credential_process or profile\)\n\s+and for "aws-staging\*" on weeknights 22:00-06:00 UTC/,
    );
    expect(init.stdout).toMatch(/denies anything tagged bank, to every agent, and every other request/);
    expect(cli(home, ['code', 'x', '--agent', 'claude-desktop']).code).toBe(3);

    for (const id of ['github:alice', 'aws-prod', 'aws-staging-x'])
      expect(
        cli(home, ['add', id, '--uri', '-'], {
          input: `otpauth://totp/X:${id}?secret=${id === 'github:alice' ? 'JBSWY3DPEHPK3PXP' : id === 'aws-prod' ? 'GEZDGNBVGY3TQOJQ' : 'MFRGGZDFMZTWQ2LK'}`,
        }).code,
      ).toBe(0);
    expect(
      cli(home, ['add', 'github:bank', '--tag', 'bank', '--uri', '-'], {
        input: 'otpauth://totp/B:b?secret=KRSXG5CTMVRXEZLU',
      }).code,
    ).toBe(0);
    expect(cli(home, ['policy', 'apply']).code).toBe(0);
    const explain = (args: string[]) => cli(home, ['policy', 'explain', ...args]);
    const WED_NOON = '2026-12-02T11:00:00Z'; // 12:00 in Berlin
    const desk = explain([
      '--agent',
      'claude-desktop',
      '--account',
      'github:alice',
      '--action',
      'code',
      '--at',
      WED_NOON,
    ]);
    expect(desk.code).toBe(0);
    expect(desk.stdout).toMatch(/after the person confirms/);
    expect(
      explain([
        '--agent',
        'claude-desktop',
        '--account',
        'github:alice',
        '--action',
        'code',
        '--at',
        '2026-12-05T11:00:00Z',
      ]).code,
    ).toBe(3); // Saturday
    expect(
      explain(['--agent', 'claude-desktop', '--account', 'github:bank', '--action', 'code', '--at', WED_NOON]).code,
    ).toBe(3);
    expect(
      explain(['--agent', 'claude-desktop', '--account', 'aws-prod', '--action', 'code', '--at', WED_NOON]).code,
    ).toBe(3);
    const prod = ['--agent', 'terraform', '--account', 'aws-prod', '--action', 'aws_session', '--role', 'deploy'];
    expect(explain([...prod, '--duration', '3600', '--delivery', 'profile']).code).toBe(0);
    expect(explain([...prod, '--duration', '7200', '--delivery', 'profile']).code).toBe(3);
    expect(explain([...prod, '--duration', '3600', '--delivery', 'inline']).code).toBe(3);
    const staging = [
      '--agent',
      'terraform',
      '--account',
      'aws-staging-x',
      '--action',
      'aws_session',
      '--delivery',
      'exec',
      '--role',
      'any',
    ];
    expect(explain([...staging, '--at', '2026-12-02T23:00:00Z']).code).toBe(0);
    expect(explain([...staging, '--at', WED_NOON]).code).toBe(3);
    expect(
      explain([
        '--agent',
        'terraform',
        '--account',
        'aws-staging-x',
        '--action',
        'aws_session',
        '--delivery',
        'inline',
        '--at',
        '2026-12-02T23:00:00Z',
      ]).code,
    ).toBe(3);
    expect(
      explain(['--agent', 'terraform', '--account', 'github:alice', '--action', 'code', '--at', WED_NOON]).code,
    ).toBe(3);
  });
});

describe('list --json: the fields of the account type', () => {
  it('HOTP shows its counter and no period; TOTP its period and no counter', () => {
    const home = newHome();
    expect(cli(home, ['add', 'h', '--uri', 'otpauth://hotp/H:h?secret=JBSWY3DPEHPK3PXP&counter=7']).code).toBe(0);
    expect(cli(home, ['add', 't', '--uri', URI]).code).toBe(0);
    const list = () => JSON.parse(cli(home, ['list', '--json']).stdout) as Record<string, unknown>[];
    const [h, t] = list();
    expect(h).toMatchObject({ id: 'h', type: 'hotp', counter: 7 });
    expect(h).not.toHaveProperty('period');
    expect(t).toMatchObject({ id: 't', type: 'totp', period: 30 });
    expect(t).not.toHaveProperty('counter');
    expect(cli(home, ['code', 'h']).code).toBe(0);
    expect(list()[0]).toMatchObject({ counter: 8 });
  });
});

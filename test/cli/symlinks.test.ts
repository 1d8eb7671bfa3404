// Issue 12 item 9: links inside the home are never followed. Each attack points a link placed in
// the home at a victim outside it; the victim's mode and content must be unchanged afterwards,
// and the command names the link in a clear error.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { URI, homeWithPolicy, TEST_POLICY } from '../helpers/policy.js';
import { cli, newHome, tempDir } from '../helpers/cli.js';

const LINK_ERROR = /is a symbolic link: totp-mcp does not follow links inside its home/;

/** A folder outside the home, world-readable, holding files named like backup generations. */
function victimDir(): { dir: string; names: string[] } {
  const dir = join(tempDir('totp-mcp-victim-'), 'precious');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const names = [1, 2, 3, 4, 5].map((n) => `vault-0000000${n}-20260101T00000${n}Z.age`);
  for (const n of names) writeFileSync(join(dir, n), `keep ${n}\n`, { mode: 0o644 });
  return { dir, names };
}

function victimFile(content: string): string {
  const f = join(tempDir('totp-mcp-victim-'), 'precious.txt');
  writeFileSync(f, content, { mode: 0o644 });
  return f;
}

describe('links inside the home are refused, never followed (issue 12 item 9)', () => {
  it('a backups/ link: the vault write is refused naming backups/, and the target folder is neither chmodded, written nor pruned', () => {
    const home = newHome();
    const { dir, names } = victimDir();
    rmSync(join(home, 'backups'), { recursive: true });
    symlinkSync(dir, join(home, 'backups'));
    const r = cli(home, ['add', 'acct', '--uri', URI]);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir).sort()).toEqual(names);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(home, 'backups'));
    expect(r.stderr).toMatch(LINK_ERROR);
    expect(JSON.parse(cli(home, ['list', '--json']).stdout)).toEqual([]); // nothing written
    // A real folder again: writes work.
    rmSync(join(home, 'backups'));
    expect(cli(home, ['add', 'acct', '--uri', URI]).code).toBe(0);
  });

  it('a state/audit.head.tmp link: its target is not clobbered; the owner sees the link named, and an agent gets no code', () => {
    const home = homeWithPolicy();
    const victim = victimFile('precious\n');
    symlinkSync(victim, join(home, 'state', 'audit.head.tmp'));
    writeFileSync(join(home, 'policy.yaml'), `${TEST_POLICY}\n# edited\n`, { mode: 0o600 });
    const apply = cli(home, ['policy', 'apply']);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(join(home, 'state', 'audit.head.tmp'));
    expect(apply.stderr).toMatch(LINK_ERROR);
    const agent = cli(home, ['code', 'github:alice', '--agent', 'bot']);
    expect(agent.code).not.toBe(0);
    expect(agent.stdout).toBe('');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    const doctor = cli(home, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL\s+home\s+.*audit\.head\.tmp is a symbolic link/);
  });

  it('a state/audit.log link: never appended to or read; apply and audit verify name it', () => {
    const home = newHome();
    writeFileSync(join(home, 'policy.yaml'), TEST_POLICY, { mode: 0o600 });
    const victim = victimFile('');
    rmSync(join(home, 'state', 'audit.log')); // init's own event is there: the link takes its place
    symlinkSync(victim, join(home, 'state', 'audit.log'));
    const apply = cli(home, ['policy', 'apply']);
    expect(readFileSync(victim, 'utf8')).toBe('');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(join(home, 'state', 'audit.log'));
    expect(apply.stderr).toMatch(LINK_ERROR);
    const verify = cli(home, ['audit', 'verify']);
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toMatch(LINK_ERROR);
    expect(readFileSync(victim, 'utf8')).toBe('');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
  });

  it('a state/ link: refused naming state/, nothing created in its target', () => {
    const home = newHome();
    writeFileSync(join(home, 'policy.yaml'), TEST_POLICY, { mode: 0o600 });
    const { dir, names } = victimDir();
    rmSync(join(home, 'state'), { recursive: true });
    symlinkSync(dir, join(home, 'state'));
    const apply = cli(home, ['policy', 'apply']);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir).sort()).toEqual(names);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(join(home, 'state'));
    expect(apply.stderr).toMatch(LINK_ERROR);
  });

  it('the home itself may be a link the owner made', () => {
    const real = newHome();
    const linked = join(tempDir(), 'linked-home');
    symlinkSync(real, linked);
    expect(cli(linked, ['add', 'acct', '--uri', URI]).code).toBe(0);
    writeFileSync(join(linked, 'policy.yaml'), TEST_POLICY.replace('accounts: ["github*"]', 'accounts: ["acct"]'), {
      mode: 0o600,
    });
    expect(cli(linked, ['policy', 'apply']).code).toBe(0);
    const code = cli(linked, ['code', 'acct', '--agent', 'bot']);
    expect(code.code, code.stderr).toBe(0);
    expect(cli(linked, ['audit', 'verify']).code).toBe(0);
    const doctor = cli(linked, ['doctor']);
    expect(doctor.stdout).toMatch(/ok\s+home\s/i);
    expect(doctor.stdout).not.toMatch(/FAIL/);
    expect(existsSync(join(real, 'state', 'audit.log'))).toBe(true);
    expect(readdirSync(join(real, 'backups')).length).toBeGreaterThan(0);
  });
});

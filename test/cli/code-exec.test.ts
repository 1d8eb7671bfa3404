// Issue 17: codes for tools that are not browsers, never printed. `code ID --exec -- CMD` hands the
// code to CMD in its environment only; `--clip` copies it (a fake xclip records what it got) and
// clears it again.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { auditEvents, cli, cliEnv, tempDir } from '../helpers/cli.js';
import { homeWithPolicy } from '../helpers/policy.js';

const SECRET = 'JBSWY3DPEHPK3PXP'; // the secret of every account of homeWithPolicy
const haveOathtool = spawnSync('oathtool', ['--version']).status === 0;
const oathtool = (): string => spawnSync('oathtool', ['--totp', '-b', SECRET], { encoding: 'utf8' }).stdout.trim();

describe.skipIf(!haveOathtool)('code --exec / --clip', () => {
  const home = homeWithPolicy();

  it('--exec: the child sees TOTP_CODE (oathtool’s code) and TOTP_EXPIRES_AT; the parent prints neither; its exit code is the child’s', () => {
    const out = join(tempDir(), 'env');
    // The child writes what it got to a file, not to the stdout it shares with the parent.
    const r = cli(home, [
      'code',
      'github:alice',
      '--fresh', // at least 5 s left: oathtool, run right after, is on the same step
      '--exec',
      '--',
      'sh',
      '-c',
      `printf '%s %s' "$TOTP_CODE" "$TOTP_EXPIRES_AT" > '${out}'; exit 7`,
    ]);
    const expected = oathtool();
    expect(r.code, r.stderr).toBe(7);
    const [code, expires] = readFileSync(out, 'utf8').split(' ');
    expect(code).toMatch(/^\d{6}$/);
    expect(code).toBe(expected);
    expect(Date.parse(expires ?? '')).toBeGreaterThan(Date.now());
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain(code);
  });

  it('--exec keeps TOTP_MCP_PASSPHRASE and friends out of the child', () => {
    const out = join(tempDir(), 'env');
    const r = cli(home, ['code', 'github:alice', '--exec', '--', 'sh', '-c', `env > '${out}'`], {
      env: { TOTP_MCP_IDENTITY: join(home, 'identity.txt') },
    });
    expect(r.code, r.stderr).toBe(0);
    const env = readFileSync(out, 'utf8');
    expect(env).toMatch(/^TOTP_CODE=\d{6}$/m);
    expect(env).not.toMatch(/^TOTP_MCP_IDENTITY=/m);
  });

  it('--exec as an agent: policy-checked (a denied agent runs nothing) and audited', () => {
    const out = join(tempDir(), 'ran');
    const denied = cli(home, ['code', 'bank', '--agent', 'bot', '--exec', '--', 'touch', out]);
    expect(denied.code).toBe(3);
    expect(existsSync(out)).toBe(false);
    const ok = cli(home, ['code', 'github:alice', '--agent', 'bot', '--exec', '--', 'touch', out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(auditEvents(home).at(-1)).toMatchObject({
      agent: 'bot',
      action: 'code',
      account: 'github:alice',
      decision: 'allow',
    });
  });

  it('--exec without a command, or with --json, is a usage error', () => {
    expect(cli(home, ['code', 'github:alice', '--exec']).code).toBe(2);
    expect(cli(home, ['code', 'github:alice', '--exec', '--json', '--', 'true']).code).toBe(2);
  });

  it('--clip: the first clipboard tool on PATH gets the code on stdin, and an empty clipboard after', async () => {
    const bin = tempDir();
    const record = join(bin, 'record');
    writeFileSync(
      join(bin, 'xclip'),
      `#!/bin/sh\nprintf 'args=%s stdin=' "$*" >> '${record}'\ncat >> '${record}'\necho >> '${record}'\n`,
    );
    chmodSync(join(bin, 'xclip'), 0o755);
    const child = spawn(process.execPath, [CLI, 'code', 'github:alice', '--fresh', '--clip'], {
      env: cliEnv(home, { PATH: `${bin}:${process.env['PATH'] ?? ''}` }),
      cwd: dirname(home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const copied = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('clearing it in')) resolve();
      });
    });
    await copied;
    const expected = oathtool();
    const first = readFileSync(record, 'utf8');
    expect(first).toBe(`args=-selection clipboard stdin=${expected}\n`);
    // It waits in the foreground; a signal clears at once.
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(readFileSync(record, 'utf8')).toBe(`${first}args=-selection clipboard stdin=\n`);
    expect(stderr).toMatch(/copied the code of github:alice with xclip; clearing it in \d+ s/);
    expect(stderr).toContain('clipboard cleared');
    expect(stdout).toBe('');
    expect(stderr).not.toContain(expected);
  });
});

// --passphrase-command is bounded (issue 12, item 13): a command that hangs, or that leaves a
// process holding its output, ends in exit 4 within the timeout (default 60 s, --passphrase-timeout
// or TOTP_MCP_PASSPHRASE_TIMEOUT), its whole process group is killed, and the message names the
// command's first word and its exit status or the timeout, never what it printed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliEnv, tempDir } from '../helpers/cli.js';

const PASS = 'correct horse battery staple';

interface Timed {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The test had to kill it: the CLI hung. */
  hung: boolean;
}

/** Runs the built CLI and kills it after `limitMs`, so that a hang fails the test instead of stalling it. */
function timedCli(home: string, args: string[], env: Record<string, string> = {}, limitMs = 20_000): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      env: cliEnv(home, env),
      cwd: dirname(home),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end();
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0, hung });
    });
  });
}

/** Alive and not a zombie (a killed child of init may linger as one for a moment). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 3000): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !running(pid);
}

const pidIn = (file: string): number => Number(readFileSync(file, 'utf8').trim());

describe('--passphrase-command is bounded', () => {
  let home: string;
  const leftovers: number[] = [];

  beforeAll(() => {
    home = join(tempDir(), 'h');
    const init = cli(home, ['init', '--passphrase-only', '--work-factor', '10'], {
      env: { TOTP_MCP_PASSPHRASE: PASS },
    });
    expect(init.code, init.stderr).toBe(0);
  });

  afterAll(() => {
    // Only the processes these tests started, by pid.
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('a hanging command (sleep 30) with --passphrase-timeout 1: exit 4 in seconds, the timeout named, no orphan left', async () => {
    const pidFile = join(tempDir(), 'pid');
    // The sleep runs in the background of the shell, so killing only the shell would orphan it.
    const r = await timedCli(home, [
      '--passphrase-timeout',
      '1',
      '--passphrase-command',
      `sleep 30 & echo $! > ${pidFile}; wait`,
      'list',
    ]);
    const pid = pidIn(pidFile);
    leftovers.push(pid);
    expect(r.hung, 'the CLI hung').toBe(false);
    expect(r.code, r.stderr).toBe(4);
    expect(r.ms).toBeLessThan(8000);
    expect(r.stderr).toMatch(/^totp-mcp: the passphrase command \(sleep\) timed out after 1s\n/);
    expect(r.stderr).toMatch(/--passphrase-timeout/);
    expect(await gone(pid), `the command's sleep (pid ${pid}) is still running`).toBe(true);
  });

  it('TOTP_MCP_PASSPHRASE_TIMEOUT bounds it too, and the option wins over it', async () => {
    const env = await timedCli(home, ['--passphrase-command', 'sleep 30', 'list'], {
      TOTP_MCP_PASSPHRASE_TIMEOUT: '1.5',
    });
    expect(env.hung, 'the CLI hung').toBe(false);
    expect([env.code, env.stderr.split('\n')[0]]).toEqual([
      4,
      'totp-mcp: the passphrase command (sleep) timed out after 1.5s',
    ]);
    expect(env.ms).toBeLessThan(8000);
    const both = await timedCli(home, ['--passphrase-timeout', '1', '--passphrase-command', 'sleep 30', 'list'], {
      TOTP_MCP_PASSPHRASE_TIMEOUT: '600',
    });
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([
      4,
      'totp-mcp: the passphrase command (sleep) timed out after 1s',
    ]);
  });

  it('a command that escapes its process group (setsid) and holds the pipe open: still exit 4 at the timeout', async () => {
    const pidFile = join(tempDir(), 'pid');
    // Through the environment: the same bound, whichever way it is set.
    const r = await timedCli(
      home,
      ['--passphrase-command', `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 30'`, 'list'],
      { TOTP_MCP_PASSPHRASE_TIMEOUT: '1' },
    );
    if (existsSync(pidFile)) leftovers.push(pidIn(pidFile));
    expect(r.hung, 'the CLI waited for the escaped process').toBe(false);
    expect(r.code, r.stderr).toBe(4);
    expect(r.ms).toBeLessThan(8000);
    expect(r.stderr).toMatch(/^totp-mcp: the passphrase command \(setsid\) timed out after 1s\n/);
  });

  it('a command that prints the passphrase and leaves a background process holding its output unlocks at once', async () => {
    const pidFile = join(tempDir(), 'pid');
    const r = await timedCli(home, [
      '--passphrase-command',
      `sleep 30 & echo $! > ${pidFile}; echo '${PASS}'`,
      'list',
      '--json',
    ]);
    leftovers.push(pidIn(pidFile));
    expect(r.hung, 'the CLI hung').toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('[]');
    expect(r.ms).toBeLessThan(8000);
  });

  it('a command exiting 3: exit 4 naming status 3, nothing it printed shown', async () => {
    const r = await timedCli(home, ['--passphrase-command', 'echo LEAKED-PASS; echo LEAKED-ERR >&2; exit 3', 'list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('totp-mcp: the passphrase command (echo) exited with status 3\n');
    expect(r.stdout + r.stderr).not.toMatch(/LEAKED/);
  });

  it('only the first word of the command is named, and not when it is an assignment', async () => {
    const r = await timedCli(home, [
      '--passphrase-timeout',
      '1',
      '--passphrase-command',
      'KEYCHAIN_PW=hunter2 sleep 30',
      'list',
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe('totp-mcp: the passphrase command timed out after 1s');
    expect(r.stderr).not.toMatch(/hunter2|KEYCHAIN/);
  });

  it('serve with a hanging command exits 4 in bounded time, nothing on stdout', async () => {
    const r = await timedCli(home, [
      '--passphrase-timeout',
      '1',
      '--passphrase-command',
      'sleep 30',
      'serve',
      '--agent',
      'bot',
    ]);
    expect(r.hung, 'serve hung').toBe(false);
    expect(r.code, r.stderr).toBe(4);
    expect(r.ms).toBeLessThan(8000);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^totp-mcp: the passphrase command \(sleep\) timed out after 1s\n/);
  });

  it('mcp-config passes --passphrase-timeout on to the server it configures', () => {
    const r = cli(home, [
      '--passphrase-command',
      'pass show totp',
      '--passphrase-timeout',
      '120',
      'mcp-config',
      '--client',
      'claude-desktop',
      '--agent',
      'bot',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(r.stdout) as { mcpServers: Record<string, { args: string[] }> };
    expect(config.mcpServers['totp-mcp']?.args.slice(1)).toEqual([
      '--passphrase-command',
      'pass show totp',
      '--passphrase-timeout',
      '120',
      'serve',
      '--agent',
      'bot',
    ]);
  });

  it('a bad timeout is a usage error (exit 2)', async () => {
    for (const bad of ['0', '-1', 'abc', '3601', '1e3', '']) {
      const r = await timedCli(home, [`--passphrase-timeout=${bad}`, '--passphrase-command', 'echo x', 'list']);
      expect([bad, r.code]).toEqual([bad, 2]);
      expect(r.stderr).toMatch(/--passphrase-timeout: expected a duration from 0.001s to 1h/);
    }
    const env = await timedCli(home, ['--passphrase-command', 'echo x', 'list'], {
      TOTP_MCP_PASSPHRASE_TIMEOUT: 'soon',
    });
    expect(env.code).toBe(2);
  });
});

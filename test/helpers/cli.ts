import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI } from './build.js';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: nothing from the developer's own totp-mcp setup leaks into a test. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PATH, LANG } = process.env;
  return { PATH, LANG, HOME: join(home, '..'), TOTP_MCP_HOME: home, NO_COLOR: '1', ...extra };
}

/** Runs the built CLI synchronously (no terminal: stdin is a pipe). */
export function cli(
  home: string,
  args: readonly string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: cliEnv(home, opts.env),
    cwd: dirname(home),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The same, as a promise, for many processes at once. */
export function cliAsync(
  home: string,
  args: readonly string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: cliEnv(home, opts.env),
      cwd: dirname(home),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function tempDir(prefix = 'totp-mcp-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh home with an X25519 identity and an empty vault. */
export function newHome(): string {
  const home = join(tempDir(), 'home');
  const r = cli(home, ['init']);
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  return home;
}

/** A recognisable seed that must never show up where it should not. */
export const CANARY_SECRET = 'CANARYSEEDQQQQQQCANARYSEEDQQQQQQ';
export const canaryUri = (issuer = 'Canary') =>
  `otpauth://totp/${issuer}:canary?secret=${CANARY_SECRET}&issuer=${issuer}`;

/** `cli` bound to one home, keeping every run (its command line and output) for a later scan. */
export function recordingCli(home: string): { runs: [string, Run][]; run: (args: string[], input?: string) => Run } {
  const runs: [string, Run][] = [];
  const run = (args: string[], input?: string): Run => {
    const r = cli(home, args, input === undefined ? {} : { input });
    runs.push([args.join(' '), r]);
    return r;
  };
  return { runs, run };
}

/** The audit events of a home (owner and agent), parsed, through the real `audit tail --json`. */
export function auditEvents<T = Record<string, unknown>>(home: string): T[] {
  const r = cli(home, ['audit', 'tail', '-n', '100000', '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim() === ''
    ? []
    : r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as T);
}

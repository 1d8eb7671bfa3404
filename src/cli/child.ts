/** Running a command for the person (`aws exec`, `serve-credentials -- CMD`, `code --exec`). */
import { spawn } from 'node:child_process';
import { printable } from './format.js';
import type { Runtime } from './runtime.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
const SIGNUM: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/**
 * Runs a child with `env`, passing signals through; resolves to its exit code (128+n for a signal).
 * On a terminal, Ctrl-C and Ctrl-\ already reach the child (same foreground process group):
 * they are not sent a second time (Terraform takes a second Ctrl-C as "force quit").
 */
export function runChild(rt: Runtime, command: readonly string[], env: Record<string, string>): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.resolve(0);
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => {
      if (rt.io.interactive && (sig === 'SIGINT' || sig === 'SIGQUIT')) return;
      child.kill(sig);
    };
    for (const s of SIGNALS) process.on(s, forward);
    const done = (code: number): void => {
      for (const s of SIGNALS) process.off(s, forward);
      resolve(code);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      rt.io.err(
        `totp-mcp: cannot run ${printable(file)}: ${e.code === 'ENOENT' ? 'command not found' : (e.code ?? 'error')}\n`,
      );
      done(e.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => {
      done(code ?? (signal ? 128 + (SIGNUM[signal] ?? 1) : 1));
    });
  });
}

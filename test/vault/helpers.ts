import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import { homePaths, type HomePaths, type PassphraseSource } from '../../src/vault/index.js';

/** Low scrypt work factor for tests that are not about scrypt's cost. */
export const TEST_WORK_FACTOR = 10;
export const NOW = Date.parse('2026-01-15T10:00:00.000Z');

const made: string[] = [];

/** A fresh, not yet existing home folder inside a private temp dir. */
export function tempHome(): HomePaths {
  const dir = mkdtempSync(join(tmpdir(), 'totp-mcp-vault-'));
  made.push(dir);
  return homePaths(join(dir, 'home'));
}

export function cleanupHomes(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function account(id: string, secret = 'JBSWY3DPEHPK3PXP', extra: Partial<Account> = {}): Account {
  const t = new Date(NOW).toISOString();
  return {
    id,
    issuer: 'Example',
    label: `${id}@example.com`,
    type: 'totp',
    secret: new Redacted(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: 0,
    tags: [],
    created_at: t,
    updated_at: t,
    ...extra,
  };
}

/** A passphrase source that records how often it was asked. */
export function passphrase(value: string): PassphraseSource & { calls: string[] } {
  const calls: string[] = [];
  const fn = (prompt: string): Promise<Redacted> => {
    calls.push(prompt);
    return Promise.resolve(new Redacted(value));
  };
  return Object.assign(fn, { calls });
}

/**
 * Runs a command on a pseudo-terminal (age 1.1.1 reads passphrases only from a TTY) and types
 * `answer` at every passphrase prompt. Returns the exit status and the terminal transcript.
 */
const PTY_DRIVER = String.raw`
import os, pty, re, select, sys, time
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""
pending = b""
status = None
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done != 0:
            status = st
            break
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    pending += data
    if re.search(rb"assphrase[^\n]*:\s*$", pending):
        os.write(fd, answer)
        pending = b""
if status is None:
    status = os.waitpid(pid, 0)[1]
sys.stderr.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
`;

export function runOnPty(answer: string, argv: string[], cwd?: string): { status: number | null; transcript: string } {
  const r = spawnSync('python3', ['-c', PTY_DRIVER, answer, ...argv], { cwd, encoding: 'utf8', timeout: 150_000 });
  return { status: r.status, transcript: r.stderr };
}

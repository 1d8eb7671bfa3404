/** Passphrase sources the front can hand to openVault/initVault: a file, or a command (an OS keychain). */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { TotpMcpError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { Redacted } from '../core/redacted.js';
import { isEnoent } from '../core/fs.js';

/** Supplies a passphrase; the prompt says what it is for. Called only when needed, at most once per open. */
export type PassphraseSource = (prompt: string) => Promise<Redacted>;

export const PASSPHRASE_NEEDED =
  'passphrase needed: set TOTP_MCP_PASSPHRASE, or use --passphrase-file / --passphrase-command, or run in a terminal';

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * The first line of the file, without its line ending. Refuses an empty passphrase. A file that
 * group or others can read is still used; `onWarning` (if given) hears about it, and the front
 * decides what to say.
 */
export async function passphraseFromFile(path: string, options: { onWarning?: (message: string) => void } = {}): Promise<Redacted> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new TotpMcpError('invalid', `passphrase file ${path} is not a regular file`);
    if ((st.mode & 0o077) !== 0 && options.onWarning) {
      options.onWarning(`passphrase file ${path} can be read by group or others (mode 0${(st.mode & 0o777).toString(8)}): chmod 600 it`);
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof TotpMcpError) throw e;
    if (isEnoent(e)) throw new TotpMcpError('not_found', `no passphrase file at ${path}`);
    throw new TotpMcpError('io', `cannot read the passphrase file ${path}`, { cause: e });
  }
  const line = firstLine(text);
  if (line === '') throw new TotpMcpError('invalid', `passphrase file ${path} is empty (its first line is the passphrase)`);
  return new Redacted(line);
}

const MAX_OUTPUT = 64 * 1024;

/** How long a passphrase command may run (an OS keychain may wait for a person to approve). */
export const DEFAULT_PASSPHRASE_TIMEOUT_MS = 60_000;

/**
 * After the shell has exited, how long its output may stay open: a process it left in the
 * background (a keychain daemon it started) can hold the pipe for good, and nobody waits for that.
 */
const EXIT_GRACE_MS = 250;

/**
 * The command's first word, for messages: the program it runs, never its arguments (which may
 * name an item, a vault path, or a secret in an assignment). Omitted when it does not look like one.
 */
function commandName(command: string): string {
  const word = command.trim().split(/\s+/, 1)[0] ?? '';
  return /^[\w./+@-]{1,64}$/.test(word) ? ` (${word})` : '';
}

const TIMEOUT_HINT = 'give it longer with --passphrase-timeout DURATION or TOTP_MCP_PASSPHRASE_TIMEOUT, or fix the command';

/**
 * Runs `/bin/sh -c command` and takes the first line of its stdout. stdin is closed (on an MCP
 * server stdin is the protocol), stderr is captured and dropped, and nothing the command printed
 * ever appears in an error. Non-zero exit, a signal, a timeout or empty output → vault_locked.
 *
 * The command runs in its own process group: on a timeout the whole group is killed, and the
 * answer does not wait for the pipes to close (a descendant that left the group, e.g. through
 * setsid, may hold them open forever).
 */
export function passphraseFromCommand(command: string, timeoutMs = DEFAULT_PASSPHRASE_TIMEOUT_MS): Promise<Redacted> {
  const name = commandName(command);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let tooBig = false;
    let grace: NodeJS.Timeout | undefined;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const finish = (err: TotpMcpError | null, value?: Redacted): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // Nothing more is read: let go of the pipes and the child so that this process can exit.
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(value as Redacted);
    };
    const timer = setTimeout(() => {
      killGroup();
      finish(new TotpMcpError('vault_locked', `the passphrase command${name} timed out after ${formatDuration(timeoutMs / 1000)}`, { hint: TIMEOUT_HINT }));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_OUTPUT) {
        tooBig = true;
        killGroup();
        return;
      }
      chunks.push(c);
    });
    child.stderr.on('data', () => undefined); // captured and dropped: it may echo the secret
    child.on('error', (e) => {
      finish(new TotpMcpError('vault_locked', `the passphrase command${name} could not be started`, { cause: e }));
    });
    child.on('exit', (code, signal) => {
      grace = setTimeout(() => { finish(...outcome(code, signal)); }, EXIT_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      finish(...outcome(code, signal));
    });
    const outcome = (code: number | null, signal: NodeJS.Signals | null): [TotpMcpError | null, Redacted?] => {
      if (tooBig) return [new TotpMcpError('vault_locked', `the passphrase command${name} printed too much`)];
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code ?? '?'}`;
        return [new TotpMcpError('vault_locked', `the passphrase command${name} ${how}`)];
      }
      const line = firstLine(Buffer.concat(chunks).toString('utf8'));
      if (line === '') return [new TotpMcpError('vault_locked', `the passphrase command${name} printed an empty passphrase`)];
      return [null, new Redacted(line)];
    };
  });
}

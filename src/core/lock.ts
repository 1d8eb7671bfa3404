/**
 * A cross-process lock file for one host: `open(path, 'wx')` holding `{pid, host, nonce, ts}`.
 *
 * Why not a time-based lock (proper-lockfile and friends): they call a lock stale when its mtime
 * is older than N seconds. A holder killed with SIGKILL then stalls every other process for N
 * seconds, and a live holder whose event loop is starved for N seconds (two shared cores, dozens
 * of processes) has its lock broken under it. Here a lock is stale exactly when its holder is dead
 * (same host, `kill(pid, 0)` says ESRCH), or when it names another host and is older than
 * `foreignStaleMs`. Breaking a stale lock happens under a second, short-lived "break" lock, so two
 * processes can never both break and both acquire.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { sleep } from './clock.js';
import { TotpMcpError, fsError, isTotpMcpError } from './errors.js';
import { O_NOFOLLOW, isEexist, isEnoent, openNoFollow, pidAlive } from './fs.js';

export interface LockOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock held by another host is considered abandoned after this long (default 5 min). */
  foreignStaleMs?: number;
  signal?: AbortSignal;
}

export interface Lock {
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  host: string;
  nonce: string;
  ts: number;
}

const HOST = hostname();

async function tryCreate(path: string, holder: Holder): Promise<boolean> {
  let fh;
  try {
    // O_EXCL never follows a link; O_NOFOLLOW says so.
    fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  } catch (e) {
    if (isEexist(e)) return false;
    throw fsError('create the lock file', path, e);
  }
  try {
    await fh.writeFile(JSON.stringify(holder));
  } catch (e) {
    // A lock we could not fill in (disk full) is not ours to keep: others would wait for it.
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw fsError('write the lock file', path, e);
  }
  await fh.close();
  return true;
}

async function readHolder(path: string): Promise<{ holder: Holder | null; mtimeMs: number } | null> {
  try {
    // A link placed as the lock file is refused (core/fs.ts), never read or judged stale.
    const fh = await openNoFollow(path, constants.O_RDONLY);
    let text: string;
    let st;
    try {
      [text, st] = await Promise.all([fh.readFile('utf8'), fh.stat()]);
    } finally {
      await fh.close();
    }
    let holder: Holder | null = null;
    try {
      const h = JSON.parse(text) as Partial<Holder>;
      if (
        typeof h.pid === 'number' &&
        typeof h.host === 'string' &&
        typeof h.nonce === 'string' &&
        typeof h.ts === 'number'
      ) {
        holder = h as Holder;
      }
    } catch {
      holder = null; // created but not yet written, or the writer died in between
    }
    return { holder, mtimeMs: st.mtimeMs };
  } catch (e) {
    if (isEnoent(e)) return null;
    if (isTotpMcpError(e)) throw e;
    throw new TotpMcpError('io', `cannot read lock file ${path}`, { cause: e });
  }
}

/** A lock whose content could not be parsed is given this long to be written before it is stale. */
const UNWRITTEN_GRACE_MS = 2_000;

function isStale(info: { holder: Holder | null; mtimeMs: number }, now: number, foreignStaleMs: number): boolean {
  const { holder } = info;
  if (!holder) return now - info.mtimeMs > UNWRITTEN_GRACE_MS;
  if (holder.host === HOST) return holder.pid !== process.pid && !pidAlive(holder.pid);
  return now - holder.ts > foreignStaleMs;
}

/** Removes `path` if it is still the same stale lock, under the break lock. */
async function breakStale(
  path: string,
  seen: { holder: Holder | null; mtimeMs: number },
  foreignStaleMs: number,
): Promise<void> {
  const breakPath = `${path}.break`;
  const me: Holder = { pid: process.pid, host: HOST, nonce: randomBytes(8).toString('hex'), ts: Date.now() };
  if (!(await tryCreate(breakPath, me))) {
    const other = await readHolder(breakPath);
    // Breaking takes microseconds; a break lock that outlives its holder is itself stale.
    if (other && isStale(other, Date.now(), foreignStaleMs)) await unlink(breakPath).catch(() => undefined);
    return;
  }
  try {
    const now = await readHolder(path);
    const same = now !== null && now.mtimeMs === seen.mtimeMs && now.holder?.nonce === seen.holder?.nonce;
    if (same && isStale(now, Date.now(), foreignStaleMs)) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breakPath).catch(() => undefined);
  }
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const foreignStaleMs = options.foreignStaleMs ?? 5 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const me: Holder = { pid: process.pid, host: HOST, nonce: randomBytes(12).toString('hex'), ts: Date.now() };
  let delay = 2;
  for (;;) {
    if (await tryCreate(path, me)) {
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          const info = await readHolder(path);
          if (info?.holder?.nonce === me.nonce) await unlink(path).catch(() => undefined);
        },
      };
    }
    const info = await readHolder(path);
    if (info && isStale(info, Date.now(), foreignStaleMs)) {
      await breakStale(path, info, foreignStaleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new TotpMcpError('io', `timed out waiting for the lock ${path}`, {
        reason: 'lock_timeout',
        hint: 'another totp-mcp process is holding it; if none is running, remove the lock file',
      });
    }
    await sleep(delay + Math.random() * delay, options.signal).catch(() => {
      throw new TotpMcpError('io', 'cancelled while waiting for a lock');
    });
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * Takes the lock at once, on this thread, when nobody holds it; null when it is busy (then
 * `acquireLock` waits, and judges a stale holder). For locks held a few hundred microseconds, where
 * the thread-pool trips of the async path would cost more than the hold.
 */
export function tryLockSync(path: string): Lock | null {
  const me: Holder = { pid: process.pid, host: HOST, nonce: randomBytes(12).toString('hex'), ts: Date.now() };
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  } catch (e) {
    if (isEexist(e)) return null;
    throw fsError('create the lock file', path, e);
  }
  try {
    writeSync(fd, JSON.stringify(me));
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    throw fsError('write the lock file', path, e);
  }
  closeSync(fd);
  let released = false;
  return {
    // Ours until released: a live holder on this host is never judged stale.
    release: () => {
      if (released) return Promise.resolve();
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
      return Promise.resolve();
    },
  };
}

/** Runs `fn` while holding the lock at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

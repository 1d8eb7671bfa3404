/**
 * The writers' lock, `<state>/audit.lock`, taken through core/lock.ts (one holder at a time; the
 * lock of a dead holder is broken), with a fairness protocol on top.
 *
 * A writer with a steady stream of events would take the lock again within microseconds of
 * releasing it and starve everyone else, who poll. So a waiter touches `audit.want` (sets its
 * mtime to now) after each failed attempt and polls every few ms; a holder that sees `audit.want`
 * touched since it took the lock ends its session and steps aside for longer than one poll.
 */
import { constants, lstatSync } from 'node:fs';
import { lutimes } from 'node:fs/promises';
import { join } from 'node:path';
import { isTotpMcpError } from '../core/errors.js';
import { acquireLock, type Lock } from '../core/lock.js';
import { isEnoent, openNoFollow } from '../core/fs.js';
import { LOCK_FILE, WANT_FILE } from './files.js';

/** A waiter polls the lock at most this far apart (ms, before ±50% jitter). */
const MAX_POLL_MS = 4;
/** A holder with more to write steps aside this long when someone waits: longer than a poll. */
export const YIELD_MS = 8;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** core/lock.ts reports a busy lock (past our zero timeout) as this error. */
const isLockBusy = (e: unknown): boolean => isTotpMcpError(e) && e.reason === 'lock_timeout';

/**
 * Sets the mtime of `audit.want` to now (our clock, not the file system's coarser one). lutimes
 * and lstat: a link placed there is never followed (its own times are used).
 */
async function announceWaiting(path: string): Promise<void> {
  const now = new Date();
  try {
    await lutimes(path, now, now);
  } catch (e) {
    if (!isEnoent(e)) return;
    await openNoFollow(path, constants.O_WRONLY | constants.O_CREAT, 0o600)
      .then((fh) => fh.close())
      .catch(() => undefined);
    await lutimes(path, now, now).catch(() => undefined);
  }
}

export interface AuditLock {
  readonly lock: Lock;
  /** Date.now() when it was taken. */
  readonly acquiredAt: number;
}

/** Takes the lock, announcing the wait while it is busy; throws core/lock's error after `timeoutMs`. */
export async function acquireAuditLock(stateDir: string, timeoutMs: number): Promise<AuditLock> {
  const lockPath = join(stateDir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      const lock = await acquireLock(lockPath, { timeoutMs: 0 });
      return { lock, acquiredAt: Date.now() };
    } catch (e) {
      if (!isLockBusy(e) || Date.now() >= deadline) throw e;
    }
    await announceWaiting(wantPath(stateDir));
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}

/** The file waiters touch: `othersWaiting`'s argument. */
export const wantPath = (stateDir: string): string => join(stateDir, WANT_FILE);

/**
 * Whether someone announced a wait (touched `want`, from `wantPath`) after `sinceMs`. Asked after
 * every batch, so synchronous: one stat of a small folder's entry costs microseconds, a trip to
 * the thread pool far more.
 */
export function othersWaiting(want: string, sinceMs: number): boolean {
  try {
    const st = lstatSync(want, { throwIfNoEntry: false });
    return st !== undefined && st.mtimeMs > sinceMs;
  } catch {
    return false;
  }
}

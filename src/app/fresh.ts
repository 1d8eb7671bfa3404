/**
 * Fresh codes for the owner's `code`: how long to wait for a code with enough time left (the CLI's
 * `--min-remaining`, like the MCP tool's `min_remaining_seconds`), and when a code counts as about
 * to expire. Pure: the time is an argument.
 */
import type { Account } from '../core/model.js';

/** `--fresh`: enough time to read a code and type it in. */
export const FRESH_SECONDS = 5;

/** Largest `--min-remaining` accepted; the wait itself is never longer than one step. */
export const MAX_MIN_REMAINING = 3600;

/**
 * Milliseconds to wait so that the code then current has at least `minRemaining` seconds left:
 * 0 when the current one has, else until the next step starts (at most one step, whatever
 * `minRemaining` is: a longer wait could not give more). HOTP codes do not expire: 0.
 */
export function freshWaitMs(account: Pick<Account, 'type' | 'period'>, minRemaining: number, nowMs: number): number {
  if (account.type === 'hotp' || minRemaining <= 0) return 0;
  const periodMs = account.period * 1000;
  const left = periodMs - (nowMs % periodMs);
  return left >= Math.min(minRemaining * 1000, periodMs) ? 0 : left + 5;
}

/**
 * A code with this many seconds left or fewer is "about to expire" (and said to be): 5 s, less for
 * short periods so that a 2 s account is not always expiring.
 */
export const dyingSeconds = (period: number): number => Math.min(FRESH_SECONDS, Math.floor(period / 3));

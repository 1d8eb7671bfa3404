/**
 * When a used-up rate limit lets the next use through, from the same usage counter the decision
 * used (audit-derived, this process's queued allows included). Fixed text: a time and a span.
 */
import type { UsageCounter } from '../policy/types.js';

/**
 * The first instant (ms) at which fewer than `count` uses fall in the window: the oldest uses
 * leave it one by one. Found by bisection over the counter (monotone in the window's start), so
 * no timestamp list is needed; null when the counter says the limit is not used up.
 */
export function limitFreesAt(
  usage: UsageCounter,
  q: { rule: string; agent: string; account: string },
  limit: { count: number; per_seconds: number },
  nowMs: number,
): number | null {
  const windowMs = limit.per_seconds * 1000;
  const usedIf = (shiftMs: number): number => usage(q.rule, q.agent, q.account, (windowMs - shiftMs) / 1000);
  if (usedIf(0) < limit.count) return null;
  // Invariant: with the window's start moved by `lo` ms the limit is still used up; by `hi` it is not.
  let lo = 0;
  let hi = windowMs + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (usedIf(mid) < limit.count) hi = mid;
    else lo = mid;
  }
  return nowMs + hi;
}

/** "12m", "3h 5m", "2d 4h", "40s": rounded up, so the person never tries too early. */
export function shortSpan(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

/** The clause added to a `rate_limited` refusal. */
export function freesUpText(freesAtMs: number, nowMs: number): string {
  const at = new Date(Math.ceil(freesAtMs / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  return `the next use frees up at ${at}, in ${shortSpan(freesAtMs - nowMs)}`;
}

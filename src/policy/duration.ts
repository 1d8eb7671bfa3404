/** Policy durations: `30s`, `15m`, `1h`, `2h30m`, `1d` (units in the order d h m s, each at most once). */

const DURATION = /^(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,8})s)?$/;

/** Longest duration a policy may state: 366 days. */
export const MAX_DURATION_SECONDS = 366 * 86_400;

export const DURATION_RULE = 'expected a duration like 15m or 1h';

/** Seconds, or undefined when `text` is not a positive duration of at most 366 days. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 32) return undefined;
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  const seconds = Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(s ?? 0);
  if (seconds <= 0 || seconds > MAX_DURATION_SECONDS) return undefined;
  return seconds;
}

/** `0`, `0s`, `0m`…: where a policy accepts it (approval_ttl), zero means "not remembered". */
export function isZeroDuration(text: string | number): boolean {
  if (text === 0 || text === '0') return true;
  if (typeof text === 'number' || text.length === 0 || text.length > 32) return false;
  const m = DURATION.exec(text);
  return m !== null && m.slice(1).every((n: string | undefined) => n === undefined || Number(n) === 0);
}

/** The shortest canonical spelling of a number of seconds, e.g. 9000 → `2h30m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  let rest = Math.floor(seconds);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

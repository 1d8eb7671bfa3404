/** Time is injected so that every decision and every code is table-testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const fixedClock = (ms: number): Clock => ({ now: () => ms });

/** Parses `--at TIME`: ISO 8601, or Unix seconds (integer or decimal). Returns ms, or undefined. */
export function parseTime(text: string): number | undefined {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const s = Number(t);
    return Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

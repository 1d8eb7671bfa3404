import { TotpMcpError } from './errors.js';

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

/** Waits `ms`; rejects at once (a TotpMcpError 'io', "cancelled") when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TotpMcpError('io', 'cancelled'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new TotpMcpError('io', 'cancelled'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

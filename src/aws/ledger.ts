/**
 * The step ledger: per MFA serial, the last TOTP step whose code reached STS. A
 * step at or below it is never sent again, by any process: the caller holds the serial's lock
 * while it reads the ledger, calls STS and records the step. A step is recorded only when STS
 * answered (a request that never left did not spend its code).
 */
import { TotpMcpError } from '../core/errors.js';
import { awsError } from './errors.js';
import { readOrNull, writeFileAtomic } from '../core/fs.js';

export interface LedgerEntry {
  v: 1;
  serial: string;
  step: number;
  at: string;
}

/** The last spent step, or -1 (no file, or a damaged one: then every step counts as fresh). */
export async function readLedger(path: string, serial: string): Promise<number> {
  const raw = await readOrNull(path, { link: 'refuse' });
  if (raw === null) return -1;
  try {
    const e = JSON.parse(raw.toString('utf8')) as Partial<LedgerEntry>;
    return e.v === 1 && e.serial === serial && typeof e.step === 'number' && Number.isSafeInteger(e.step) ? e.step : -1;
  } catch {
    return -1;
  }
}

export async function recordStep(path: string, serial: string, step: number, nowMs: number): Promise<void> {
  const entry: LedgerEntry = { v: 1, serial, step, at: new Date(nowMs).toISOString() };
  await writeFileAtomic(path, `${JSON.stringify(entry)}\n`, { overwrite: true });
}

/** The step to use now, and how long to wait for it (0 when the current step is fresh). */
export function freshStep(lastSpent: number, nowMs: number, periodMs: number): { step: number; waitMs: number } {
  const current = Math.floor(nowMs / periodMs);
  if (current > lastSpent) return { step: current, waitMs: 0 };
  const step = lastSpent + 1;
  return { step, waitMs: step * periodMs - nowMs + 25 };
}

export interface StepClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Waits (bounded, cancellable) until a step after `lastSpent` has begun and returns it. A wait
 * longer than `maxWaitMs` means the ledger is ahead of this clock (was it set back?): refused.
 */
export async function waitForFreshStep(
  lastSpent: number,
  periodMs: number,
  clock: StepClock,
  opts: { maxWaitMs: number; signal?: AbortSignal | undefined; onWait?: ((ms: number) => void) | undefined },
): Promise<number> {
  for (;;) {
    const { step, waitMs } = freshStep(lastSpent, clock.now(), periodMs);
    if (waitMs === 0) return step;
    if (waitMs > opts.maxWaitMs) {
      throw awsError(
        'step_wait',
        `the MFA step ledger is ${Math.ceil(waitMs / 1000)} s ahead of this computer's clock: was the clock set back?`,
        {
          hint: 'fix the clock (NTP); the ledger in <home>/state/aws can be deleted once the clock is right',
        },
      );
    }
    opts.onWait?.(waitMs);
    if (opts.signal?.aborted) throw new TotpMcpError('io', 'cancelled while waiting for the next MFA step');
    await clock.sleep(waitMs, opts.signal);
  }
}

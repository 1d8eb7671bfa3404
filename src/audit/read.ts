/**
 * Reading the log for people: `audit tail [-n N] [--follow]` and `audit stats`. Readers parse
 * each line against the event schema and skip lines that do not parse; they do not check MACs
 * (that needs the key: `verifyAudit`).
 */
import { join } from 'node:path';
import { TotpMcpError } from '../core/errors.js';
import { parseEventLine, type AuditEvent } from './event.js';
import { listLogFiles, readLines } from './files.js';
import { Tailer, type TailStart } from './tail.js';

export interface ReadOptions {
  /** Only the last N events (after the time filters). */
  readonly last?: number;
  /** Events at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Events before this time (ms since the epoch). */
  readonly until?: number;
}

async function readFileEvents(path: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const line of readLines(path)) {
    if (!line.complete) continue;
    const e = parseEventLine(line.text);
    if (e) out.push(e);
  }
  return out;
}

/** Events in chain order, filtered. With `last` alone, only the newest files are read. */
export async function readAudit(stateDir: string, opts: ReadOptions = {}): Promise<AuditEvent[]> {
  const { last, since, until } = opts;
  if (last !== undefined && (!Number.isSafeInteger(last) || last < 0))
    throw new TotpMcpError('usage', 'the number of events must be a whole number ≥ 0');
  if (last === 0) return [];
  const files = await listLogFiles(stateDir);
  const keep = (e: AuditEvent): boolean => {
    if (since === undefined && until === undefined) return true;
    const t = Date.parse(e.ts);
    return (since === undefined || t >= since) && (until === undefined || t < until);
  };
  const chunks: AuditEvent[][] = [];
  let count = 0;
  // Newest file first, so `-n N` stops early; `since` lets us stop once a whole file is older.
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i];
    if (!f) continue;
    const all = await readFileEvents(join(stateDir, f.name));
    const kept = all.filter(keep);
    chunks.unshift(kept);
    count += kept.length;
    if (last !== undefined && count >= last) break;
    const first = all[0];
    if (since !== undefined && first && Date.parse(first.ts) < since - 60_000) break;
  }
  const events = chunks.flat();
  return last === undefined ? events : events.slice(-last);
}

export interface FollowOptions {
  /** Poll interval (default 250 ms; at least 20). */
  readonly intervalMs?: number;
  /** Also deliver the events after this seq already in the log (e.g. the last one `readAudit` returned). */
  readonly afterSeq?: number;
}

/**
 * Calls `onEvent` for every event appended from now on (or after `afterSeq`), in chain order,
 * across rotations, until `signal` aborts. Polls the live file's size: no watcher to leak, and
 * each poll reads only new bytes. Resolves when aborted; rejects if reading fails.
 */
export async function followAudit(
  stateDir: string,
  onEvent: (event: AuditEvent) => void,
  signal: AbortSignal,
  opts: FollowOptions = {},
): Promise<void> {
  const interval = Math.max(20, Math.min(opts.intervalMs ?? 250, 10_000));
  const start: TailStart = opts.afterSeq === undefined ? { from: 'end' } : { from: 'after', seq: opts.afterSeq };
  const tailer = new Tailer(stateDir, parseEventLine, start);
  const aborted = (): boolean => signal.aborted;
  while (!aborted()) {
    for (const e of await tailer.poll()) {
      if (aborted()) return;
      onEvent(e);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, interval);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

export interface AuditStats {
  readonly total: number;
  /** From the first and last event counted (ISO), or null when none. */
  readonly from: string | null;
  readonly to: string | null;
  /** Keyed by agent; the owner's CLI (agent null) is `(owner)`. */
  readonly byAgent: Readonly<Record<string, number>>;
  /** Keyed by account; events without one are `(none)`. */
  readonly byAccount: Readonly<Record<string, number>>;
  readonly byAction: Readonly<Record<string, number>>;
  readonly byDecision: Readonly<Record<'allow' | 'deny' | 'error', number>>;
  /** Denials per reason code. */
  readonly denyReasons: Readonly<Record<string, number>>;
}

export const OWNER_KEY = '(owner)';
export const NO_ACCOUNT_KEY = '(none)';

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export function auditStats(events: readonly AuditEvent[]): AuditStats {
  // Null-prototype records: an agent named `__proto__` or `constructor` is just a key.
  const byAgent = Object.create(null) as Record<string, number>;
  const byAccount = Object.create(null) as Record<string, number>;
  const byAction = Object.create(null) as Record<string, number>;
  const denyReasons = Object.create(null) as Record<string, number>;
  const byDecision = { allow: 0, deny: 0, error: 0 };
  for (const e of events) {
    bump(byAgent, e.agent ?? OWNER_KEY);
    bump(byAccount, e.account ?? NO_ACCOUNT_KEY);
    bump(byAction, e.action);
    byDecision[e.decision]++;
    if (e.decision === 'deny') bump(denyReasons, e.reason);
  }
  return {
    total: events.length,
    from: events[0]?.ts ?? null,
    to: events.at(-1)?.ts ?? null,
    byAgent,
    byAccount,
    byAction,
    byDecision,
    denyReasons,
  };
}

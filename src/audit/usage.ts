/**
 * Usage counts for policy rate limits, derived from the audit log itself, so they hold across
 * processes and restarts. One index per state folder per process: the first call reads the whole
 * chain once; every later call reads only the bytes appended since (see tail.ts), so a decision
 * costs an open + fstat + a read of new lines, and counting is a binary search.
 *
 * `allow` events with a rule are indexed for limits, and every event's agent and time for the
 * per-agent cap on all calls (`max_calls`). The log is not verified here (`verifyAudit` does
 * that); a line that does not parse is skipped.
 *
 * Given a horizon (the longest window any limit of the policy counts over), a new index does not
 * read the whole chain: it starts after the newest rotated file whose last event is older than
 * the horizon (retention.ts, `startAfter`), which costs one read of each newer file's last line.
 * A larger horizon later (a policy with a longer window) rebuilds the index from further back.
 * Rotated files it must read are read from their summaries when they have valid ones
 * (usage-summary.ts), and summarized after a full read.
 */
import { resolve } from 'node:path';
import { COUNTED_ACTIONS, type AuditAction } from './event.js';
import type { Redacted } from '../core/redacted.js';
import { CLOCK_MARGIN_MS, startAfter } from './retention.js';
import { Tailer, type RotatedHook } from './tail.js';
import { bucketEnd, readSummary, writeSummary, type SummaryAllow, type SummaryCalls } from './usage-summary.js';

export interface UsageQuery {
  readonly rule: string;
  readonly agent: string | null;
  /** Count only this account; `undefined` counts every account. */
  readonly account?: string | null | undefined;
  /** Count events with `ts` at or after this time (ms since the epoch). */
  readonly sinceMs: number;
  /** Action kinds that count (default COUNTED_ACTIONS: code, aws_session). */
  readonly actions?: readonly AuditAction[] | undefined;
}

interface Allowed {
  readonly seq: number;
  readonly tsMs: number;
  readonly action: string;
  readonly rule: string;
  readonly agent: string | null;
  readonly account: string | null;
  /** From a summary: how many calls this entry stands for (default 1; 0: an allow counted as a call elsewhere). */
  readonly calls?: number;
}

/** A cheap parse for indexing: JSON and the few fields counted, nothing else. */
function parseAllowed(line: string): Allowed | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const e = o as Record<string, unknown>;
  const { seq, ts, action, rule, agent, account, decision } = e;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || typeof ts !== 'string' || typeof action !== 'string')
    return undefined;
  const tsMs = Date.parse(ts);
  if (Number.isNaN(tsMs)) return undefined;
  const who = typeof agent === 'string' ? agent : null;
  if (decision !== 'allow' || typeof rule !== 'string')
    return { seq, tsMs, action: '', rule: '', agent: who, account: null };
  if (!(agent === null || typeof agent === 'string') || !(account === null || typeof account === 'string'))
    return undefined;
  return { seq, tsMs, action, rule, agent, account };
}

/** First index whose value is >= x, in an ascending array. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(a: number[], x: number): void {
  if (a.length === 0 || (a[a.length - 1] as number) <= x) {
    a.push(x);
    return;
  }
  // Events of concurrent processes can be a few ms out of order along the chain.
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, x);
}

const SEP = '\u0000';
/** Trim old times after this many new events (trimming walks every key). */
const TRIM_EVERY = 10_000;

export class UsageIndex {
  readonly countedActions: readonly AuditAction[] = COUNTED_ACTIONS;
  /** action, rule, agent, account → sorted timestamps. */
  readonly #exact = new Map<string, number[]>();
  /** action, rule, agent → sorted timestamps, any account. */
  readonly #anyAccount = new Map<string, number[]>();
  /** agent → sorted timestamps of all its events (for `max_calls`). */
  readonly #calls = new Map<string, number[]>();
  #chain: Promise<void> = Promise.resolve();
  readonly #dir: string;
  #tailer: Tailer<Allowed>;
  /** Events are indexed from this time on (ms; -Infinity: the whole chain). */
  #from = -Infinity;
  #started = false;
  /** Events indexed since the last trim. */
  #untrimmed = 0;

  #key: Redacted<Buffer> | undefined;
  readonly #summaries: RotatedHook<Allowed> = {
    read: async (file) => {
      const key = this.#key;
      const got = key === undefined ? undefined : await readSummary(this.#dir, file, key);
      if (got === undefined) return undefined;
      const { summary, bytes } = got;
      const entries: Allowed[] = summary.allows.map(([seq, tsMs, action, rule, agent, account]) => ({
        seq,
        tsMs,
        action,
        rule,
        agent,
        account,
        calls: 0,
      }));
      for (const [agent, tsMs, n] of summary.calls)
        entries.push({ seq: summary.last, tsMs, action: '', rule: '', agent, account: null, calls: n });
      return { entries, lastSeq: summary.last, bytes };
    },
    wasRead: (file, entries, size) => {
      const key = this.#key;
      if (key === undefined || file.last === undefined) return;
      void writeSummary(this.#dir, file, key, size, summarize(file.last, entries));
    },
  };

  constructor(stateDir: string) {
    this.#dir = stateDir;
    this.#tailer = new Tailer(stateDir, parseAllowed, undefined, this.#summaries);
  }

  /** Lets the index read and write usage summaries (they are tagged with the audit key). */
  useKey(key: Redacted<Buffer>): void {
    this.#key ??= key;
  }

  /** The highest seq read: every event up to it is counted. */
  get maxSeq(): number {
    return this.#tailer.lastSeq;
  }

  /** Bytes of log read so far. */
  get bytesRead(): number {
    return this.#tailer.bytesRead;
  }

  /**
   * Reads what was appended since the last refresh. Calls are serialized. With `since` (ms), the
   * caller needs counts only from that time on: a new index may skip older rotated files, and an
   * index started later than `since` starts again from further back. Without it, a new index
   * reads the whole chain, and a started one keeps its start.
   */
  refresh(since?: number): Promise<void> {
    const run = this.#chain.then(async () => {
      if (!this.#started) await this.#restart(since ?? -Infinity);
      else if (since !== undefined && since < this.#from) await this.#restart(since);
      const polled = await this.#tailer.poll();
      for (const e of polled) {
        const calls = this.#calls;
        for (let i = e.calls ?? 1; i > 0; i--) getOrCreateSorted(calls, e.agent ?? '', e.tsMs);
        if (e.rule === '') continue;
        const base = [e.action, e.rule, e.agent ?? ''].join(SEP);
        const exact = base + SEP + (e.account ?? '');
        insertSorted(getOrCreate(this.#exact, exact), e.tsMs);
        insertSorted(getOrCreate(this.#anyAccount, base), e.tsMs);
      }
      this.#untrimmed += polled.length;
      if (since !== undefined && this.#untrimmed >= TRIM_EVERY) this.#trim(since - CLOCK_MARGIN_MS);
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Forgets times before `cut` (a long-running server would otherwise keep one number per event
   * for ever); a later caller asking for earlier times starts the index again.
   */
  #trim(cut: number): void {
    this.#untrimmed = 0;
    if (!(cut > this.#from)) return;
    for (const m of [this.#calls, this.#exact, this.#anyAccount]) {
      for (const [k, arr] of m) {
        const n = lowerBound(arr, cut);
        if (n === arr.length) m.delete(k);
        else if (n > 0) arr.splice(0, n);
      }
    }
    this.#from = cut;
  }

  /** Starts (again) from the first rotated file that may hold events at or after `from`. */
  async #restart(from: number): Promise<void> {
    const after = from === -Infinity ? 0 : await startAfter(this.#dir, from);
    if (this.#started) {
      this.#exact.clear();
      this.#anyAccount.clear();
      this.#calls.clear();
    }
    this.#tailer = new Tailer(
      this.#dir,
      parseAllowed,
      after === 0 ? { from: 'beginning' } : { from: 'after', seq: after },
      this.#summaries,
    );
    // startAfter keeps whole files with this margin to spare: concurrent calls whose clocks read
    // a few ms apart do not start the index again.
    this.#from = from - CLOCK_MARGIN_MS;
    this.#started = true;
  }

  /** Events of `agent` (any action, any decision) at or after `sinceMs`, among those read so far. */
  countCalls(agent: string | null, sinceMs: number): number {
    const arr = this.#calls.get(agent ?? '');
    return arr ? arr.length - lowerBound(arr, sinceMs) : 0;
  }

  /** Allowed uses matching `q` among the events read so far. */
  count(q: UsageQuery): number {
    let n = 0;
    for (const action of q.actions ?? this.countedActions) {
      const base = [action, q.rule, q.agent ?? ''].join(SEP);
      const arr =
        q.account === undefined ? this.#anyAccount.get(base) : this.#exact.get(base + SEP + (q.account ?? ''));
      if (arr) n += arr.length - lowerBound(arr, q.sinceMs);
    }
    return n;
  }
}

/** What a rotated file's summary holds (usage-summary.ts). */
function summarize(
  last: number,
  entries: readonly Allowed[],
): { last: number; allows: SummaryAllow[]; calls: SummaryCalls[] } {
  const allows: SummaryAllow[] = [];
  const perAgent = new Map<string | null, Map<number, number>>();
  for (const e of entries) {
    if (e.rule !== '') allows.push([e.seq, e.tsMs, e.action, e.rule, e.agent, e.account]);
    let m = perAgent.get(e.agent);
    if (!m) perAgent.set(e.agent, (m = new Map<number, number>()));
    const b = bucketEnd(e.tsMs);
    m.set(b, (m.get(b) ?? 0) + (e.calls ?? 1));
  }
  const calls: SummaryCalls[] = [];
  for (const [agent, m] of perAgent) for (const [b, n] of [...m].sort((x, y) => x[0] - y[0])) calls.push([agent, b, n]);
  return { last, allows, calls };
}

function getOrCreateSorted(m: Map<string, number[]>, k: string, x: number): void {
  insertSorted(getOrCreate(m, k), x);
}

function getOrCreate(m: Map<string, number[]>, k: string): number[] {
  let a = m.get(k);
  if (!a) {
    a = [];
    m.set(k, a);
  }
  return a;
}

const indexes = new Map<string, UsageIndex>();

/** The process-wide index of a state folder. */
export function usageIndexFor(stateDir: string): UsageIndex {
  const key = resolve(stateDir);
  let index = indexes.get(key);
  if (!index) {
    index = new UsageIndex(key);
    indexes.set(key, index);
  }
  return index;
}

/**
 * Allowed uses of `q.rule` by `q.agent` (on `q.account`, when given) since `q.sinceMs`, from the
 * log. Cheap after the first call. Does not see appends still queued in this process: use
 * `AuditLog.countAllowed` for that.
 */
export async function countAllowed(stateDir: string, q: UsageQuery): Promise<number> {
  const index = usageIndexFor(stateDir);
  await index.refresh();
  return index.count(q);
}

/**
 * The audit writer: group commit within a process, one chain across processes.
 *
 * `append` validates the event at once (a bad event never waits), stamps its time, and queues it.
 * One drain loop per `AuditLog` writes batches: while a batch is being written and fsynced, new
 * events queue, and the next batch takes all of them. Under `<state>/audit.lock`, a session:
 *   1. finds the chain's tail (chain-tail.ts);
 *   2. takes the whole queue as one batch and assigns seq, prev and mac to each event;
 *   3. writes all of its lines with ONE write() to the live file opened O_APPEND | O_DSYNC (the
 *      write returns once the data is on disk, as write + fdatasync would, in one system call),
 *      and only then resolves the batch's promises;
 *   4. rotates the live file once it has grown past `rotateBytes`;
 *   5. repeats 2–4 while more events are queued, nobody else waits for the lock (`audit.want`,
 *      lock.ts: without it a process with a steady stream of events starves the others) and the
 *      session is younger than MAX_HOLD_MS;
 *   6. replaces the head (tmp + rename) and releases the lock.
 * If a write fails, every promise of its batch rejects and the batch's bytes are cut off again
 * where possible. Usage counts (this writer's queued events included) are pending-usage.ts's.
 */
import { constants } from 'node:fs';
import { rename, type FileHandle } from 'node:fs/promises';
import { ensureRealDir, fsyncDir, openNoFollow } from '../core/fs.js';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { TotpMcpError, fsError, isTotpMcpError, shortWriteError } from '../core/errors.js';
import type { Lock } from '../core/lock.js';
import type { Redacted } from '../core/redacted.js';
import { checkKey, signEvent } from './canonical.js';
import { findTail, type Tail } from './chain-tail.js';
import { checkInput, type AuditEvent, type AuditInput, type CheckedInput } from './event.js';
import { LIVE_FILE, listLogFiles, refuseLinkedMembers, rotatedName, writeHead } from './files.js';
import { signHead, type UnsignedHead } from './head.js';
import { YIELD_MS, acquireAuditLock, othersWaiting, sleep, wantPath } from './lock.js';
import { PendingUsage, type OwnEvent, type Usage } from './pending-usage.js';
import { pruneRotated, type RetentionOptions } from './retention.js';
import type { UsageQuery } from './usage.js';

export { isTrailBroken } from './chain-tail.js';

const DEFAULT_ROTATE_BYTES = 10 * 1024 * 1024;
/**
 * Longest a writer keeps the lock for back-to-back batches when nobody announces a wait. Fairness
 * does not depend on it (a waiter touches audit.want, which the holder checks after every batch);
 * it bounds how long the head record lags behind a busy writer.
 */
const MAX_HOLD_MS = 1000;
/**
 * How long a session keeps the lock and the open log after its queue empties, for the next event
 * of a client that calls one tool at a time: opening a session (lock, tail, open, head, release)
 * costs several file operations, which would otherwise be paid by every sequential call
 * (bench/README.md has the figure). Another process that announces itself still gets the lock at
 * once; the fsync before each reply is unchanged.
 */
const LINGER_MS = 3;
/** The live file: appended to, and every write() durable when it returns (data, and the size). */
const LIVE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;
/** Most events written by one write(); more wait for the next batch. */
const MAX_BATCH_EVENTS = 4096;

export interface AuditLogOptions {
  clock?: Clock;
  /** Rotate the live file once it is larger than this (default 10 MiB). */
  rotateBytes?: number;
  /** How long a batch waits for the cross-process lock (default 30 s). */
  lockTimeoutMs?: number;
  /**
   * Prune old rotated files after a rotation (retention.ts), and let the usage index skip files
   * older than `protectMs`. Absent: nothing is pruned and the index reads the whole chain.
   */
  retention?: RetentionOptions | undefined;
  /**
   * Asked at every lock session: does the vault hold an anchor for this trail (app/trail.ts)?
   * Then the trail is known to exist, and a missing, unsigned (v1) or unverifiable head means it
   * was cut, wiped or forged: the writer refuses (the caller fails closed) instead of rebuilding
   * the head from whatever log is left. Without an anchor (default: a trail from before anchors,
   * or a fresh one), such a head is rebuilt from the log as before.
   */
  anchored?: () => boolean;
}

/** Counters for tests and benchmarks. */
export interface AuditWriterStats {
  readonly events: number;
  readonly batches: number;
  /** Durable writes (each batch's one O_DSYNC write). */
  readonly fsyncs: number;
  readonly rotations: number;
}

interface Pending {
  readonly input: CheckedInput;
  readonly ts: string;
  /** Its entry in the usage counter's list of own events, to be given its seq. */
  readonly own: OwnEvent | undefined;
  readonly resolve: (e: AuditEvent) => void;
  readonly reject: (e: Error) => void;
}

export class AuditLog {
  readonly stateDir: string;
  readonly #want: string;
  readonly #key: Redacted<Buffer>;
  readonly #clock: Clock;
  readonly #rotateBytes: number;
  readonly #lockTimeoutMs: number;
  readonly #retention: RetentionOptions | undefined;
  readonly #anchored: () => boolean;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  /** Wakes a lingering session when an event arrives. */
  #wake: (() => void) | null = null;
  #closed = false;
  #dirReady: Promise<void> | null = null;
  #stats = { events: 0, batches: 0, fsyncs: 0, rotations: 0 };
  readonly #usage: PendingUsage;

  constructor(stateDir: string, key: Redacted<Buffer>, opts: AuditLogOptions = {}) {
    checkKey(key);
    this.stateDir = stateDir;
    this.#want = wantPath(stateDir);
    this.#key = key;
    this.#usage = new PendingUsage(stateDir, key);
    this.#clock = opts.clock ?? systemClock;
    this.#rotateBytes = opts.rotateBytes ?? DEFAULT_ROTATE_BYTES;
    this.#lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
    this.#retention = opts.retention;
    this.#anchored = opts.anchored ?? (() => false);
    if (!(this.#rotateBytes > 0)) throw new TotpMcpError('internal', 'rotateBytes must be positive');
  }

  get stats(): AuditWriterStats {
    return { ...this.#stats };
  }

  /**
   * Records one decision. Resolves with the written event once it is fsynced; rejects (and the
   * caller must fail closed) when the event is not acceptable or could not be written.
   */
  append(input: AuditInput): Promise<AuditEvent> {
    if (this.#closed) return Promise.reject(new TotpMcpError('internal', 'the audit log is closed'));
    // Checked synchronously, so an allow is counted for rate limits the moment it is appended.
    let checked: CheckedInput;
    try {
      checked = checkInput(input);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new TotpMcpError('internal', 'audit event rejected'));
    }
    return this.#enqueue(checked);
  }

  #enqueue(checked: CheckedInput): Promise<AuditEvent> {
    if (this.#closed) return Promise.reject(new TotpMcpError('internal', 'the audit log is closed'));
    let tsMs: number;
    let ts: string;
    try {
      tsMs = this.#clock.now();
      ts = new Date(tsMs).toISOString();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new TotpMcpError('internal', 'audit event rejected'));
    }
    return new Promise<AuditEvent>((resolve, reject) => {
      const own = this.#usage.track(checked, tsMs);
      this.#queue.push({
        input: checked,
        ts,
        own,
        resolve,
        reject: (e) => {
          if (own) this.#usage.drop(own);
          reject(e);
        },
      });
      this.#draining ??= this.#drain();
      this.#wake?.();
    });
  }

  /**
   * Waits until the writer is idle: every queued append settled, the head record written and the
   * lock released. (An append resolves as soon as its line is fsynced, a little before that.)
   */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Waits for every queued append, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /**
   * Uses already allowed, from the log (read incrementally, across processes and restarts) plus
   * this process's allows that are queued or not yet read back.
   */
  async countAllowed(q: UsageQuery): Promise<number> {
    return (await this.usage()).count(q);
  }

  /**
   * Refreshes the usage index, then returns a synchronous counter. `count` also sees every allow
   * this process has queued up to the moment it is called, so a caller that counts, decides and
   * calls `append` in one synchronous step can never overshoot a limit through concurrent
   * requests in this process. (Across processes, two decisions made in the same instant can both
   * see the count from before the other: the overshoot is bounded by the number of processes.)
   */
  usage(sinceMs?: number): Promise<Usage> {
    return this.#usage.usage(sinceMs);
  }

  /**
   * The shape `policy/` asks for (`UsageCounter`): uses of a rule by an agent on an account in
   * the `windowSeconds` up to `nowMs` (events at or after `nowMs - windowSeconds·1000`).
   */
  async usageCounter(
    nowMs: number,
  ): Promise<(ruleId: string, agent: string, accountId: string, windowSeconds: number) => number> {
    const usage = await this.usage(this.#horizon(nowMs));
    return (ruleId, agent, accountId, windowSeconds) =>
      usage.count({ rule: ruleId, agent, account: accountId, sinceMs: nowMs - windowSeconds * 1000 });
  }

  /**
   * Every event of `agent` (any action, any decision) at or after `sinceMs`, across processes,
   * with this process's queued events (for `max_calls`).
   */
  async countCalls(agent: string, sinceMs: number, nowMs: number): Promise<number> {
    return (await this.usage(this.#horizon(nowMs))).calls(agent, sinceMs);
  }

  /** Counts need events from this time on (ms), given the retention's protected window. */
  #horizon(nowMs: number): number | undefined {
    const protect = this.#retention?.protectMs();
    return protect === undefined ? undefined : Math.min(nowMs, nowMs - protect);
  }

  /**
   * Writes batches until the queue is empty. One lock session writes as many batches as arrive
   * back to back (the tail is then known, and the head is written once, at the end), unless
   * another process announces that it is waiting, or the session has lasted MAX_HOLD_MS.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const stepAside = await this.#session();
        // Fairness: a process with a steady stream of events would otherwise take the lock again
        // within microseconds of releasing it, and starve the others. If another process has
        // announced that it is waiting, step aside for longer than its poll interval; our queue
        // keeps filling meanwhile and goes out as one bigger batch.
        if (stepAside && this.#queue.length > 0) await sleep(YIELD_MS);
      }
    } finally {
      this.#draining = null;
    }
  }

  /** One hold of the lock. Returns whether another writer is waiting for it. */
  async #session(): Promise<boolean> {
    let lock: Lock;
    let acquiredAt: number;
    try {
      await this.#ensureDir();
      ({ lock, acquiredAt } = await acquireAuditLock(this.stateDir, this.#lockTimeoutMs));
    } catch (e) {
      this.#fail(this.#queue.splice(0, MAX_BATCH_EVENTS), e);
      return false;
    }
    const since = Date.now();
    let live: FileHandle | null = null;
    let liveIno = '';
    let head: UnsignedHead | null = null;
    let waiting = false;
    try {
      let tail = await findTail(this.stateDir, this.#key, this.#anchored());
      for (;;) {
        // Take the queue only now: everything that arrived while we waited or wrote joins.
        if (this.#queue.length === 0) await this.#linger();
        const batch = this.#queue.splice(0, MAX_BATCH_EVENTS);
        if (batch.length === 0) break;
        try {
          if (!live) {
            live = await this.#openLive();
            liveIno = (await live.stat({ bigint: true })).ino.toString();
          }
          const r = await this.#writeBatch(live, liveIno, tail, batch);
          for (let i = 0; i < batch.length; i++) batch[i]?.resolve(r.events[i] as AuditEvent);
          this.#usage.maybePrune();
          tail = r.tail;
          head = r.head;
          if (r.rotated) {
            await live.close().catch(() => undefined);
            live = null;
            if (this.#retention)
              await pruneRotated(this.stateDir, this.#key, this.#retention, this.#clock.now()).catch(() => undefined);
          }
        } catch (e) {
          this.#fail(batch, e);
          break;
        }
        // (Yielding here lets callers that were just resolved queue their next event.)
        await Promise.resolve();
        waiting = othersWaiting(this.#want, acquiredAt);
        if (waiting || Date.now() - since >= MAX_HOLD_MS) break;
      }
    } catch (e) {
      this.#fail(this.#queue.splice(0, MAX_BATCH_EVENTS), e);
    } finally {
      await live?.close().catch(() => undefined);
      // Every acknowledged batch is durable; a failed head update only costs the next writer a
      // backwards scan of the last line.
      if (head) await writeHead(this.stateDir, signHead(this.#key, head)).catch(() => undefined);
      await lock.release().catch(() => undefined);
    }
    return waiting;
  }

  /** Waits at most LINGER_MS for the next event (a waiting process was checked after the last batch). */
  async #linger(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, LINGER_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = null;
  }

  #fail(batch: readonly Pending[], e: unknown): void {
    const err = isTotpMcpError(e) ? e : new TotpMcpError('io', 'cannot write the audit log', { cause: e });
    for (const p of batch) p.reject(err);
  }

  async #openLive(): Promise<FileHandle> {
    try {
      return await openNoFollow(join(this.stateDir, LIVE_FILE), LIVE_FLAGS, 0o600);
    } catch (e) {
      throw fsError('open the audit log', join(this.stateDir, LIVE_FILE), e);
    }
  }

  #ensureDir(): Promise<void> {
    // A link as state/ or one of its files is refused up front, with its name (core/fs.ts).
    this.#dirReady ??= ensureRealDir(this.stateDir)
      .then(() => refuseLinkedMembers(this.stateDir))
      .catch((e: unknown) => {
        this.#dirReady = null;
        throw fsError('create the state folder', this.stateDir, e);
      });
    return this.#dirReady;
  }

  /** Under the lock: chains the batch onto `tail`, writes it with one durable write(), rotates. */
  async #writeBatch(
    fh: FileHandle,
    ino: string,
    tail: Tail,
    batch: readonly Pending[],
  ): Promise<{ events: AuditEvent[]; tail: Tail; head: UnsignedHead; rotated: boolean }> {
    const dir = this.stateDir;
    let seq = tail.seq;
    let prev = tail.mac;
    let gen = tail.gen;
    const events: AuditEvent[] = [];
    const lines: string[] = [];
    const pid = process.pid;
    for (const p of batch) {
      seq++;
      if (p.own) p.own.seq = seq; // before the write: the usage index may read the line at once
      const c = p.input;
      // Every field spelled out: one object shape for every event, and no copies of the input.
      const unsigned = {
        v: 1 as const,
        seq,
        ts: p.ts,
        agent: c.agent,
        client: c.client,
        action: c.action,
        account: c.account,
        decision: c.decision,
        rule: c.rule,
        reason: c.reason,
        step: c.step,
        approval: c.approval,
        aws: c.aws,
        gen: c.gen,
        pid,
        prev,
      };
      // Only a reset event carries `reset`, only a fill `origin` (they then take signEvent's general path).
      const full =
        c.reset === null && c.origin === null
          ? unsigned
          : {
              ...unsigned,
              ...(c.reset !== null && { reset: c.reset }),
              ...(c.origin !== null && { origin: c.origin }),
            };
      const { mac, line } = signEvent(this.#key, full);
      events.push(Object.assign(full, { mac }));
      if (c.gen !== null && c.gen > gen) gen = c.gen;
      lines.push(line);
      prev = mac;
    }
    const buf = Buffer.from(lines.join('\n') + '\n', 'utf8');

    let written = false;
    try {
      const { bytesWritten } = await fh.write(buf, 0, buf.length);
      written = true;
      if (bytesWritten !== buf.length) throw shortWriteError(join(dir, LIVE_FILE));
      this.#stats.fsyncs++; // O_DSYNC: the write returned once the data was on disk
    } catch (e) {
      // Never leave a torn or unacknowledged batch behind if we can help it.
      if (written) await fh.truncate(tail.liveSize).catch(() => undefined);
      throw fsError('write the audit log', join(dir, LIVE_FILE), e);
    }
    if (!tail.liveExists) await fsyncDir(dir);
    this.#stats.batches++;
    this.#stats.events += batch.length;

    const size = tail.liveSize + buf.length;
    if (size > this.#rotateBytes) {
      const files = await listLogFiles(dir);
      const lastRotated = files.filter((f) => f.last !== undefined).at(-1);
      const name = rotatedName((lastRotated?.last ?? 0) + 1, seq);
      await rename(join(dir, LIVE_FILE), join(dir, name));
      await fsyncDir(dir);
      this.#stats.rotations++;
      return {
        events,
        tail: { seq, mac: prev, gen, liveSize: 0, liveExists: false },
        head: { seq, mac: prev, size, file: name, ino, gen },
        rotated: true,
      };
    }
    return {
      events,
      tail: { seq, mac: prev, gen, liveSize: size, liveExists: true },
      head: { seq, mac: prev, size, file: LIVE_FILE, ino, gen },
      rotated: false,
    };
  }
}

/** Opens (creating on first append) the audit log of a state folder. */
export function openAuditLog(stateDir: string, key: Redacted<Buffer>, opts?: AuditLogOptions): AuditLog {
  return new AuditLog(stateDir, key, opts);
}

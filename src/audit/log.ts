/**
 * The audit writer: group commit within a process, one chain across processes.
 *
 * `append` validates the event at once (a bad event never waits), stamps its time, and queues it.
 * One drain loop per `AuditLog` writes batches: while a batch is being written and fsynced, new
 * events queue, and the next batch takes all of them. Under `<state>/audit.lock`, a session:
 *   1. finds the chain's tail in O(1) from `audit.head`, checked against the size and inode of
 *      the file it names (or, when they disagree — a writer killed after its fsync but before its
 *      head update, a rotation cut short, a torn last line — by reading the log's last line
 *      backwards (in the newest rotated file if the live one is empty), cutting off a torn
 *      line, and checking that line's MAC; a log that ends BEFORE its head was truncated or rolled
 *      back, and is refused: the caller fails closed). The head is MAC'd (head.ts); once the vault
 *      anchors this trail (`anchored`), a missing, unsigned or forged head is refused too, never
 *      rebuilt from what is left of the log;
 *   2. takes the whole queue as one batch and assigns seq, prev and mac to each event;
 *   3. writes all of its lines with ONE write() to the live file opened O_APPEND | O_DSYNC (the
 *      write returns once the data is on disk, as write + fdatasync would, in one system call),
 *      and only then resolves the batch's promises. A batch of several events is written on the
 *      thread pool, so that requests keep being parsed and decided while the disk works. A batch
 *      of ONE event means events arrive more slowly than the disk commits them (a client calling
 *      one tool at a time): it is written on this thread, which then has nothing else to do, and
 *      saves the two thread hops (a measurable share of such a call, and jitter in its tail: bench/README.md);
 *   4. rotates the live file once it has grown past `rotateBytes`;
 *   5. repeats 2–4 while more events are queued (or arrive within LINGER_MS: the batch is then
 *      taken once the turn that brought the first of them is over), nobody else waits for the lock
 *      (`audit.want`) and the session is younger than MAX_HOLD_MS;
 *   6. replaces the head (tmp + rename) and releases the lock.
 * If a write fails, every promise of its batch rejects and the batch's bytes are cut off again
 * where possible.
 */
import { constants, writeSync } from 'node:fs';
import { rename, truncate, type FileHandle } from 'node:fs/promises';
import { ensureRealDir, fsyncDir, openNoFollow } from '../core/fs.js';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { TotpMcpError, fsError, isTotpMcpError, shortWriteError } from '../core/errors.js';
import type { Lock } from '../core/lock.js';
import type { Redacted } from '../core/redacted.js';
import { GENESIS_MAC, checkKey, eventMac, sameMac, signEvent } from './canonical.js';
import {
  checkInput,
  parseEventLine,
  type AuditAction,
  type AuditEvent,
  type AuditInput,
  type CheckedInput,
} from './event.js';
import {
  HEAD_FILE,
  LIVE_FILE,
  listLogFiles,
  readHead,
  refuseLinkedMembers,
  rotatedName,
  scanTail,
  sizeOf,
  writeHead,
  type Head,
} from './files.js';
import { headVerifies, signHead, type UnsignedHead } from './head.js';
import { YIELD_MS, acquireAuditLock, othersWaiting, sleep, wantPath } from './lock.js';
import { pruneRotated, type RetentionOptions } from './retention.js';
import { usageIndexFor, type UsageQuery } from './usage.js';

export const DEFAULT_ROTATE_BYTES = 10 * 1024 * 1024;
/**
 * Longest a writer keeps the lock for back-to-back batches when nobody announces a wait. Fairness
 * does not depend on it (a waiter touches audit.want, which the holder checks after every batch);
 * it bounds how long the head record lags behind a busy writer. Ending a session costs a head
 * write, a lock release and a new lock session (a dozen file operations): short holds put that
 * into the latency tail of a steady stream of calls.
 */
const MAX_HOLD_MS = 1000;
/**
 * An idle writer keeps its lock session this long for the next event: a client calling one tool
 * after another then pays one write + fsync per call, not a whole lock session (lock file, head
 * read, head rewrite), which costs several times more. Another process that wants the lock still
 * gets it after at most this long. The event that wakes it is not written at once: the batch is
 * taken in the event loop's next check phase (setImmediate), once every request read in the same
 * turn has been decided and queued its event. Taken at the first event, a batch of one went out
 * alone on this thread while the rest of the turn's requests waited for the disk (at 64 calls in
 * flight, one batch in five; now far fewer, and fewer fsyncs: bench/README.md).
 */
const LINGER_MS = 3;
/** The live file: appended to, and every write() durable when it returns (data, and the size). */
const LIVE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;
/** Most events written by one write(); more wait for the next batch. */
export const MAX_BATCH_EVENTS = 4096;

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

/** The error a broken trail gives: the caller fails closed; the owner's way back is `audit reset`. */
const trailBroken = (why: string): TotpMcpError =>
  new TotpMcpError('io', `the audit trail is broken: ${why}`, {
    reason: 'trail_broken',
    hint: "run 'totp-mcp audit verify'; to start a new chain that records the break, 'totp-mcp audit reset --reason TEXT'",
  });

export const isTrailBroken = (e: unknown): e is TotpMcpError =>
  e instanceof TotpMcpError && e.reason === 'trail_broken';

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
  /** For an allow by a rule: its entry in the own-allows list, to be given its seq. */
  readonly own: OwnAllow | undefined;
  readonly resolve: (e: AuditEvent) => void;
  readonly reject: (e: Error) => void;
}

interface OwnAllow {
  readonly action: AuditAction;
  readonly rule: string;
  readonly agent: string | null;
  readonly account: string | null;
  readonly tsMs: number;
  /** Set once written. */
  seq?: number;
}

interface Tail {
  seq: number;
  mac: string;
  /** The highest vault generation recorded so far (for the head). */
  gen: number;
  /** Size of the live file (0 when absent). */
  liveSize: number;
  liveExists: boolean;
}

const damaged = trailBroken;

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
  /** Set while an idle session lingers: called by append when an event arrives. */
  #arrived: (() => void) | null = null;
  #closed = false;
  #dirReady: Promise<void> | null = null;
  #stats = { events: 0, batches: 0, fsyncs: 0, rotations: 0 };
  /** Date.now() when this writer last took the lock. */
  #acquiredAt = 0;
  /** Events this process queued or wrote that the usage index may not have read yet (rule "" unless an allow by a rule). */
  #own: OwnAllow[] = [];
  /** Own allows are tracked once someone has asked for usage counts. */
  #tracking = false;
  #pruning = false;

  constructor(stateDir: string, key: Redacted<Buffer>, opts: AuditLogOptions = {}) {
    checkKey(key);
    this.stateDir = stateDir;
    this.#want = wantPath(stateDir);
    this.#key = key;
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
      let own: OwnAllow | undefined;
      if (this.#tracking) {
        const rule = checked.decision === 'allow' && checked.rule !== null ? checked.rule : '';
        own = { action: checked.action, rule, agent: checked.agent, account: checked.account, tsMs };
        this.#own.push(own);
      }
      this.#queue.push({
        input: checked,
        ts,
        own,
        resolve,
        reject: (e) => {
          if (own) this.#own = this.#own.filter((o) => o !== own);
          reject(e);
        },
      });
      this.#arrived?.();
      this.#draining ??= this.#drain();
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
  async usage(
    sinceMs?: number,
  ): Promise<{ count(q: UsageQuery): number; calls(agent: string, sinceMs: number): number }> {
    this.#tracking = true;
    const index = usageIndexFor(this.stateDir);
    index.useKey(this.#key);
    await index.refresh(sinceMs);
    this.#pruneOwn(index.maxSeq);
    return {
      calls: (agent, since) => {
        const indexed = index.maxSeq;
        let n = index.countCalls(agent, since);
        for (const o of this.#own) {
          if (o.seq !== undefined && o.seq <= indexed) continue;
          if (o.agent === agent && o.tsMs >= since) n++;
        }
        return n;
      },
      count: (q) => {
        const indexed = index.maxSeq;
        let n = index.count(q);
        const actions = q.actions ?? index.countedActions;
        for (const o of this.#own) {
          if (o.seq !== undefined && o.seq <= indexed) continue; // the index has it
          if (o.rule !== q.rule || o.agent !== q.agent || !actions.includes(o.action)) continue;
          if (q.account !== undefined && o.account !== q.account) continue;
          if (o.tsMs >= q.sinceMs) n++;
        }
        return n;
      },
    };
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
    try {
      await this.#ensureDir();
      lock = await this.#acquire();
    } catch (e) {
      this.#fail(this.#queue.splice(0, MAX_BATCH_EVENTS), e);
      return false;
    }
    const since = Date.now();
    let live: FileHandle | null = null;
    let liveIno = '';
    let head: UnsignedHead | null = null;
    let othersWaiting = false;
    try {
      let tail = await this.#findTail();
      for (;;) {
        // Take the queue only now: everything that arrived while we waited or wrote joins.
        const batch = this.#queue.splice(0, MAX_BATCH_EVENTS);
        if (batch.length === 0) break;
        try {
          if (!live) {
            live = await this.#openLive();
            liveIno = (await live.stat({ bigint: true })).ino.toString();
          }
          const r = await this.#writeBatch(live, liveIno, tail, batch);
          for (let i = 0; i < batch.length; i++) batch[i]?.resolve(r.events[i] as AuditEvent);
          this.#maybePruneOwn();
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
        othersWaiting = this.#othersWaiting();
        if (othersWaiting || Date.now() - since >= MAX_HOLD_MS) break;
        if (this.#queue.length === 0 && !(await this.#linger())) break;
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
    return othersWaiting;
  }

  /** Waits up to LINGER_MS for a new event; false when none came (or the log is closing). */
  #linger(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#arrived = null;
        resolve(false);
      }, LINGER_MS);
      this.#arrived = () => {
        clearTimeout(timer);
        this.#arrived = null;
        setImmediate(resolve, true);
      };
    });
  }

  #pruneOwn(indexed: number): void {
    this.#own = this.#own.filter((o) => o.seq === undefined || o.seq > indexed);
  }

  /** Keeps the own-allows list short when nobody asks for counts for a while. */
  #maybePruneOwn(): void {
    if (this.#own.length < 1024 || this.#pruning) return;
    this.#pruning = true;
    const index = usageIndexFor(this.stateDir);
    void index
      .refresh()
      .then(() => {
        this.#pruneOwn(index.maxSeq);
      })
      .catch(() => undefined)
      .finally(() => (this.#pruning = false));
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

  async #acquire(): Promise<Lock> {
    const { lock, acquiredAt } = await acquireAuditLock(this.stateDir, this.#lockTimeoutMs);
    this.#acquiredAt = acquiredAt;
    return lock;
  }

  #othersWaiting(): boolean {
    return othersWaiting(this.#want, this.#acquiredAt);
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
      const bytesWritten =
        batch.length === 1 ? writeSync(fh.fd, buf, 0, buf.length) : (await fh.write(buf, 0, buf.length)).bytesWritten;
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

  /** The chain's last seq and mac, and the live file's size; repairs a torn last line. */
  async #findTail(): Promise<Tail> {
    const dir = this.stateDir;
    const livePath = join(dir, LIVE_FILE);
    const [live, read] = await Promise.all([sizeOf(livePath), readHead(dir)]);
    const liveSize = live?.size ?? 0;
    const liveExists = live !== null;
    const head = this.#trustedHead(read);

    // Fast path: the head names the very file (inode) that ends the chain, at its current size.
    if (head !== null) {
      if (head.file === LIVE_FILE && live !== null && live.ino === head.ino && live.size === head.size) {
        return { seq: head.seq, mac: head.mac, gen: head.gen, liveSize, liveExists };
      }
      if (head.file !== LIVE_FILE && liveSize === 0) {
        // Just after a rotation: the head's file must still be the newest rotated one.
        const newest = (await listLogFiles(dir)).filter((f) => f.last !== undefined).at(-1);
        const rotated = newest?.name === head.file ? await sizeOf(join(dir, head.file)) : null;
        if (rotated?.ino === head.ino && rotated.size === head.size)
          return { seq: head.seq, mac: head.mac, gen: head.gen, liveSize, liveExists };
      }
    }
    // Slow path: find the last complete event in the files themselves.
    const known = head ?? undefined;
    let scan = liveExists ? await scanTail(livePath) : null;
    if (scan && scan.completeEnd < scan.size) {
      // A torn last line: written by a process that died mid-write, never acknowledged.
      await truncate(livePath, scan.completeEnd).catch((e: unknown) => {
        throw new TotpMcpError('io', 'cannot repair the torn end of the audit log', { cause: e });
      });
      scan = {
        size: scan.completeEnd,
        completeEnd: scan.completeEnd,
        ...(scan.lastLine === undefined ? {} : { lastLine: scan.lastLine }),
      };
    }
    let lastLine = scan?.lastLine;
    const size = scan?.size ?? 0;
    if (lastLine === undefined) {
      const rotated = (await listLogFiles(dir)).filter((f) => f.last !== undefined).at(-1);
      if (rotated) lastLine = (await scanTail(join(dir, rotated.name)))?.lastLine;
      if (rotated && lastLine === undefined) throw damaged(`the rotated audit file ${rotated.name} is empty`);
    }
    if (lastLine === undefined) {
      if (known && known.seq > 0)
        throw damaged(
          `the audit log is empty but ${HEAD_FILE} records event ${known.seq}: it was truncated or removed`,
        );
      // A new chain: a signed head at seq 0 first, so that a writer killed before its first head
      // update does not leave a log without a head (which an anchored trail refuses).
      if (!known)
        await writeHead(
          dir,
          signHead(this.#key, { seq: 0, mac: GENESIS_MAC, size: 0, file: LIVE_FILE, ino: '0', gen: 0 }),
        );
      return { seq: 0, mac: GENESIS_MAC, gen: known?.gen ?? 0, liveSize: size, liveExists };
    }
    const last = parseEventLine(lastLine);
    if (!last || !sameMac(eventMac(this.#key, last), last.mac)) {
      throw damaged('the last line of the audit log is not a valid event (wrong key, or the log was edited)');
    }
    if (known && (last.seq < known.seq || (last.seq === known.seq && !sameMac(last.mac, known.mac)))) {
      throw damaged(
        `the audit log ends at event ${last.seq} but ${HEAD_FILE} records event ${known.seq}: it was truncated or rolled back`,
      );
    }
    const gen = Math.max(known?.gen ?? 0, last.gen ?? 0);
    return { seq: last.seq, mac: last.mac, gen, liveSize: size, liveExists };
  }

  /**
   * The head to go by: a v2 head that verifies; a v1 head or none, unless the trail is anchored
   * (then either is a broken trail). An unreadable or forged head counts as none, likewise.
   */
  #trustedHead(read: Head | null | 'invalid'): Head | null {
    const anchored = this.#anchored();
    if (read === null) {
      if (anchored) throw damaged(`${HEAD_FILE} is missing`);
      return null;
    }
    if (read === 'invalid' || (read.v === 2 && !headVerifies(this.#key, read))) {
      if (anchored) throw damaged(`${HEAD_FILE} does not verify (edited, forged, or written with another key)`);
      return null;
    }
    if (read.v === 1 && anchored) throw damaged(`${HEAD_FILE} is not signed (written before heads were, or forged)`);
    return read;
  }
}

/** Opens (creating on first append) the audit log of a state folder. */
export function openAuditLog(stateDir: string, key: Redacted<Buffer>, opts?: AuditLogOptions): AuditLog {
  return new AuditLog(stateDir, key, opts);
}

/**
 * Rate limits held exact across processes without holding a lock while a secret is made.
 *
 * A use of a limited rule (rule × agent × account: one key) goes:
 *   1. reserve, under the key's lock `<state>/limits/<key>.lock`: the uses in the window (the
 *      audit log, this process's queued allows included) plus every live reservation of the key
 *      (`<key>.json`: each holder's reservation times) must be under the limit;
 *   2. produce the secret, outside any lock (an AWS session may wait an MFA step and call STS);
 *   3. commit, under the key's lock again: the allow event is appended (fsynced) and only then the
 *      lock released, so whoever counts under the lock sees the use exactly once: as a
 *      reservation, or as an event, never both, never neither. A failed produce drops the
 *      reservation without an allow event: it does not use up the limit.
 * A process holds the lock for a session: while it holds it, nobody else reserves or commits the
 * key, so its own reservations and queued events complete the count it read when it took the lock,
 * and every request of the process reserves and commits meanwhile without a file operation. The
 * reservation file is rewritten when the lock is released, to name exactly the reservations that
 * outlive the hold. A session ends when nothing is in flight (after a short wait for the commit of
 * a use it granted), after MAX_HOLD_MS, or when another process says it waits (`<key>.want`).
 *
 * A reservation whose holder died (same host, pid gone) or that is older than RESERVATION_MAX_MS
 * is not counted: a crash between reserve and commit never blocks a limit for long.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, lutimesSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { YIELD_MS, othersWaiting, sleep } from '../audit/lock.js';
import type { AuditLog } from '../audit/log.js';
import type { Clock } from '../core/clock.js';
import { ensureRealDir, O_NOFOLLOW, pidAlive } from '../core/fs.js';
import { TotpMcpError, isTotpMcpError } from '../core/errors.js';
import { acquireLock, tryLockSync, type Lock } from '../core/lock.js';
import type { UsageCounter } from '../policy/types.js';

export const LIMITS_DIR = 'limits';
/** A reservation older than this is not counted (a produce is bounded well below it). */
export const RESERVATION_MAX_MS = 15 * 60_000;

export interface LimitKey {
  readonly rule: string;
  readonly agent: string;
  readonly account: string;
}

export interface LimitSpec {
  readonly count: number;
  readonly per_seconds: number;
}

/** A granted reservation: `commit` records the use, `release` gives it back. Call one, once. */
export interface Reservation {
  readonly ok: true;
  /** Uses in the window before this one (reservations included). */
  readonly used: number;
  commit(record: () => Promise<void>): Promise<void>;
  release(): Promise<void>;
}

/** A refusal: the limit is used up; `usage` counts reservations as uses at their time. */
export interface Refusal {
  readonly ok: false;
  readonly usage: UsageCounter;
  readonly now: number;
}

interface Holder {
  pid: number;
  host: string;
  ts: number[];
}
/** As read: anything; only well-formed holders are counted. */
type ReservationFile = Record<string, Partial<Holder> | null | undefined>;

interface Granted {
  readonly ok: true;
  readonly used: number;
  readonly ts: number;
}
/** The round failed (the lock, the folder): the request fails closed. */
interface Failed {
  readonly ok: 'failed';
  readonly error: unknown;
}

type Op =
  | { kind: 'reserve'; spec: LimitSpec; done: (r: Granted | Refusal | Failed) => void }
  | { kind: 'commit'; ts: number; spec: LimitSpec; record: () => Promise<void>; done: (e: unknown) => void }
  | { kind: 'release'; ts: number; done: () => void };

/**
 * The file's entry naming the ledger that appended the key's latest allow events (written before
 * it appends them). While it names this ledger, nobody else has added a use of the key to the log
 * since this ledger last read it, so the usage index need not be read again. A string, so a holder
 * that knows nothing of it drops it when it rewrites the file (then the index is read).
 */
const LAST_KEY = '~last';

/** One hold of a key's lock: what was read when it was taken, and the commits still in flight. */
interface Session {
  readonly lock: Lock;
  readonly fd: number;
  readonly acquiredAt: number;
  readonly file: ReservationFile;
  size: number;
  /** The file names reservations of this ledger (then it is written at the end). */
  hadMine: boolean;
  /** Who appended the key's last allow events: `LAST_KEY` in the file. */
  last: string | null;
  /** Live reservations of other holders: they cannot change while the lock is held. */
  readonly others: number[];
  pending: number;
  lastActive: number;
  closing: boolean;
  wantCheckedAt: number;
  wake: (() => void) | null;
}

const HOST = hostname();
/** Longest a session holds a key's lock when others do not say they wait. */
const MAX_HOLD_MS = 100;
/**
 * How long a session with nothing in flight keeps the lock for the commit of a use it granted:
 * a code is made well within it, so its reservation is never written; a longer produce (an AWS
 * session) has its reservation written and the lock released after it.
 */
const LINGER_MS = 3;
/** A waiter polls a busy lock at most this far apart (ms, before jitter). */
const MAX_POLL_MS = 4;
/** A failed reservation file write is tried again this often, lock held, until it succeeds. */
const RETRY_MS = 50;

const isLockBusy = (e: unknown): boolean => isTotpMcpError(e) && e.reason === 'lock_timeout';

/** Touches `want` (creates it if missing): a holder that sees it newer than its hold steps aside. */
function announceWaiting(want: string): void {
  const now = new Date();
  try {
    lutimesSync(want, now, now);
  } catch {
    try {
      closeSync(openSync(want, constants.O_WRONLY | constants.O_CREAT | O_NOFOLLOW, 0o600));
      lutimesSync(want, now, now);
    } catch {
      // only fairness is lost
    }
  }
}

/**
 * One key's gate in this process. While it holds the key's lock (a session), its reservations and
 * commits need no file operation: nobody else can reserve or commit the key meanwhile, so what was
 * read when the lock was taken plus this ledger's own uses (its reservations, its queued audit
 * events) is the exact count. The reservation file is written once, when the lock is released,
 * and only when it must name this ledger's reservations (or stop naming them).
 */
class Gate {
  readonly #queue: Op[] = [];
  #running: Promise<void> | null = null;
  /** This ledger's reservations of the key (times): in the file whenever the lock is not held. */
  readonly #mine: number[] = [];
  #session: Session | null = null;
  readonly #lockPath: string;
  readonly #jsonPath: string;
  readonly #wantPath: string;

  constructor(
    readonly ledger: LimitLedger,
    readonly key: LimitKey,
    name: string,
  ) {
    this.#lockPath = join(ledger.dir, `${name}.lock`);
    this.#jsonPath = join(ledger.dir, `${name}.json`);
    this.#wantPath = join(ledger.dir, `${name}.want`);
  }

  push(op: Op): void {
    const s = this.#session;
    if (s !== null && !s.closing) {
      this.#handle(s, op);
      return;
    }
    this.#queue.push(op);
    this.#kick();
  }

  get idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  #kick(): void {
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let s: Session;
        try {
          s = await this.#open();
        } catch (e) {
          this.#failQueued(e);
          continue;
        }
        this.#session = s;
        for (;;) {
          for (const op of this.#queue.splice(0)) this.#handle(s, op);
          await this.#hold(s);
          s.closing = true;
          while (s.pending > 0) await this.#nap(s, RETRY_MS);
          // Released only once the file names every reservation that outlives the hold.
          if (this.#save(s, false)) break;
          s.closing = false;
          await sleep(RETRY_MS);
        }
        this.#session = null;
        closeSync(s.fd);
        await s.lock.release();
        if (this.#queue.length > 0 && othersWaiting(this.#wantPath, s.acquiredAt)) await sleep(YIELD_MS);
      }
    } finally {
      this.#running = null;
      if (this.#queue.length > 0) this.#kick();
    }
  }

  /** Takes the lock and reads what others hold; fails closed (the lock, the folder). */
  async #open(): Promise<Session> {
    const { clock } = this.ledger;
    await this.ledger.ready();
    const lock = tryLockSync(this.#lockPath) ?? (await this.#acquire());
    const acquiredAt = Date.now();
    let fd: number | undefined;
    try {
      fd = openSync(this.#jsonPath, constants.O_RDWR | constants.O_CREAT | O_NOFOLLOW, 0o600);
      const text = readFileSync(fd, 'utf8');
      const file = parseFile(text);
      const { owner } = this.ledger;
      const last = (file as Record<string, unknown>)[LAST_KEY];
      // Read again unless this ledger appended the key's last uses and has read the log since.
      if (last !== owner || this.ledger.base === null) await this.ledger.refresh();
      const ours = file[owner]?.ts;
      return {
        lock,
        fd,
        acquiredAt,
        file,
        size: Buffer.byteLength(text),
        hadMine: Array.isArray(ours) && ours.length > 0,
        last: typeof last === 'string' ? last : null,
        others: liveOthers(file, owner, clock.now()),
        pending: 0,
        closing: false,
        wantCheckedAt: acquiredAt,
        lastActive: Date.now(),
        wake: null,
      };
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      await lock.release();
      throw e;
    }
  }

  /** Waits for a busy lock, saying so (the holder then steps aside), as the audit writers do. */
  async #acquire(): Promise<Lock> {
    const deadline = Date.now() + 30_000;
    let delay = 1;
    for (;;) {
      announceWaiting(this.#wantPath);
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, MAX_POLL_MS);
      try {
        return await acquireLock(this.#lockPath, { timeoutMs: 0 });
      } catch (e) {
        if (!isLockBusy(e) || Date.now() >= deadline) throw e;
      }
    }
  }

  /**
   * Keeps the session while commits are in flight and briefly after the last operation (for the
   * commit of a use it granted, or the next request), up to MAX_HOLD_MS, or until another waiter
   * says so.
   */
  async #hold(s: Session): Promise<void> {
    for (;;) {
      const t = Date.now();
      const held = t - s.acquiredAt;
      if (held >= MAX_HOLD_MS) return;
      const quiet = t - s.lastActive;
      if (s.pending === 0 && quiet >= LINGER_MS) return;
      if (t - s.wantCheckedAt >= 1) {
        s.wantCheckedAt = t;
        if (othersWaiting(this.#wantPath, s.acquiredAt)) return;
      }
      await this.#nap(s, s.pending === 0 ? LINGER_MS - quiet : 2);
    }
  }

  /** Sleeps up to `ms`, or until an operation or a commit's end wakes the session. */
  #nap(s: Session, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done(): void {
        clearTimeout(timer);
        s.wake = null;
        resolve();
      }
      s.wake = done;
    });
  }

  /** Runs one operation under the held lock: no file operation. */
  #handle(s: Session, op: Op): void {
    const { rule, agent, account } = this.key;
    if (op.kind === 'release') {
      this.#drop(op.ts);
      op.done();
    } else if (op.kind === 'reserve') {
      const now = this.ledger.clock.now();
      const logged = this.ledger.countAt(now);
      const w = op.spec.per_seconds;
      const since = now - w * 1000;
      const used =
        logged(rule, agent, account, w) +
        s.others.filter((t) => t >= since).length +
        this.#mine.filter((t) => t >= since).length;
      if (used < op.spec.count) {
        this.#mine.push(now);
        op.done({ ok: true, used, ts: now });
      } else {
        // A snapshot: later operations change the reservations, not this refusal's counter.
        const snapshot = [...s.others, ...this.#mine];
        const frozen: UsageCounter = (r, a, acc, win) =>
          logged(r, a, acc, win) +
          (r === rule && a === agent && acc === account ? snapshot.filter((t) => t >= now - win * 1000).length : 0);
        op.done({ ok: false, usage: frozen, now });
      }
    } else {
      const { owner } = this.ledger;
      if (s.last !== owner) {
        // Others read the log again once the file says that this ledger appends uses.
        const was = s.last;
        s.last = owner;
        if (!this.#save(s)) {
          s.last = was;
          this.#drop(op.ts);
          op.done(new TotpMcpError('io', 'cannot write the rate limit reservations'));
          return;
        }
      }
      const logged = this.ledger.countAt(this.ledger.clock.now());
      const count = (): number => logged(rule, agent, account, op.spec.per_seconds);
      const before = count();
      let recorded: Promise<void>;
      try {
        recorded = op.record();
      } catch (e) {
        recorded = Promise.reject(e instanceof Error ? e : new Error('the use could not be recorded'));
      }
      // Once the audit log counts the queued event, the reservation would count the use twice.
      // If it does not (yet), the reservation stays until the event is written: never neither.
      const counted = count() === before + 1;
      if (counted) this.#drop(op.ts);
      s.pending++;
      void recorded
        .then(
          () => undefined,
          (e: unknown) => e ?? new Error('the use could not be recorded'),
        )
        .then((err) => {
          if (!counted) this.#drop(op.ts);
          s.pending--;
          s.lastActive = Date.now();
          op.done(err);
          s.wake?.();
        });
    }
    s.lastActive = Date.now();
    s.wake?.();
  }

  /** Writes this ledger's reservations into the file, if it must; false when that failed. */
  #save(s: Session, always = true): boolean {
    if (!always && !s.hadMine && this.#mine.length === 0) return true;
    const { owner } = this.ledger;
    const next: Record<string, unknown> = {};
    for (const [who, h] of Object.entries(s.file))
      if (who !== owner && Array.isArray(h?.ts) && h.ts.length > 0) next[who] = h;
    if (this.#mine.length > 0) next[owner] = { pid: process.pid, host: HOST, ts: [...this.#mine] };
    if (s.last !== null) next[LAST_KEY] = s.last;
    // Padded with spaces over the old content rather than truncated: truncating costs a metadata
    // update, and JSON ignores the trailing blanks.
    const json = JSON.stringify(next);
    const buf = Buffer.from(json.padEnd(Math.max(json.length, s.size), ' '));
    try {
      writeSync(s.fd, buf, 0, buf.length, 0);
    } catch {
      return false;
    }
    s.size = Math.max(s.size, buf.length);
    s.hadMine = this.#mine.length > 0;
    return true;
  }

  /** The lock could not be taken: every queued operation fails closed. */
  #failQueued(e: unknown): void {
    for (const op of this.#queue.splice(0)) {
      if (op.kind === 'reserve') op.done({ ok: 'failed', error: e });
      else {
        // Not committed: the request fails, and its reservation is not this ledger's any more
        // (the file keeps it until the next session writes it, which only delays others).
        this.#drop(op.ts);
        if (op.kind === 'commit') op.done(e);
        else op.done();
      }
    }
  }

  #drop(ts: number): void {
    const i = this.#mine.indexOf(ts);
    if (i >= 0) this.#mine.splice(i, 1);
  }
}

function parseFile(text: string): ReservationFile {
  if (text.trim() === '') return {};
  try {
    const o = JSON.parse(text) as unknown;
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as ReservationFile) : {};
  } catch {
    return {}; // written only under the lock, so never torn; anything else is not ours
  }
}

/** Reservation times of other holders that are still alive and recent. */
function liveOthers(file: ReservationFile, owner: string, now: number): number[] {
  const out: number[] = [];
  for (const [who, h] of Object.entries(file)) {
    if (who === owner || typeof h !== 'object' || h === null || !Array.isArray(h.ts)) continue;
    if (h.host === HOST && !(typeof h.pid === 'number' && pidAlive(h.pid))) continue;
    for (const t of h.ts) if (typeof t === 'number' && now - t < RESERVATION_MAX_MS) out.push(t);
  }
  return out;
}

/** The reservations of one audit log's writer (one per AgentService). */
export class LimitLedger {
  readonly dir: string;
  /** This ledger's name in the reservation files: pid and a nonce (two services may share a pid). */
  readonly owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  readonly #gates = new Map<string, Gate>();
  #ready: Promise<void> | null = null;
  /** The usage index's counter as of its last read by this ledger, and when that was. */
  base: { readonly logged: UsageCounter; readonly at: number } | null = null;

  constructor(
    stateDir: string,
    readonly audit: AuditLog,
    readonly clock: Clock,
  ) {
    this.dir = join(stateDir, LIMITS_DIR);
  }

  ready(): Promise<void> {
    this.#ready ??= ensureRealDir(this.dir, { levels: 2 }).catch((e: unknown) => {
      this.#ready = null;
      throw e;
    });
    return this.#ready;
  }

  /** Reads the log's new events into the usage index (under a key's lock: see LAST_KEY). */
  async refresh(): Promise<void> {
    const at = this.clock.now();
    this.base = { logged: await this.audit.usageCounter(at), at };
  }

  /**
   * Uses in the window up to `now`, from the index as last read plus this process's queued and
   * unread events: the counter counts from its own time, so the window is shifted to `now`.
   */
  countAt(now: number): UsageCounter {
    const base = this.base;
    if (base === null) throw new TotpMcpError('internal', 'the usage index was not read');
    const shift = (now - base.at) / 1000;
    return (r, a, acc, w) => base.logged(r, a, acc, w - shift);
  }

  /** Reserves one use of `key` under `spec`, or says the limit is used up. */
  async reserve(key: LimitKey, spec: LimitSpec): Promise<Reservation | Refusal> {
    const gate = this.#gate(key);
    const got = await new Promise<Granted | Refusal | Failed>((done) => {
      gate.push({ kind: 'reserve', spec, done });
    });
    if (got.ok === 'failed') throw got.error;
    if (!got.ok) return got;
    let settled = false;
    const once = (): void => {
      if (settled) throw new Error('a reservation is committed or released once');
      settled = true;
    };
    return {
      ok: true,
      used: got.used,
      commit: async (record) => {
        once();
        const e = await new Promise<unknown>((done) => {
          gate.push({ kind: 'commit', ts: got.ts, spec, record, done });
        });
        if (e !== undefined) throw e instanceof Error ? e : new Error('the use could not be recorded');
      },
      release: async () => {
        once();
        await new Promise<void>((done) => {
          gate.push({ kind: 'release', ts: got.ts, done });
        });
      },
    };
  }

  /** Waits until every queued reservation operation has run. */
  async idle(): Promise<void> {
    await Promise.all([...this.#gates.values()].map((g) => g.idle));
  }

  #gate(key: LimitKey): Gate {
    const name = createHash('sha256').update(`${key.rule}\0${key.agent}\0${key.account}`).digest('hex').slice(0, 32);
    let g = this.#gates.get(name);
    if (!g) {
      g = new Gate(this, key, name);
      this.#gates.set(name, g);
    }
    return g;
  }
}

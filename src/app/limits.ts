/**
 * Rate limits held exact across processes without holding a lock while a secret is made.
 *
 * A use of a limited rule (rule × agent × account: one key) goes:
 *   1. reserve, under the key's short lock `<state>/limits/<key>.lock`: the uses in the window
 *      (the audit log, this process's queued allows included) plus every live reservation of the
 *      key (`<key>.json`: each holder's reservation times) must be under the limit; the new
 *      reservation is written to `<key>.json` before the lock is released;
 *   2. produce the secret, outside any lock (an AWS session may wait an MFA step and call STS);
 *   3. commit, under the key's lock again: the allow event is appended (fsynced) and only then the
 *      reservation dropped, so whoever counts under the lock sees the use exactly once: as a
 *      reservation, or as an event, never both, never neither. A failed produce drops the
 *      reservation without an allow event: it does not use up the limit.
 * Every request for one key that waits in this process shares one lock hold (a round); the allow
 * events of a round's commits go out as one audit batch.
 *
 * A reservation whose holder died (same host, pid gone) or that is older than RESERVATION_MAX_MS
 * is not counted: a crash between reserve and commit never blocks a limit for long.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AuditLog } from '../audit/log.js';
import type { Clock } from '../core/clock.js';
import { ensureRealDir, O_NOFOLLOW, pidAlive } from '../core/fs.js';
import { acquireLock, tryLockSync } from '../core/lock.js';
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
  | { kind: 'commit'; ts: number; record: () => Promise<void>; done: (e: unknown) => void }
  | { kind: 'release'; ts: number; done: () => void };

const HOST = hostname();

/** One key's gate in this process: its queued operations and its own reservation times. */
class Gate {
  readonly #queue: Op[] = [];
  #running: Promise<void> | null = null;
  /** This ledger's reservations of the key (times), as written to the key's file. */
  readonly #mine: number[] = [];

  constructor(
    readonly ledger: LimitLedger,
    readonly key: LimitKey,
    readonly name: string,
  ) {}

  push(op: Op): void {
    this.#queue.push(op);
    this.#running ??= this.#run().finally(() => (this.#running = null));
  }

  get idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    // Let the rest of this turn's requests queue first: they share the round.
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const ops = this.#queue.splice(0);
      try {
        await this.#round(ops);
      } catch (e) {
        for (const op of ops) {
          if (op.kind === 'reserve') op.done({ ok: 'failed', error: e });
          else {
            // Not committed: the request fails, and its reservation is not this ledger's any more
            // (the file keeps it until the next round writes it, which only delays others).
            this.#drop(op.ts);
            if (op.kind === 'commit') op.done(e);
            else op.done();
          }
        }
      }
    }
  }

  async #round(ops: Op[]): Promise<void> {
    const { dir, audit, clock, owner } = this.ledger;
    await this.ledger.ready();
    const lockPath = join(dir, `${this.name}.lock`);
    // The hold is a few file operations on this thread (and, for commits, their audit batch).
    const lock = tryLockSync(lockPath) ?? (await acquireLock(lockPath));
    const settle: (() => void)[] = [];
    try {
      const fd = openSync(join(dir, `${this.name}.json`), constants.O_RDWR | constants.O_CREAT | O_NOFOLLOW, 0o600);
      try {
        const text = readFileSync(fd, 'utf8');
        const file = parseFile(text);
        let size = Buffer.byteLength(text);
        const save = (): void => {
          const next: ReservationFile = {};
          for (const [who, h] of Object.entries(file))
            if (who !== owner && Array.isArray(h?.ts) && h.ts.length > 0) next[who] = h;
          if (this.#mine.length > 0) next[owner] = { pid: process.pid, host: HOST, ts: [...this.#mine] };
          // Padded with spaces over the old content rather than truncated: truncating costs a
          // metadata update, and JSON ignores the trailing blanks.
          const json = JSON.stringify(next);
          const buf = Buffer.from(json.padEnd(Math.max(json.length, size), ' '));
          writeSync(fd, buf, 0, buf.length, 0);
          size = Math.max(size, buf.length);
        };
        const early: (() => void)[] = [];
        for (const op of ops) {
          if (op.kind !== 'release') continue;
          this.#drop(op.ts);
          early.push(() => {
            op.done();
          });
        }
        const reserves = ops.filter((o) => o.kind === 'reserve');
        if (reserves.length > 0) {
          const now = clock.now();
          const others = liveOthers(file, owner, now);
          const logged = await audit.usageCounter(now);
          const { rule, agent, account } = this.key;
          const held = (sinceMs: number): number =>
            others.filter((t) => t >= sinceMs).length + this.#mine.filter((t) => t >= sinceMs).length;
          const usage: UsageCounter = (r, a, acc, w) =>
            logged(r, a, acc, w) + (r === rule && a === agent && acc === account ? held(now - w * 1000) : 0);
          for (const op of reserves) {
            const used = usage(rule, agent, account, op.spec.per_seconds);
            if (used < op.spec.count) {
              this.#mine.push(now);
              early.push(() => {
                op.done({ ok: true, used, ts: now });
              });
            } else {
              // A snapshot: later rounds change the reservations, not this refusal's counter.
              const snapshot = [...others, ...this.#mine];
              const frozen: UsageCounter = (r, a, acc, w) =>
                logged(r, a, acc, w) +
                (r === rule && a === agent && acc === account ? snapshot.filter((t) => t >= now - w * 1000).length : 0);
              early.push(() => {
                op.done({ ok: false, usage: frozen, now });
              });
            }
          }
        }
        // New reservations are in the file before their requests go on: those requests make their
        // secrets while this round writes the commits' events (both under the lock).
        if (early.length > 0) save();
        for (const f of early) f();
        // Commits: their events are on disk before their reservations go.
        const commits = ops.filter((o) => o.kind === 'commit');
        if (commits.length > 0) {
          const results = await Promise.allSettled(commits.map((c) => c.record()));
          for (const [i, c] of commits.entries()) {
            this.#drop(c.ts);
            const r = results[i];
            settle.push(() => {
              c.done(r?.status === 'rejected' ? r.reason : undefined);
            });
          }
          save();
        }
      } finally {
        closeSync(fd);
      }
    } finally {
      await lock.release();
    }
    for (const s of settle) s();
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
          gate.push({ kind: 'commit', ts: got.ts, record, done });
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

/**
 * `totp-mcp audit verify`: walks the rotated files in chain order, then the live file, and checks
 * every line: it parses (`parse`), its seq is the previous one + 1 (`sequence`: catches deleted,
 * reordered and duplicated lines), its prev is the previous line's mac (`prev`), and its mac is
 * right for the key (`mac`: catches any edited field). A rotated file must end at the seq its
 * name says, a final line without its newline is torn, and the chain must reach the event recorded
 * in `audit.head` with the same mac (`truncated`). Stops at the FIRST bad line.
 *
 * The head is MAC'd (head.ts): a head that does not verify is reported `forged` and not used. A
 * missing or unsigned (v1) head is reported as such; whether that is acceptable depends on whether
 * the vault anchors this trail, which the app decides (app/trail.ts), with `anchor` below: the
 * event the vault last saw must still be in the log with the same MAC (when it was pruned away,
 * only its seq can be compared).
 */
import { HEX64 } from '../core/vocab.js';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TotpMcpError } from '../core/errors.js';
import { isEnoent, openNoFollow } from '../core/fs.js';
import type { Lock } from '../core/lock.js';
import type { Redacted } from '../core/redacted.js';
import { GENESIS_MAC, checkKey, eventMac, sameMac } from './canonical.js';
import { headVerifies } from './head.js';
import { readEvent } from './event.js';
import { acquireAuditLock } from './lock.js';
import { chainStart } from './retention.js';
import { LIVE_FILE, listLogFiles, readHead, readLines, readLinesFrom, type Head, type LogFile } from './files.js';

export type VerifyProblem = 'mac' | 'sequence' | 'parse' | 'truncated' | 'prev';

export interface VerifyFailure {
  /** The seq the bad line carries, when it has one (for `truncated` at the end: the first missing seq). */
  readonly seq?: number;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly file: string;
  readonly problem: VerifyProblem;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Events verified good, up to the first bad line. */
  readonly events: number;
  /** The files walked, in chain order. */
  readonly files: readonly string[];
  /** Seq of the last good event (0 when none). */
  readonly lastSeq: number;
  /** Its MAC (64 zeros when none); absent when the retained chain starts at a pruned event whose MAC is not on record. */
  readonly lastMac?: string;
  /**
   * `ok`: the chain reaches the head's event; `behind`: the log has events after it (a crash
   * between fsync and head update; harmless); `missing`/`invalid`: no usable head, so a cut tail
   * cannot be detected; `unsigned`: a v1 head (no MAC); `forged`: a head whose MAC is wrong.
   */
  readonly head: 'ok' | 'behind' | 'missing' | 'invalid' | 'unsigned' | 'forged';
  /** The head record when it verifies (or is a v1 head): its seq, mac and generation. */
  readonly headRecord?: { readonly seq: number; readonly mac: string; readonly gen: number };
  /** The highest vault generation an event (up to the first bad line) or the head records. */
  readonly maxGen: number;
  /** With `anchor`: `match` (that event is there, same MAC), `mismatch`, or `absent` (not on disk). */
  readonly anchor?: 'match' | 'mismatch' | 'absent';
  readonly firstBad?: VerifyFailure;
  /** Set when older events were pruned (retention.ts): the seq the retained chain starts at. */
  readonly startSeq?: number;
}

interface Shape {
  seq: number;
  prev: string;
  mac: string;
}

function shape(text: string): { obj: Record<string, unknown>; s: Shape } | { seq?: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const obj = raw as Record<string, unknown>;
  const { seq, prev, mac } = obj;
  const okSeq = typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1;
  if (
    !okSeq ||
    typeof prev !== 'string' ||
    !HEX64.test(prev) ||
    typeof mac !== 'string' ||
    !HEX64.test(mac) ||
    obj['v'] !== 1
  ) {
    return okSeq ? { seq } : {};
  }
  return { obj, s: { seq, prev, mac } };
}

export interface VerifyOptions {
  /** How long to wait for the writers' lock to take a consistent snapshot (default 10 s). */
  readonly lockTimeoutMs?: number;
  /** The event the vault last saw in this trail (app/trail.ts): is it there, with this MAC? */
  readonly anchor?: { readonly seq: number; readonly mac: string } | undefined;
}

interface Snapshot {
  files: LogFile[];
  head: Head | null | 'invalid';
  /** The live file, opened under the lock, and its size then. */
  live: { fh: FileHandle; size: number } | null;
}

/**
 * Under the writers' lock (briefly), reads the head, lists the files and opens the live file, so
 * that a batch being written meanwhile neither looks like a torn line nor outruns the head. If the
 * lock cannot be had (a read-only copy of the folder, a stuck writer), reads without it, in an
 * order that stays consistent: the head first (it never runs ahead of the files), then the list,
 * again if the live file was rotated away between listing and opening it.
 */
async function snapshot(stateDir: string, lockTimeoutMs: number): Promise<Snapshot> {
  let lock: Lock | undefined;
  try {
    lock = (await acquireAuditLock(stateDir, lockTimeoutMs)).lock;
  } catch {
    lock = undefined;
  }
  try {
    const head = await readHead(stateDir);
    for (let attempt = 0; ; attempt++) {
      const files = await listLogFiles(stateDir);
      if (files.at(-1)?.name !== LIVE_FILE) return { files, head, live: null };
      let fh: FileHandle;
      try {
        fh = await openNoFollow(join(stateDir, LIVE_FILE), constants.O_RDONLY);
      } catch (e) {
        if (!isEnoent(e) || attempt >= 5) throw e;
        continue;
      }
      const size = (await fh.stat()).size;
      // Unlocked, a rotation may have slipped in between: then the list is stale; list again.
      const again = lock ? files : await listLogFiles(stateDir);
      if (again.length === files.length && again.every((f, i) => f.name === files[i]?.name))
        return { files, head, live: { fh, size } };
      await fh.close();
      if (attempt >= 5) throw new TotpMcpError('io', 'the audit log keeps rotating while it is read; try again');
    }
  } finally {
    await lock?.release();
  }
}

export async function verifyAudit(
  stateDir: string,
  key: Redacted<Buffer>,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  checkKey(key);
  const snap = await snapshot(stateDir, opts.lockTimeoutMs ?? 10_000);
  try {
    return await verifySnapshot(stateDir, key, snap, opts.anchor);
  } finally {
    await snap.live?.fh.close();
  }
}

async function verifySnapshot(
  stateDir: string,
  key: Redacted<Buffer>,
  snap: Snapshot,
  anchor: VerifyOptions['anchor'],
): Promise<VerifyReport> {
  const { files, head: headRead, live } = snap;
  const forged = headRead !== null && headRead !== 'invalid' && headRead.v === 2 && !headVerifies(key, headRead);
  const head = headRead === null || headRead === 'invalid' || forged ? undefined : headRead;
  let maxGen = head?.gen ?? 0;
  let anchorSeen: 'match' | 'mismatch' | 'absent' = 'absent';
  const names = files.map((f) => f.name);
  // After retention pruned the oldest files, the chain starts where `audit.pruned` says.
  const start = await chainStart(stateDir, key, files);
  let expected = start?.seq ?? 1;
  let prev: string | undefined = start === undefined ? GENESIS_MAC : start.prev;
  let events = 0;
  let headSeen: { line: number; file: string; same: boolean } | undefined;
  let lastFile: string = LIVE_FILE;
  let lastLineNo = 0;

  const report = (firstBad?: VerifyFailure, headState?: VerifyReport['head']): VerifyReport => ({
    ok: firstBad === undefined,
    events,
    files: names,
    lastSeq: expected - 1,
    ...(prev === undefined ? {} : { lastMac: prev }),
    head: forged
      ? 'forged'
      : head?.v === 1
        ? 'unsigned'
        : (headState ?? (headRead === null ? 'missing' : headRead === 'invalid' ? 'invalid' : 'ok')),
    ...(head ? { headRecord: { seq: head.seq, mac: head.mac, gen: head.gen } } : {}),
    maxGen,
    ...(anchor ? { anchor: anchorSeen } : {}),
    ...(firstBad ? { firstBad } : {}),
    ...(start?.pruned ? { startSeq: start.seq } : {}),
  });

  for (const f of files) {
    let lineNo = 0;
    lastFile = f.name;
    const lines =
      f.name === LIVE_FILE && live ? readLinesFrom(live.fh, 0, live.size) : readLines(join(stateDir, f.name));
    for await (const line of lines) {
      lineNo++;
      const bad = (problem: VerifyProblem, seq?: number): VerifyReport =>
        report({ ...(seq === undefined ? {} : { seq }), line: lineNo, file: f.name, problem });
      const parsed = shape(line.text);
      if (!line.complete) return bad('truncated', 's' in parsed ? parsed.s.seq : parsed.seq);
      if (!('s' in parsed)) return bad('parse', parsed.seq);
      const { obj, s } = parsed;
      if (s.seq !== expected) return bad('sequence', s.seq);
      if (prev !== undefined && s.prev !== prev) return bad('prev', s.seq);
      if (!sameMac(eventMac(key, obj), s.mac)) return bad('mac', s.seq);
      if (readEvent(obj) === undefined) return bad('parse', s.seq);
      if (head && s.seq === head.seq) headSeen = { line: lineNo, file: f.name, same: sameMac(s.mac, head.mac) };
      if (anchor && s.seq === anchor.seq) anchorSeen = sameMac(s.mac, anchor.mac) ? 'match' : 'mismatch';
      const gen = obj['gen'];
      if (typeof gen === 'number' && gen > maxGen) maxGen = gen;
      events++;
      expected++;
      prev = s.mac;
    }
    lastLineNo = lineNo;
    if (f.last !== undefined && expected - 1 < f.last) {
      return report({ seq: expected, line: lineNo + 1, file: f.name, problem: 'truncated' });
    }
  }

  if (head) {
    if (expected - 1 < head.seq)
      return report({ seq: expected, line: lastLineNo + 1, file: lastFile, problem: 'truncated' });
    if (headSeen && !headSeen.same)
      return report({ seq: head.seq, line: headSeen.line, file: headSeen.file, problem: 'truncated' });
    return report(undefined, expected - 1 > head.seq ? 'behind' : 'ok');
  }
  return report();
}

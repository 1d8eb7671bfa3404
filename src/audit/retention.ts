/**
 * Retention of rotated audit files, and where a reader may start in the chain.
 *
 * Pruning (`pruneRotated`, run by a writer under the audit lock after it rotated) deletes the
 * oldest rotated files beyond a count and a size, always keeping the newest rotated file, and
 * NEVER a file that may hold an event inside `protectMs` (the longest window any limit or
 * `max_calls` of the policy counts over, plus a margin for clocks of concurrent writers): a
 * flood of events cannot push a counted use out of the log, so it cannot reset a limit.
 *
 * Before deleting, it writes `audit.pruned` = {v, seq, last_mac, tag}: the last event pruned and
 * its mac, tagged with the audit key. `audit verify` then starts the chain at seq + 1, checks that
 * the first retained event links to `last_mac`, and says where the retained chain starts; a file
 * deleted by hand (no record, or one that does not match) is still reported as a broken chain.
 *
 * `startAfter` is the usage index's way in: the newest rotated file whose last event is older
 * than a time, found by reading the last line of each newer file, newest first (O(1) per file).
 * It is derived from the files themselves, so there is no separate index to go stale or to be
 * edited into skipping events: a last line that does not parse counts as recent.
 */
import { HEX64 } from '../core/vocab.js';
import { createHmac } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isEnoent, readOrNull, writeFileAtomic } from '../core/fs.js';
import type { Redacted } from '../core/redacted.js';
import { GENESIS_MAC, canonicalJson, sameMac } from './canonical.js';
import { listLogFiles, readLines, scanTail, sizeOf, type LogFile } from './files.js';
import { summaryName } from './usage-summary.js';

export const PRUNED_FILE = 'audit.pruned';
/** Default retention: rotated files kept at most (beyond what limits still count). */
const DEFAULT_KEEP_FILES = 20;
/** Default retention: bytes of rotated files kept at most (beyond what limits still count). */
const DEFAULT_KEEP_BYTES = 200 * 1024 * 1024;
/**
 * Events of concurrent writers are stamped by their own clocks and may be a little out of order
 * along the chain; a file is judged by its last event with this much to spare.
 */
export const CLOCK_MARGIN_MS = 10 * 60_000;

export interface RetentionOptions {
  /** Rotated files kept at most (at least 1). */
  readonly keepFiles?: number;
  /** Bytes of rotated files kept at most. */
  readonly keepBytes?: number;
  /** The longest window anything counts over (ms); undefined: unknown, nothing is pruned. */
  readonly protectMs: () => number | undefined;
}

interface LastEvent {
  readonly seq: number;
  readonly tsMs: number;
  readonly mac: string;
}

/** The last complete event of a file (seq, time, mac), or undefined when it does not parse. */
async function lastEventOf(path: string): Promise<LastEvent | undefined> {
  const scan = await scanTail(path);
  if (scan?.lastLine === undefined) return undefined;
  try {
    const o = JSON.parse(scan.lastLine) as Record<string, unknown>;
    const { seq, ts, mac } = o;
    if (
      typeof seq !== 'number' ||
      !Number.isSafeInteger(seq) ||
      typeof ts !== 'string' ||
      typeof mac !== 'string' ||
      !HEX64.test(mac)
    )
      return undefined;
    const tsMs = Date.parse(ts);
    return Number.isNaN(tsMs) ? undefined : { seq, tsMs, mac };
  } catch {
    return undefined;
  }
}

/**
 * The seq after which a reader counting events at or after `sinceMs` may start: the last seq of
 * the newest rotated file whose last event is older than `sinceMs - CLOCK_MARGIN_MS`; 0 when none.
 */
export async function startAfter(stateDir: string, sinceMs: number): Promise<number> {
  const rotated = (await listLogFiles(stateDir)).filter((f) => f.last !== undefined);
  for (let i = rotated.length - 1; i >= 0; i--) {
    const f = rotated[i] as LogFile;
    const last = await lastEventOf(join(stateDir, f.name));
    if (last !== undefined && last.seq === f.last && last.tsMs < sinceMs - CLOCK_MARGIN_MS) return last.seq;
  }
  return 0;
}

export interface PrunedRecord {
  /** The last event pruned. */
  readonly seq: number;
  /** Its mac: the `prev` of the first event kept. */
  readonly last_mac: string;
}

/** HMAC with the audit key; the prefix keeps it apart from any event's MAC (canonical JSON). */
const tagOf = (key: Redacted<Buffer>, r: PrunedRecord): string =>
  createHmac('sha256', key.reveal())
    .update(`totp-mcp audit.pruned v1\n${canonicalJson({ seq: r.seq, last_mac: r.last_mac })}`)
    .digest('hex');

/** The pruning record: null when absent, 'invalid' when unreadable or its tag is wrong. */
async function readPruned(stateDir: string, key: Redacted<Buffer>): Promise<PrunedRecord | null | 'invalid'> {
  const bytes = await readOrNull(join(stateDir, PRUNED_FILE), { link: 'refuse' });
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const { seq, last_mac, tag } = o;
    if (
      o['v'] !== 1 ||
      typeof seq !== 'number' ||
      !Number.isSafeInteger(seq) ||
      seq < 1 ||
      typeof last_mac !== 'string' ||
      !HEX64.test(last_mac) ||
      typeof tag !== 'string'
    ) {
      return 'invalid';
    }
    const r = { seq, last_mac };
    return sameMac(tagOf(key, r), tag) ? r : 'invalid';
  } catch {
    return 'invalid';
  }
}

async function writePruned(stateDir: string, key: Redacted<Buffer>, r: PrunedRecord): Promise<void> {
  const text = JSON.stringify({ v: 1, seq: r.seq, last_mac: r.last_mac, tag: tagOf(key, r) }) + '\n';
  await writeFileAtomic(join(stateDir, PRUNED_FILE), text, { overwrite: true });
}

/**
 * Under the audit lock: deletes the oldest rotated files beyond the retention, never one that may
 * hold an event within `protectMs` of `nowMs`. Returns the names deleted.
 */
export async function pruneRotated(
  stateDir: string,
  key: Redacted<Buffer>,
  opts: RetentionOptions,
  nowMs: number,
): Promise<string[]> {
  const protectMs = opts.protectMs();
  if (protectMs === undefined || !Number.isFinite(protectMs)) return [];
  const keepFiles = Math.max(1, opts.keepFiles ?? DEFAULT_KEEP_FILES);
  const keepBytes = opts.keepBytes ?? DEFAULT_KEEP_BYTES;
  const rotated = (await listLogFiles(stateDir)).filter((f) => f.last !== undefined);
  if (rotated.length <= 1) return [];
  // Newest first: once the count or the size is over, everything older may go.
  let bytes = 0;
  let cut = 0; // files [0, cut) are over the retention
  for (let i = rotated.length - 1; i >= 0; i--) {
    const f = rotated[i] as LogFile;
    bytes += (await sizeOf(join(stateDir, f.name)))?.size ?? 0;
    const kept = rotated.length - i;
    if (kept > 1 && (kept > keepFiles || bytes > keepBytes)) {
      cut = i + 1;
      break;
    }
  }
  // Only a prefix of the chain may go, and only files wholly older than the protected window.
  let last: LastEvent | undefined;
  while (cut > 0) {
    const f = rotated[cut - 1] as LogFile;
    last = await lastEventOf(join(stateDir, f.name));
    if (last !== undefined && last.seq === f.last && last.tsMs < nowMs - protectMs - CLOCK_MARGIN_MS) break;
    cut--;
  }
  if (cut === 0 || last === undefined) return [];
  await writePruned(stateDir, key, { seq: last.seq, last_mac: last.mac });
  const gone: string[] = [];
  for (const f of rotated.slice(0, cut)) {
    try {
      await unlink(join(stateDir, f.name));
      gone.push(f.name);
      await unlink(join(stateDir, summaryName(f.name))).catch(() => undefined);
    } catch (e) {
      if (!isEnoent(e)) break; // the rest stays; the chain is still contiguous
    }
  }
  return gone;
}

export interface ChainStart {
  /** The seq of the first event the files hold. */
  readonly seq: number;
  /**
   * The `prev` that event must carry; undefined after a pruning cut short (the record is written
   * first, then files are deleted oldest first): the next pruning finishes it.
   */
  readonly prev: string | undefined;
  /** Events before `seq` were pruned (and `audit.pruned` vouches for it). */
  readonly pruned: boolean;
}

/**
 * Where the retained chain starts: at 1 from the genesis mac, or after the pruned events the
 * record names. A first file that starts later without a matching record: undefined (the verifier
 * reports the missing events).
 */
export async function chainStart(
  stateDir: string,
  key: Redacted<Buffer>,
  files: readonly LogFile[],
): Promise<ChainStart | undefined> {
  const first = files[0];
  const genesis: ChainStart = { seq: 1, prev: GENESIS_MAC, pruned: false };
  if (first === undefined) return genesis;
  let firstSeq: number | undefined = first.first;
  if (firstSeq === undefined) {
    // Only the live file: its first line says where it starts.
    for await (const line of readLines(join(stateDir, first.name))) {
      try {
        const s = (JSON.parse(line.text) as { seq?: unknown }).seq;
        if (typeof s === 'number') firstSeq = s;
      } catch {
        // the verifier reports it
      }
      break;
    }
  }
  if (firstSeq === undefined || firstSeq <= 1) return genesis;
  const rec = await readPruned(stateDir, key);
  if (rec === null || rec === 'invalid' || rec.seq + 1 < firstSeq) return undefined;
  return { seq: firstSeq, prev: rec.seq + 1 === firstSeq ? rec.last_mac : undefined, pruned: true };
}

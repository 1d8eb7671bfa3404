/**
 * The files of the audit log in `<state>/`:
 *   audit.log                          the live file, appended to
 *   audit.<first>-<last>.log           rotated files, seq numbers zero-padded to 12 digits, so that
 *                                      names sort in chain order
 *   audit.head                         {v, seq, mac, size, file, ino, gen, hmac}: the chain's last
 *                                      event as of the end of the last writer's session, and the size
 *                                      and inode of the file holding it (the inode tells a new live
 *                                      file that happens to have the same size from the one the head
 *                                      meant), the highest vault generation the chain has recorded,
 *                                      and a MAC with the audit key (head.ts). v1 heads (before the
 *                                      MAC) have neither gen nor hmac; a fresh chain starts with a
 *                                      v2 head at seq 0.
 *   audit.lock                         the cross-process writer lock (core/lock.ts)
 *   audit.want                         its mtime: when a writer last waited for the lock
 */
import { HEX64 } from '../core/vocab.js';
import { constants } from 'node:fs';
import { lstat, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TotpMcpError, isTotpMcpError } from '../core/errors.js';
import { isEnoent, lstatNoLink, openNoFollow, readOrNull, symlinkError, writeFileAtomic } from '../core/fs.js';

export const LIVE_FILE = 'audit.log';
export const HEAD_FILE = 'audit.head';
export const LOCK_FILE = 'audit.lock';
/** Touched by a writer waiting for the lock, so that a busy holder steps aside (log.ts). */
export const WANT_FILE = 'audit.want';
const HEAD_TMP = 'audit.head.tmp';
const ROTATED = /^audit\.(\d{12})-(\d{12})\.log$/;

const pad = (n: number): string => String(n).padStart(12, '0');
export const rotatedName = (first: number, last: number): string => `audit.${pad(first)}-${pad(last)}.log`;

export interface LogFile {
  readonly name: string;
  /** From the name, for rotated files. */
  readonly first?: number;
  readonly last?: number;
}

export const isLogFileName = (name: string): boolean => name === LIVE_FILE || ROTATED.test(name);

/** Rotated files in chain order, then the live file if it exists. */
export async function listLogFiles(dir: string): Promise<LogFile[]> {
  let names: string[];
  try {
    await lstatNoLink(dir); // a linked state/ is refused, never listed
    names = await readdir(dir);
  } catch (e) {
    if (isEnoent(e)) return [];
    if (isTotpMcpError(e)) throw e;
    throw new TotpMcpError('io', `cannot read the audit folder ${dir}`, { cause: e });
  }
  const rotated: LogFile[] = [];
  let live = false;
  for (const name of names) {
    if (name === LIVE_FILE) live = true;
    const m = ROTATED.exec(name);
    if (m) rotated.push({ name, first: Number(m[1]), last: Number(m[2]) });
  }
  rotated.sort((a, b) => (a.first ?? 0) - (b.first ?? 0) || (a.last ?? 0) - (b.last ?? 0));
  return live ? [...rotated, { name: LIVE_FILE }] : rotated;
}

export interface Head {
  /** 1: written before heads were MAC'd (no gen, no hmac); 2: MAC'd. */
  readonly v: 1 | 2;
  readonly seq: number;
  readonly mac: string;
  /** Size of `file` after the event `seq` was written. */
  readonly size: number;
  /** The file that holds event `seq`: the live file, or the rotated file it became. */
  readonly file: string;
  /** That file's inode number, in decimal (a rename keeps it). */
  readonly ino: string;
  /** The highest vault generation recorded in the chain (0 in a v1 head). */
  readonly gen: number;
  /** HMAC of the other fields with the audit key (head.ts); null in a v1 head. */
  readonly hmac: string | null;
}

/** The head record; `null` when absent, `'invalid'` when present but unreadable. */
export async function readHead(dir: string): Promise<Head | null | 'invalid'> {
  const bytes = await readOrNull(join(dir, HEAD_FILE), { link: 'refuse' });
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  try {
    const h = JSON.parse(text) as Record<string, unknown>;
    const { v, seq, mac, size, file, ino, gen, hmac } = h;
    // v2 may be the genesis head of a fresh chain: seq 0 in an empty file.
    const min = v === 2 ? 0 : 1;
    if (
      (v === 1 || v === 2) &&
      typeof seq === 'number' &&
      Number.isSafeInteger(seq) &&
      seq >= min &&
      typeof mac === 'string' &&
      HEX64.test(mac) &&
      typeof size === 'number' &&
      Number.isSafeInteger(size) &&
      size >= min &&
      typeof file === 'string' &&
      isLogFileName(file) &&
      typeof ino === 'string' &&
      /^\d{1,24}$/.test(ino)
    ) {
      if (v === 1) return { v, seq, mac, size, file, ino, gen: 0, hmac: null };
      if (
        typeof gen === 'number' &&
        Number.isSafeInteger(gen) &&
        gen >= 0 &&
        typeof hmac === 'string' &&
        HEX64.test(hmac)
      ) {
        return { v, seq, mac, size, file, ino, gen, hmac };
      }
    }
  } catch {
    // fall through
  }
  return 'invalid';
}

/** Replaces the head atomically (tmp + rename). Not fsynced: a lost head is recovered from the log. */
export async function writeHead(dir: string, head: Head): Promise<void> {
  const { v, seq, mac, size, file, ino, gen, hmac } = head;
  const text =
    JSON.stringify(v === 1 ? { v, seq, mac, size, file, ino } : { v, seq, mac, size, file, ino, gen, hmac }) + '\n';
  await writeFileAtomic(join(dir, HEAD_FILE), text, { overwrite: true, durable: false });
}

export interface FileId {
  readonly size: number;
  /** Inode number in decimal (exact: read as a bigint). */
  readonly ino: string;
}

/** Size and inode of a file; null when it does not exist. */
export async function sizeOf(path: string): Promise<FileId | null> {
  try {
    const st = await lstat(path, { bigint: true });
    if (st.isSymbolicLink()) throw symlinkError(path);
    return { size: Number(st.size), ino: st.ino.toString() };
  } catch (e) {
    if (isEnoent(e)) return null;
    if (isTotpMcpError(e)) throw e;
    throw new TotpMcpError('io', `cannot stat ${path}`, { cause: e });
  }
}

/** Longest line a reader will hold; the writer's lines are well under 2 KiB. */
const MAX_LINE_BYTES = 1024 * 1024;
const CHUNK = 1024 * 1024;

export interface Line {
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  readonly text: string;
  /** False only for the bytes after the last newline (a line still being written, or torn). */
  readonly complete: boolean;
  /** Byte offset just past this line's newline (for a complete line). */
  readonly next: number;
}

/**
 * The lines of a file from byte `start` up to `end` (default: its size when opened), read in
 * chunks. A line that outgrows MAX_LINE_BYTES (at most twice that is held) is returned cut short
 * to its first 256 bytes (it is garbage anyway).
 */
export async function* readLines(path: string, start = 0, end?: number): AsyncGenerator<Line> {
  let fh;
  try {
    fh = await openNoFollow(path, constants.O_RDONLY);
  } catch (e) {
    if (isEnoent(e)) return;
    if (isTotpMcpError(e)) throw e;
    throw new TotpMcpError('io', `cannot open ${path}`, { cause: e });
  }
  try {
    yield* readLinesFrom(fh, start, end ?? (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

/** As `readLines`, from an open file, between byte offsets `start` and `end`. */
export async function* readLinesFrom(fh: FileHandle, start: number, end: number): AsyncGenerator<Line> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = start;
  /** Bytes after the last newline seen, starting at file offset `pendingAt`. */
  let pending: Buffer = Buffer.alloc(0);
  let pendingAt = start;
  /** While skipping a monster line: its offset and first bytes. */
  let monster: { offset: number; head: string } | null = null;
  while (pos < end) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, end - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const data: Buffer = pending.length
      ? Buffer.concat([pending, buf.subarray(0, bytesRead)])
      : Buffer.from(buf.subarray(0, bytesRead));
    const dataAt = pendingAt;
    let from = 0;
    if (monster) {
      const nl = data.indexOf(0x0a);
      if (nl === -1) {
        pending = Buffer.alloc(0);
        pendingAt = dataAt + data.length;
        continue;
      }
      yield { offset: monster.offset, text: monster.head, complete: true, next: dataAt + nl + 1 };
      monster = null;
      from = nl + 1;
    }
    for (let nl = data.indexOf(0x0a, from); nl !== -1; nl = data.indexOf(0x0a, from)) {
      yield { offset: dataAt + from, text: data.toString('utf8', from, nl), complete: true, next: dataAt + nl + 1 };
      from = nl + 1;
    }
    pending = data.subarray(from);
    pendingAt = dataAt + from;
    if (pending.length > MAX_LINE_BYTES) {
      monster = { offset: pendingAt, head: pending.toString('utf8', 0, 256) };
      pendingAt += pending.length;
      pending = Buffer.alloc(0);
    }
  }
  if (monster) yield { offset: monster.offset, text: monster.head, complete: false, next: pendingAt };
  else if (pending.length)
    yield { offset: pendingAt, text: pending.toString('utf8'), complete: false, next: pendingAt + pending.length };
}

export interface TailScan {
  readonly size: number;
  /** Offset just past the last newline: everything after it is a torn line. */
  readonly completeEnd: number;
  /** The last complete line, without its newline. */
  readonly lastLine?: string;
}

/** Finds the last complete line of a file by reading backwards from its end (O(line length)). */
export async function scanTail(path: string): Promise<TailScan | null> {
  let fh;
  try {
    fh = await openNoFollow(path, constants.O_RDONLY);
  } catch (e) {
    if (isEnoent(e)) return null;
    if (isTotpMcpError(e)) throw e;
    throw new TotpMcpError('io', `cannot open ${path}`, { cause: e });
  }
  try {
    const size = (await fh.stat()).size;
    const STEP = 64 * 1024;
    let data = Buffer.alloc(0);
    let from = size;
    let lastNl = -1; // absolute offset of the last newline
    while (from > 0) {
      const len = Math.min(STEP, from);
      from -= len;
      const chunk = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(chunk, 0, len, from);
      data = Buffer.concat([chunk.subarray(0, bytesRead), data]);
      if (lastNl === -1) {
        const i = data.lastIndexOf(0x0a);
        if (i !== -1) lastNl = from + i;
      }
      if (lastNl !== -1) {
        const rel = lastNl - from;
        const prevNl = rel > 0 ? data.lastIndexOf(0x0a, rel - 1) : -1;
        if (prevNl !== -1 || from === 0) {
          const lastLine = data.toString('utf8', prevNl + 1, rel);
          return { size, completeEnd: lastNl + 1, lastLine };
        }
        if (size - from > MAX_LINE_BYTES) {
          return { size, completeEnd: lastNl + 1, lastLine: data.toString('utf8', 0, Math.min(rel, 256)) };
        }
      } else if (size - from > MAX_LINE_BYTES) {
        // No newline in the last MiB: all of it is one torn line; keep scanning for its start.
        data = Buffer.alloc(0);
      }
    }
    return { size, completeEnd: lastNl + 1 };
  } finally {
    await fh.close();
  }
}

/**
 * Refuses a state folder whose audit files (or lock files) are links, naming the first one: the
 * writer checks once before it writes anything (the opens themselves never follow a link either).
 */
export async function refuseLinkedMembers(dir: string): Promise<void> {
  for (const name of [LIVE_FILE, HEAD_FILE, HEAD_TMP, LOCK_FILE, `${LOCK_FILE}.break`, WANT_FILE])
    await lstatNoLink(join(dir, name));
}

/**
 * Incremental reading of the chain: a `Tailer` remembers the live file's inode and the offset just
 * past the last complete line it read, so each `poll` reads only bytes appended since. When the
 * live file has been rotated (its inode changed, it vanished or it shrank), it catches up through
 * the rotated files whose names say they hold later events, then reads the new live file from its
 * start; events it has already seen are skipped by seq, so a rotation racing a poll neither loses
 * nor repeats an event. A torn last line is never consumed: it is read again once complete (or is
 * cut away by the next writer).
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TotpMcpError, isTotpMcpError } from '../core/errors.js';
import { isEnoent, openNoFollow } from '../core/fs.js';
import { LIVE_FILE, listLogFiles, readLines, readLinesFrom, scanTail, type LogFile } from './files.js';

export type TailStart =
  { readonly from: 'beginning' } | { readonly from: 'end' } | { readonly from: 'after'; readonly seq: number };

/** Reads a line into T, or undefined to skip it. T must carry the event's seq. */
export type LineParser<T extends { readonly seq: number }> = (line: string) => T | undefined;

/**
 * Optional stand-in for reading a whole rotated file (the usage index's summaries): `read` may
 * return the file's entries without reading it; after a rotated file was read line by line from
 * its start, `wasRead` gets its entries and size (complete lines only).
 */
export interface RotatedHook<T> {
  read(file: LogFile): Promise<{ entries: T[]; lastSeq: number; bytes: number } | undefined>;
  wasRead(file: LogFile, entries: readonly T[], size: number): void;
}

/** Most bytes one poll reads from the live file; the rest waits for the next poll. */
const MAX_POLL_BYTES = 16 * 1024 * 1024;

export class Tailer<T extends { readonly seq: number }> {
  readonly #dir: string;
  readonly #parse: LineParser<T>;
  #start: TailStart | null;
  #ino: number | null = null;
  #offset = 0;
  /** Highest seq returned so far. */
  lastSeq = 0;
  /** Bytes of log read so far (for tests: a poll reads only what is new). */
  bytesRead = 0;

  readonly #rotated: RotatedHook<T> | undefined;

  constructor(dir: string, parse: LineParser<T>, start: TailStart = { from: 'beginning' }, rotated?: RotatedHook<T>) {
    this.#dir = dir;
    this.#parse = parse;
    this.#start = start;
    this.#rotated = rotated;
  }

  /** Events appended since the last poll, in chain order. */
  async poll(): Promise<T[]> {
    if (this.#start) await this.#init(this.#start);
    const out: T[] = [];
    let fh: FileHandle | null = null;
    try {
      fh = await openNoFollow(join(this.#dir, LIVE_FILE), constants.O_RDONLY);
    } catch (e) {
      if (!isEnoent(e)) throw isTotpMcpError(e) ? e : new TotpMcpError('io', 'cannot open the audit log', { cause: e });
    }
    try {
      const st = fh ? await fh.stat() : null;
      if (fh && st && st.ino === this.#ino && st.size >= this.#offset) {
        await this.#read(fh, this.#offset, Math.min(st.size, this.#offset + MAX_POLL_BYTES), out, false);
        return out;
      }
      // The live file is new: finish the rotated files first, then read it from the start.
      for (const f of await listLogFiles(this.#dir)) {
        if (f.last === undefined || f.last <= this.lastSeq) continue;
        const hook = this.#rotated;
        const whole = hook !== undefined && f.first !== undefined && f.first > this.lastSeq;
        const stand = whole ? await hook.read(f) : undefined;
        if (stand) {
          this.bytesRead += stand.bytes;
          for (const e of stand.entries) out.push(e);
          this.lastSeq = Math.max(this.lastSeq, stand.lastSeq);
          continue;
        }
        const read: T[] = [];
        let size = 0;
        let torn = false;
        for await (const line of readLines(join(this.#dir, f.name))) {
          this.bytesRead = this.bytesRead + line.next - line.offset;
          if (!line.complete) {
            torn = true;
            continue;
          }
          size = line.next;
          const e = this.#parse(line.text);
          if (e && e.seq > this.lastSeq) {
            out.push(e);
            read.push(e);
            this.lastSeq = e.seq;
          }
        }
        if (whole && !torn) hook.wasRead(f, read, size);
      }
      if (fh && st) {
        this.#ino = st.ino;
        this.#offset = 0;
        await this.#read(fh, 0, Math.min(st.size, MAX_POLL_BYTES), out, true);
      } else {
        this.#ino = null;
        this.#offset = 0;
      }
      return out;
    } finally {
      await fh?.close();
    }
  }

  async #read(fh: FileHandle, start: number, end: number, out: T[], skipSeen: boolean): Promise<void> {
    for await (const line of readLinesFrom(fh, start, end)) {
      this.bytesRead = this.bytesRead + line.next - line.offset;
      if (!line.complete) break;
      this.#offset = line.next;
      const e = this.#parse(line.text);
      if (!e || (skipSeen && e.seq <= this.lastSeq)) continue;
      out.push(e);
      if (e.seq > this.lastSeq) this.lastSeq = e.seq;
    }
  }

  async #init(start: TailStart): Promise<void> {
    this.#start = null;
    if (start.from === 'beginning') return;
    if (start.from === 'after') {
      this.lastSeq = start.seq;
      return;
    }
    // From the end: remember where the live file ends now, and the seq of its last event.
    let fh: FileHandle | null = null;
    try {
      fh = await openNoFollow(join(this.#dir, LIVE_FILE), constants.O_RDONLY);
    } catch (e) {
      if (!isEnoent(e)) throw isTotpMcpError(e) ? e : new TotpMcpError('io', 'cannot open the audit log', { cause: e });
    }
    const rotated = (await listLogFiles(this.#dir)).filter((f) => f.last !== undefined).at(-1);
    this.lastSeq = rotated?.last ?? 0;
    if (!fh) return;
    try {
      const st = await fh.stat();
      const scan = await scanTail(join(this.#dir, LIVE_FILE));
      this.#ino = st.ino;
      this.#offset = Math.min(scan?.completeEnd ?? 0, st.size);
      const last = scan?.lastLine === undefined ? undefined : this.#parse(scan.lastLine);
      if (last && last.seq > this.lastSeq) this.lastSeq = last.seq;
    } finally {
      await fh.close();
    }
  }
}

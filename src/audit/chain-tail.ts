/**
 * The chain's tail, as the writer needs it under `<state>/audit.lock`: the last seq, mac and
 * vault generation, and the live file's size. Found in O(1) from `audit.head`, checked against
 * the size and inode of the file it names; or, when they disagree (a writer killed after its
 * fsync but before its head update, a rotation cut short, a torn last line), by reading the log's
 * last line backwards (in the newest rotated file if the live one is empty), cutting off a torn
 * line, and checking that line's MAC. A log that ends BEFORE its head was truncated or rolled
 * back, and is refused: the caller fails closed. The head is MAC'd (head.ts); once the vault
 * anchors this trail (`anchored`), a missing, unsigned or forged head is refused too, never
 * rebuilt from what is left of the log.
 */
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { TotpMcpError } from '../core/errors.js';
import type { Redacted } from '../core/redacted.js';
import { GENESIS_MAC, eventMac, sameMac } from './canonical.js';
import { parseEventLine } from './event.js';
import { HEAD_FILE, LIVE_FILE, listLogFiles, readHead, scanTail, sizeOf, writeHead, type Head } from './files.js';
import { headVerifies, signHead } from './head.js';

/** The error a broken trail gives: the caller fails closed; the owner's way back is `audit reset`. */
export const trailBroken = (why: string): TotpMcpError =>
  new TotpMcpError('io', `the audit trail is broken: ${why}`, {
    reason: 'trail_broken',
    hint: "run 'totp-mcp audit verify'; to start a new chain that records the break, 'totp-mcp audit reset --reason TEXT'",
  });

export const isTrailBroken = (e: unknown): e is TotpMcpError =>
  e instanceof TotpMcpError && e.reason === 'trail_broken';

export interface Tail {
  seq: number;
  mac: string;
  /** The highest vault generation recorded so far (for the head). */
  gen: number;
  /** Size of the live file (0 when absent). */
  liveSize: number;
  liveExists: boolean;
}

const damaged = trailBroken;

/** The chain's last seq and mac, and the live file's size; repairs a torn last line. Call under the lock. */
export async function findTail(dir: string, key: Redacted<Buffer>, anchored: boolean): Promise<Tail> {
  const livePath = join(dir, LIVE_FILE);
  const [live, read] = await Promise.all([sizeOf(livePath), readHead(dir)]);
  const liveSize = live?.size ?? 0;
  const liveExists = live !== null;
  const head = trustedHead(key, read, anchored);

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
      throw damaged(`the audit log is empty but ${HEAD_FILE} records event ${known.seq}: it was truncated or removed`);
    // A new chain: a signed head at seq 0 first, so that a writer killed before its first head
    // update does not leave a log without a head (which an anchored trail refuses).
    if (!known)
      await writeHead(dir, signHead(key, { seq: 0, mac: GENESIS_MAC, size: 0, file: LIVE_FILE, ino: '0', gen: 0 }));
    return { seq: 0, mac: GENESIS_MAC, gen: known?.gen ?? 0, liveSize: size, liveExists };
  }
  const last = parseEventLine(lastLine);
  if (!last || !sameMac(eventMac(key, last), last.mac)) {
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
function trustedHead(key: Redacted<Buffer>, read: Head | null | 'invalid', anchored: boolean): Head | null {
  if (read === null) {
    if (anchored) throw damaged(`${HEAD_FILE} is missing`);
    return null;
  }
  if (read === 'invalid' || (read.v === 2 && !headVerifies(key, read))) {
    if (anchored) throw damaged(`${HEAD_FILE} does not verify (edited, forged, or written with another key)`);
    return null;
  }
  if (read.v === 1 && anchored) throw damaged(`${HEAD_FILE} is not signed (written before heads were, or forged)`);
  return read;
}

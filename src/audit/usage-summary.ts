/**
 * Usage summaries: beside each rotated file `audit.<first>-<last>.log`, `audit.<first>-<last>.use`
 * holds what the usage index needs from it: every allow by a rule (seq, time, action, rule,
 * agent, account) and, per agent, how many events fell in each minute (for `max_calls`). A new
 * process reads these instead of the rotated files (a few bytes per event instead of a line).
 *
 * They are derived data: written by the index after it read a rotated file from its start, tagged
 * with the audit key, and used only when the tag verifies and the file still has the size it had
 * then; anything else (missing, edited, another key, a file that changed) and the file itself is
 * read again and the summary rewritten. A summary can only count more than the file: a minute's
 * events count as if they all came at its end, so a window that starts inside that minute counts
 * them all (stricter, never looser).
 */
import { constants } from 'node:fs';
import { createHmac } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openNoFollow, writeFileAtomic } from '../core/fs.js';
import type { Redacted } from '../core/redacted.js';
import { canonicalJson, sameMac } from './canonical.js';
import type { LogFile } from './files.js';

/** Per-agent call counts are kept per minute. */
const BUCKET_MS = 60_000;
/** Largest summary read (a 10 MiB rotated file gives well under this). */
const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

/** An allow by a rule: seq, time (ms), action, rule, agent, account. */
export type SummaryAllow = [number, number, string, string, string | null, string | null];
/** Events of an agent in one minute: agent, the minute's last ms, count. */
export type SummaryCalls = [string | null, number, number];

export interface Summary {
  readonly last: number;
  readonly allows: readonly SummaryAllow[];
  readonly calls: readonly SummaryCalls[];
}

export const summaryName = (rotated: string): string => rotated.replace(/\.log$/, '.use');

const tagOf = (key: Redacted<Buffer>, body: unknown): string =>
  createHmac('sha256', key.reveal())
    .update(`totp-mcp audit.use v1\n${canonicalJson(body)}`)
    .digest('hex');

/** The minute's last millisecond: counting a call there never loosens a window. */
export const bucketEnd = (tsMs: number): number => Math.floor(tsMs / BUCKET_MS) * BUCKET_MS + BUCKET_MS - 1;

/** The summary of `file`, when it is there, verifies and matches the file; else undefined. */
export async function readSummary(
  dir: string,
  file: LogFile,
  key: Redacted<Buffer>,
): Promise<{ summary: Summary; bytes: number } | undefined> {
  try {
    const size = (await stat(join(dir, file.name))).size;
    const fh = await openNoFollow(join(dir, summaryName(file.name)), constants.O_RDONLY);
    let text: string;
    try {
      if ((await fh.stat()).size > MAX_SUMMARY_BYTES) return undefined;
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
    const o = JSON.parse(text) as {
      v?: unknown;
      file?: unknown;
      size?: unknown;
      last?: unknown;
      allows?: unknown;
      calls?: unknown;
      tag?: unknown;
    };
    if (o.v !== 1 || o.file !== file.name || o.size !== size || o.last !== file.last || typeof o.tag !== 'string')
      return undefined;
    if (!Array.isArray(o.allows) || !Array.isArray(o.calls)) return undefined;
    const body = {
      v: 1,
      file: file.name,
      size,
      last: o.last,
      allows: o.allows as unknown[],
      calls: o.calls as unknown[],
    };
    if (!sameMac(tagOf(key, body), o.tag)) return undefined;
    // Tagged by us: the shapes are ours.
    return {
      summary: { last: o.last as number, allows: o.allows as SummaryAllow[], calls: o.calls as SummaryCalls[] },
      bytes: text.length,
    };
  } catch {
    return undefined;
  }
}

/** Writes the summary of `file` (size: its complete lines' bytes). Best effort. */
export async function writeSummary(
  dir: string,
  file: LogFile,
  key: Redacted<Buffer>,
  size: number,
  summary: Summary,
): Promise<void> {
  const body = { v: 1, file: file.name, size, last: summary.last, allows: summary.allows, calls: summary.calls };
  const name = summaryName(file.name);
  // Not fsynced: a lost summary is rebuilt from its log file.
  await writeFileAtomic(join(dir, name), JSON.stringify({ ...body, tag: tagOf(key, body) }) + '\n', {
    overwrite: true,
    durable: false,
  }).catch(() => undefined);
}

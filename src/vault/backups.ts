/** The vault's backup generations in `backups/`: hard links of replaced vault files, pruned to a few. */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError } from '../core/errors.js';
import { ensurePrivateDir, fsyncDir, isEnoent, linkOrCopy, lstatNoLink } from '../core/fs.js';

const BACKUP_NAME = /^vault-(\d{8,})-(\d{8}T\d{6}Z)\.age$/;
export const BACKUP_GENERATIONS = 3;

export async function listBackups(dir: string): Promise<{ name: string; seq: number }[]> {
  await lstatNoLink(dir); // never list (and so prune) a folder a link points to
  const names = await readdir(dir).catch((e: unknown) => {
    if (isEnoent(e)) return [] as string[];
    throw fsError('list', dir, e);
  });
  const out: { name: string; seq: number }[] = [];
  for (const name of names) {
    const m = BACKUP_NAME.exec(name);
    if (m) out.push({ name, seq: Number(m[1]) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Keeps the current `file` as the newest backup generation (a hard link: no copy), named
 * `vault-<seq>-<utc>.age` so names sort by age. Call under the lock.
 */
export async function keepBackup(file: string, dir: string, nowMs: number): Promise<void> {
  await ensurePrivateDir(dir);
  const existing = await listBackups(dir);
  const seq = (existing.at(-1)?.seq ?? 0) + 1;
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const target = join(dir, `vault-${String(seq).padStart(8, '0')}-${stamp}.age`);
  try {
    await linkOrCopy(file, target);
  } catch (e) {
    if (isEnoent(e)) return; // nothing to keep
    throw fsError('keep a backup in', dir, e);
  }
  await fsyncDir(dir);
}

/** Deletes all but the newest `keep` generations. */
export async function pruneBackups(dir: string, keep = BACKUP_GENERATIONS): Promise<void> {
  const all = await listBackups(dir);
  for (const b of all.slice(0, Math.max(0, all.length - keep))) {
    await unlink(join(dir, b.name)).catch((e: unknown) => {
      if (!isEnoent(e)) throw fsError('prune', join(dir, b.name), e);
    });
  }
}

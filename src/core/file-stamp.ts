/**
 * A file's identity and version as one stat sees them. The vault and the policy file are replaced
 * by rename (a new inode) or edited in place (size, mtime, ctime): either changes the stamp. Kept
 * as the stat's own bigints and compared field by field: building a string key per request cost
 * five BigInt conversions and a concatenation on every call.
 */
import type { BigIntStats } from 'node:fs';

export type FileStamp = Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs'>;

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.dev === b.dev;
}

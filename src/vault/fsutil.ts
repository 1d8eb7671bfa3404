/** File primitives for the home folder: private modes, atomic replace, no-overwrite create, fsync. */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, constants, link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TotpMcpError, fsError } from '../core/errors.js';
import { ensureRealDir, lstatNoLink } from '../core/safe-fs.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

// A full or read-only disk says so, with the fix (core/errors.ts).
const ioError = (what: string, path: string, e: unknown): TotpMcpError => fsError(what, path, e);

/** The file's bytes, or null when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw ioError('read', path, e);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw ioError('inspect', path, e);
  }
}

/**
 * Creates the folder (and parents) private to the user; tightens it if group or others have access.
 * A folder inside the home (backups/, state/) must not be a link (core/safe-fs.ts); the home
 * itself may be one the owner made: `{ link: 'allow' }`.
 */
export async function ensurePrivateDir(path: string, opts: { link?: 'allow' | 'refuse' } = {}): Promise<void> {
  if (opts.link !== 'allow') {
    await ensureRealDir(path, { mode: DIR_MODE }).catch((e: unknown) => {
      throw ioError('create the folder', path, e);
    });
    return;
  }
  try {
    await mkdir(path, { recursive: true, mode: DIR_MODE });
    const st = await stat(path);
    if (!st.isDirectory()) throw new TotpMcpError('io', `${path} exists and is not a folder`);
    if ((st.mode & 0o077) !== 0) await chmod(path, DIR_MODE);
  } catch (e) {
    throw ioError('create the folder', path, e);
  }
}

/** fsync a folder so a rename or link in it survives a crash. Some platforms cannot; that is not an error. */
export async function fsyncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch (e) {
    const code = errno(e);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw ioError('sync', path, e);
  } finally {
    await fh?.close();
  }
}

/** Leftover temp files of a crashed writer look like `<name>.<pid>.<hex>.tmp` beside `<name>`. */
const TMP_SUFFIX = /\.\d+\.[0-9a-f]{12}\.tmp$/;
export const tmpPathFor = (path: string): string => `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
export const isTmpOf = (name: string, target: string): boolean =>
  name.startsWith(`${target}.`) && TMP_SUFFIX.test(name.slice(target.length));

/** Writes a new private file and fsyncs it; fails if the path exists. */
export async function writeNewFile(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', FILE_MODE).catch((e: unknown) => {
    throw ioError('create', path, e);
  });
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw ioError('write', path, e);
  }
  await fh.close();
}

/** Links when the filesystem can, else copies; both refuse to overwrite. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    const code = errno(e);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw e;
    await copyFile(from, to, constants.COPYFILE_EXCL);
  }
}

/**
 * Writes `data` to a temp file beside `path`, fsyncs it, then moves it into place: rename
 * (replace), or link (create only: a crash or a race never overwrites). fsyncs the folder.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { overwrite: boolean }): Promise<void> {
  const tmp = tmpPathFor(path);
  await writeNewFile(tmp, data);
  try {
    if (options.overwrite) await rename(tmp, path);
    else {
      try {
        await linkOrCopy(tmp, path);
      } catch (e) {
        if (errno(e) === 'EEXIST') throw new TotpMcpError('conflict', `${path} already exists: refusing to overwrite it`);
        throw e;
      }
      await unlink(tmp);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('write', path, e);
  }
  await fsyncDir(dirname(path));
}

/** Removes leftover temp files of `targets` (call under the lock: no live writer owns one then). */
export async function removeLeftoverTmp(dir: string, targets: readonly string[]): Promise<string[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    if (errno(e) === 'ENOENT') return [] as string[];
    throw ioError('list', dir, e);
  });
  const removed: string[] = [];
  for (const name of names) {
    if (targets.some((t) => isTmpOf(name, basename(t)))) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed.push(name);
    }
  }
  return removed;
}

// ---- backup generations ----

const BACKUP_NAME = /^vault-(\d{8,})-(\d{8}T\d{6}Z)\.age$/;
export const BACKUP_GENERATIONS = 3;

export async function listBackups(dir: string): Promise<{ name: string; seq: number }[]> {
  await lstatNoLink(dir); // never list (and so prune) a folder a link points to
  const names = await readdir(dir).catch((e: unknown) => {
    if (errno(e) === 'ENOENT') return [] as string[];
    throw ioError('list', dir, e);
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
    if (errno(e) === 'ENOENT') return; // nothing to keep
    throw ioError('keep a backup in', dir, e);
  }
  await fsyncDir(dir);
}

/** Deletes all but the newest `keep` generations. */
export async function pruneBackups(dir: string, keep = BACKUP_GENERATIONS): Promise<void> {
  const all = await listBackups(dir);
  for (const b of all.slice(0, Math.max(0, all.length - keep))) {
    await unlink(join(dir, b.name)).catch((e: unknown) => {
      if (errno(e) !== 'ENOENT') throw ioError('prune', join(dir, b.name), e);
    });
  }
}

/**
 * The one file-system module: every private file and folder totp-mcp writes (vault, identity,
 * audit state, AWS ledger and cache, credentials file, exports) goes through these primitives, so
 * modes, crash safety and link refusal are decided once.
 *
 * - Private: files 0600, folders 0700 (a looser folder is tightened).
 * - Crash-safe replace: temp file beside the target (created O_EXCL, so never through a link) →
 *   write → fsync → rename (or link, to create without overwriting) → fsync the folder. A crash
 *   leaves the old content or the new, never a mix.
 * - No symbolic links inside the home. The folders and files totp-mcp makes under its home
 *   (`backups/`, `state/` and everything in it, temp files) are opened with O_NOFOLLOW or checked
 *   with lstat, so a link placed there cannot make totp-mcp chmod, prune, append to or overwrite
 *   whatever it points at: it is refused with an error naming the path. The home folder itself may
 *   be a link the owner made (only what is inside it is checked).
 * - A full or read-only disk says so, with the fix (`fsError`, core/errors.ts).
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TotpMcpError, fsError } from './errors.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

// ---- errno and processes ----

/** The errno name (`ENOENT`, `EEXIST`…) of a Node error, or of the one an `fsError` wraps; else undefined. */
export function errnoOf(e: unknown): string | undefined {
  const x = e instanceof TotpMcpError ? e.cause : e;
  const code = (x as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
export const isEnoent = (e: unknown): boolean => errnoOf(e) === 'ENOENT';
export const isEexist = (e: unknown): boolean => errnoOf(e) === 'EEXIST';

/** Whether a process of this host runs with `pid` (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

// ---- links ----

/** 0 where the platform has no O_NOFOLLOW (Windows): the lstat checks still apply there. */
const optional: Partial<typeof constants> = constants;
export const O_NOFOLLOW: number = optional.O_NOFOLLOW ?? 0;
const O_DIRECTORY: number = optional.O_DIRECTORY ?? 0;

export function symlinkError(path: string): TotpMcpError {
  return new TotpMcpError('io', `${path} is a symbolic link: totp-mcp does not follow links inside its home`, {
    hint: 'replace the link with a real folder or file (only the home folder itself may be a link)',
  });
}

/** open(2) reports O_NOFOLLOW on a link as ELOOP (EMLINK on FreeBSD). */
const isLinkErrno = (e: unknown): boolean => errnoOf(e) === 'ELOOP' || errnoOf(e) === 'EMLINK';

/** lstat: the entry itself, never a link's target; undefined when absent; a link is refused. */
export async function lstatNoLink(path: string): Promise<Stats | undefined> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
  if (st.isSymbolicLink()) throw symlinkError(path);
  return st;
}

/**
 * Opens `path` without following a link in its last component (`flags` numeric, from
 * fs.constants). A link is refused with `symlinkError`; other errors (ENOENT…) pass through.
 */
export async function openNoFollow(path: string, flags: number, mode?: number): Promise<FileHandle> {
  try {
    return await open(path, flags | O_NOFOLLOW, mode);
  } catch (e) {
    if (isLinkErrno(e)) throw symlinkError(path);
    throw e;
  }
}

/** readFile that refuses a link; ENOENT passes through. */
export async function readFileNoFollow(path: string): Promise<Buffer> {
  const fh = await openNoFollow(path, constants.O_RDONLY);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * Makes `path` a real, private folder: `levels` folders are checked, `path` and the ones above it
 * (e.g. 2 for `state/aws`: `state` too), each created when missing, each refused when it is a link
 * or not a folder. Loose permissions are tightened through a handle opened with O_NOFOLLOW, so a
 * link swapped in meanwhile is never chmodded.
 */
export async function ensureRealDir(path: string, opts: { levels?: number; mode?: number } = {}): Promise<void> {
  const mode = opts.mode ?? 0o700;
  const chain: string[] = [path];
  for (let i = 1; i < (opts.levels ?? 1); i++) chain.unshift(dirname(chain[0] as string));
  for (const [i, dir] of chain.entries()) {
    let st = await lstatNoLink(dir);
    if (st === undefined) {
      try {
        // The top one may need its parents (a fresh home); below it, the parent was just checked.
        await mkdir(dir, { recursive: i === 0, mode });
      } catch (e) {
        if (!isEexist(e)) throw fsError('create the folder', dir, e);
      }
      st = await lstatNoLink(dir);
    }
    if (!st?.isDirectory()) throw new TotpMcpError('io', `${dir} exists and is not a folder`);
    if (mode === 0o700 && (st.mode & 0o077) !== 0) {
      const fh = await openNoFollow(dir, constants.O_RDONLY | O_DIRECTORY);
      try {
        await fh.chmod(mode);
      } finally {
        await fh.close();
      }
    }
  }
}

// ---- reading ----

/**
 * The file's bytes, or null when it does not exist. `link: 'refuse'` for files inside the home
 * (a link there is refused by name); the owner's own files elsewhere (~/.aws) may be links.
 */
export async function readOrNull(path: string, opts: { link?: 'follow' | 'refuse' } = {}): Promise<Buffer | null> {
  try {
    return await (opts.link === 'refuse' ? readFileNoFollow(path) : readFile(path));
  } catch (e) {
    if (isEnoent(e)) return null;
    throw fsError('read', path, e);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isEnoent(e)) return false;
    throw fsError('inspect', path, e);
  }
}

// ---- folders ----

/**
 * Creates the folder (and parents) private to the user; tightens it if group or others have access.
 * A folder inside the home (backups/, state/) must not be a link (`ensureRealDir`); the home
 * itself, or a folder of the owner's outside it (~/.aws), may be one the owner made: `{ link: 'allow' }`.
 */
export async function ensurePrivateDir(
  path: string,
  opts: { link?: 'allow' | 'refuse'; levels?: number } = {},
): Promise<void> {
  if (opts.link !== 'allow') {
    await ensureRealDir(path, { mode: DIR_MODE, ...(opts.levels !== undefined && { levels: opts.levels }) }).catch(
      (e: unknown) => {
        throw fsError('create the folder', path, e);
      },
    );
    return;
  }
  try {
    await mkdir(path, { recursive: true, mode: DIR_MODE });
    const st = await stat(path);
    if (!st.isDirectory()) throw new TotpMcpError('io', `${path} exists and is not a folder`);
    if ((st.mode & 0o077) !== 0) await chmod(path, DIR_MODE);
  } catch (e) {
    throw fsError('create the folder', path, e);
  }
}

/**
 * fsync a folder so a rename or link in it survives a crash. Some platforms (or a folder we may not
 * read) cannot; that is not an error.
 */
export async function fsyncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch (e) {
    const code = errnoOf(e);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF' && code !== 'EACCES')
      throw fsError('sync', path, e);
  } finally {
    await fh?.close();
  }
}

// ---- writing ----

/** Leftover temp files of a crashed writer look like `<name>.<pid>.<hex>.tmp` beside `<name>`. */
const TMP_SUFFIX = /\.\d+\.[0-9a-f]{12}\.tmp$/;
const tmpPathFor = (path: string): string => `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
export const isTmpOf = (name: string, target: string): boolean =>
  name.startsWith(`${target}.`) && TMP_SUFFIX.test(name.slice(target.length));

/**
 * Writes a new private file (O_EXCL: fails if the path exists, never follows a link) and fsyncs
 * it unless `durable: false`. A failed write leaves no half file behind.
 */
export async function writeNewFile(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const fh = await open(path, 'wx', opts.mode ?? FILE_MODE).catch((e: unknown) => {
    throw fsError('create', path, e);
  });
  try {
    await fh.writeFile(data);
    if (opts.durable !== false) await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw fsError('write', path, e);
  }
  await fh.close();
}

/** Links when the filesystem can, else copies; both refuse to overwrite. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    const code = errnoOf(e);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EOPNOTSUPP')
      throw e;
    await copyFile(from, to, constants.COPYFILE_EXCL);
  }
}

export interface AtomicWriteOptions {
  /** true: rename over the old file (a link there is replaced, not followed); false: create only. */
  readonly overwrite: boolean;
  /** Default 0600. */
  readonly mode?: number;
  /**
   * false: no fsync of the file or the folder, for a file rebuilt from others after a crash (the
   * audit head). The replace is still atomic.
   */
  readonly durable?: boolean;
  /**
   * Runs once the temp file is written (and read back equal, for the vault) and before it is moved
   * into place: a throw leaves the old file as it was and removes the temp file.
   */
  readonly beforeReplace?: (tmp: string) => Promise<void>;
  /** Reads the temp file back and compares before replacing (a disk that lies about writes). */
  readonly verify?: boolean;
}

/**
 * Writes `data` to a temp file beside `path`, fsyncs it, then moves it into place: rename
 * (replace), or link (create only: a crash or a race never overwrites). fsyncs the folder.
 * An existing file with `overwrite: false` is a `conflict` error.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicWriteOptions): Promise<void> {
  const tmp = tmpPathFor(path);
  const durable = o.durable !== false;
  await writeNewFile(tmp, data, { ...(o.mode !== undefined && { mode: o.mode }), durable });
  try {
    if (o.verify === true && !(await readFile(tmp)).equals(typeof data === 'string' ? Buffer.from(data) : data))
      throw new TotpMcpError('io', `${tmp} did not read back as written: nothing was changed`);
    await o.beforeReplace?.(tmp);
    if (o.overwrite) await rename(tmp, path);
    else {
      try {
        await linkOrCopy(tmp, path);
      } catch (e) {
        if (isEexist(e)) throw new TotpMcpError('conflict', `${path} already exists: refusing to overwrite it`);
        throw e;
      }
      await unlink(tmp);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw fsError('write', path, e);
  }
  if (durable) await fsyncDir(dirname(path));
}

/** Removes leftover temp files of `targets` (call under the lock: no live writer owns one then). */
export async function removeLeftoverTmp(dir: string, targets: readonly string[]): Promise<string[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    if (isEnoent(e)) return [] as string[];
    throw fsError('list', dir, e);
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

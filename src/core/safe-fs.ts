/**
 * No symbolic links inside the home. The folders and files totp-mcp makes under its home
 * (`backups/`, `state/` and everything in it, temp files) are opened with O_NOFOLLOW or checked
 * with lstat, so a link placed there cannot make totp-mcp chmod, prune, append to or overwrite
 * whatever it points at: it is refused with an error naming the path. The home folder itself may
 * be a link the owner made (only what is inside it is checked).
 */
import { constants, lstatSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TotpMcpError } from './errors.js';

/** 0 where the platform has no O_NOFOLLOW (Windows): the lstat checks still apply there. */
const optional: Partial<typeof constants> = constants;
export const O_NOFOLLOW: number = optional.O_NOFOLLOW ?? 0;
const O_DIRECTORY: number = optional.O_DIRECTORY ?? 0;

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

export function symlinkError(path: string): TotpMcpError {
  return new TotpMcpError('io', `${path} is a symbolic link: totp-mcp does not follow links inside its home`, {
    hint: 'replace the link with a real folder or file (only the home folder itself may be a link)',
  });
}

/** open(2) reports O_NOFOLLOW on a link as ELOOP (EMLINK on FreeBSD). */
const isLinkErrno = (e: unknown): boolean => errno(e) === 'ELOOP' || errno(e) === 'EMLINK';

/** lstat: the entry itself, never a link's target; undefined when absent; a link is refused. */
export async function lstatNoLink(path: string): Promise<Stats | undefined> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
  if (st.isSymbolicLink()) throw symlinkError(path);
  return st;
}

/** The same, synchronously. */
export function lstatNoLinkSync(path: string): Stats | undefined {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) throw symlinkError(path);
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
        if (errno(e) !== 'EEXIST') throw new TotpMcpError('io', `cannot create the folder ${dir}`, { cause: e });
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

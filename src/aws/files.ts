/** Small private files of the AWS work (ledger, cache, credentials file): atomic replace, fsync. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TotpMcpError, fsError, isTotpMcpError } from '../core/errors.js';
import { readFileNoFollow } from '../core/safe-fs.js';

export const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

export async function ensureDir(path: string, mode = 0o700): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode });
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0 && mode === 0o700) await chmod(path, mode);
  } catch (e) {
    throw new TotpMcpError('io', `cannot create the folder ${path}`, { cause: e });
  }
}

/** `link: 'refuse'` for files of the home's state (core/safe-fs.ts); the owner's ~/.aws files may be links. */
export async function readOrNull(path: string, opts: { link?: 'follow' | 'refuse' } = {}): Promise<Buffer | null> {
  try {
    return await (opts.link === 'refuse' ? readFileNoFollow(path) : readFile(path));
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    if (isTotpMcpError(e)) throw e;
    throw new TotpMcpError('io', `cannot read ${path}`, { cause: e });
  }
}

async function fsyncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch {
    // some platforms cannot fsync a folder
  } finally {
    await fh?.close();
  }
}

/** tmp beside `path` (mode) → write → fsync → rename → fsync folder. */
export async function writeAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fh;
  try {
    fh = await open(tmp, 'wx', mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw fsError('write', path, e);
  }
  await fsyncDir(dirname(path));
}

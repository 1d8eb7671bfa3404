// The one file-system module (core/fs.ts): every private file of vault, audit, aws and app goes
// through it, so its promises are tested here once: a replace leaves the old content or the new
// (even when the writer is killed mid-write), the folder is fsynced after the rename, files are
// 0600 and folders 0700, links inside the home are refused, a full disk says so.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ensurePrivateDir,
  errnoOf,
  isEnoent,
  pidAlive,
  readOrNull,
  removeLeftoverTmp,
  writeFileAtomic,
  writeNewFile,
} from '../../src/core/fs.js';
import { TotpMcpError, fsError } from '../../src/core/errors.js';
import { LIB, ROOT } from '../helpers/build.js';

/** What the module asks of the file system, seen through a thin wrapper around node:fs/promises. */
const seen = vi.hoisted(() => ({
  syncs: [] as string[],
  /** When set, a FileHandle.writeFile fails with this errno (a full disk, say). */
  failWrite: undefined as string | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const fh = await real.open(...args);
    const path = String(args[0]);
    const sync = fh.sync.bind(fh);
    const writeFile = fh.writeFile.bind(fh);
    return Object.assign(fh, {
      sync: async () => {
        seen.syncs.push(path);
        await sync();
      },
      writeFile: async (...w: Parameters<FileHandle['writeFile']>) => {
        if (seen.failWrite !== undefined)
          throw Object.assign(new Error(`${seen.failWrite}: injected`), { code: seen.failWrite, path });
        await writeFile(...w);
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});

const LINK = /is a symbolic link: totp-mcp does not follow links inside its home/;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'totp-core-fs-'));
const modeOf = (p: string): number => statSync(p).mode & 0o777;

afterEach(() => {
  seen.syncs.length = 0;
  seen.failWrite = undefined;
});

describe('core/fs: atomic private write', () => {
  it('replaces the file: mode 0600, the file then its folder fsynced after the rename, no temp file left', async () => {
    const dir = tmp();
    const path = join(dir, 'ledger.json');
    writeFileSync(path, 'old\n', { mode: 0o644 });
    await writeFileAtomic(path, 'new\n', { overwrite: true });
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(modeOf(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['ledger.json']);
    // The temp file's own fsync, then the folder's (a rename survives a crash only then).
    expect(seen.syncs).toHaveLength(2);
    expect(seen.syncs[0]).toMatch(/ledger\.json\.\d+\.[0-9a-f]{12}\.tmp$/);
    expect(seen.syncs[1]).toBe(dir);
  });

  it('durable: false skips both fsyncs and still replaces atomically', async () => {
    const dir = tmp();
    await writeFileAtomic(join(dir, 'audit.head'), 'h\n', { overwrite: true, durable: false });
    expect(readFileSync(join(dir, 'audit.head'), 'utf8')).toBe('h\n');
    expect(seen.syncs).toEqual([]);
  });

  it('a step failing before the rename leaves the old content and no temp file', async () => {
    const dir = tmp();
    const path = join(dir, 'vault.age');
    writeFileSync(path, 'old', { mode: 0o600 });
    await expect(
      writeFileAtomic(path, 'new', {
        overwrite: true,
        verify: true,
        beforeReplace: () => Promise.reject(new TotpMcpError('io', 'stopped before the rename')),
      }),
    ).rejects.toThrow('stopped before the rename');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['vault.age']);
  });

  it('a writer killed with SIGKILL mid-replace leaves the old or the new content, whole', async () => {
    const dir = tmp();
    const path = join(dir, 'cache.age');
    const size = 256 * 1024;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', 'fs-child.mjs'), LIB, path, String(size)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => {
        child.stdout.once('data', () => {
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 20 + round * 37));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const text = readFileSync(path, 'utf8');
      expect(text.length).toBe(size);
      expect(text === 'A'.repeat(size) || text === 'B'.repeat(size)).toBe(true);
      expect(modeOf(path)).toBe(0o600);
      // A killed writer may leave its temp file; the next writer under the lock removes it.
      await removeLeftoverTmp(dir, [path]);
      expect(readdirSync(dir)).toEqual(['cache.age']);
    }
  });

  it('create-only refuses an existing file (conflict) and leaves it as it was', async () => {
    const dir = tmp();
    const path = join(dir, 'identity.txt');
    writeFileSync(path, 'mine', { mode: 0o600 });
    await expect(writeFileAtomic(path, 'theirs', { overwrite: false })).rejects.toMatchObject({ code: 'conflict' });
    expect(readFileSync(path, 'utf8')).toBe('mine');
    expect(readdirSync(dir)).toEqual(['identity.txt']);
    await writeFileAtomic(join(dir, 'fresh.txt'), 'x', { overwrite: false });
    expect(modeOf(join(dir, 'fresh.txt'))).toBe(0o600);
  });

  it('a full disk is named with its fix, and no half file or temp file stays', async () => {
    const dir = tmp();
    const path = join(dir, 'vault.age');
    writeFileSync(path, 'old', { mode: 0o600 });
    seen.failWrite = 'ENOSPC';
    const e = await writeFileAtomic(path, 'new', { overwrite: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TotpMcpError);
    expect((e as TotpMcpError).message).toMatch(
      /^cannot write .*vault\.age\.\d+\.[0-9a-f]{12}\.tmp: no space is left on the disk$/,
    );
    expect((e as TotpMcpError).hint).toMatch(/free some space/);
    expect(errnoOf(e)).toBe('ENOSPC');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['vault.age']);
  });
});

describe('core/fs: links inside the home are refused', () => {
  const victim = (): string => {
    const f = join(tmp(), 'victim.txt');
    writeFileSync(f, 'precious\n', { mode: 0o644 });
    return f;
  };

  it('readOrNull with link: refuse names the link; with the default it follows (the owner’s ~/.aws)', async () => {
    const dir = tmp();
    const v = victim();
    symlinkSync(v, join(dir, 'ledger.json'));
    await expect(readOrNull(join(dir, 'ledger.json'), { link: 'refuse' })).rejects.toThrow(LINK);
    expect((await readOrNull(join(dir, 'ledger.json')))?.toString()).toBe('precious\n');
    expect(await readOrNull(join(dir, 'absent'), { link: 'refuse' })).toBeNull();
  });

  it('a replace swaps out a link at the target, never writing through it', async () => {
    const dir = tmp();
    const v = victim();
    symlinkSync(v, join(dir, 'cache.age'));
    await writeFileAtomic(join(dir, 'cache.age'), 'ours', { overwrite: true });
    expect(readFileSync(v, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'cache.age')).isFile()).toBe(true);
  });

  it('writeNewFile never opens through a link placed at its name', async () => {
    const dir = tmp();
    const v = victim();
    symlinkSync(v, join(dir, 'policy.yaml'));
    await expect(writeNewFile(join(dir, 'policy.yaml'), 'x')).rejects.toThrow(/cannot create/);
    expect(readFileSync(v, 'utf8')).toBe('precious\n');
    expect(statSync(v).mode & 0o777).toBe(0o644);
  });

  it('ensurePrivateDir: a linked folder is refused, a loose one tightened to 0700; link: allow takes the owner’s link', async () => {
    const home = tmp();
    const elsewhere = tmp();
    chmodSync(elsewhere, 0o755);
    symlinkSync(elsewhere, join(home, 'state'));
    await expect(ensurePrivateDir(join(home, 'state'))).rejects.toThrow(LINK);
    expect(modeOf(elsewhere)).toBe(0o755);
    await ensurePrivateDir(join(home, 'state'), { link: 'allow' });
    expect(modeOf(elsewhere)).toBe(0o700);
    const loose = join(home, 'backups');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    await ensurePrivateDir(loose);
    expect(modeOf(loose)).toBe(0o700);
    await ensurePrivateDir(join(home, 'a', 'b'));
    expect(modeOf(join(home, 'a', 'b'))).toBe(0o700);
  });
});

describe('core/fs: errno and processes', () => {
  it('errnoOf reads a Node error or the one an fsError wraps; isEnoent; pidAlive', async () => {
    const enoent = await readOrNull(join(tmp(), 'x', 'y')).catch((e: unknown) => e);
    expect(enoent).toBeNull();
    const raw = Object.assign(new Error('x'), { code: 'EACCES' });
    expect(errnoOf(raw)).toBe('EACCES');
    expect(errnoOf(fsError('read', '/f', raw))).toBe('EACCES');
    expect(errnoOf(new TotpMcpError('usage', 'not an errno'))).toBeUndefined();
    expect(errnoOf(undefined)).toBeUndefined();
    expect(isEnoent(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(true);
    expect(pidAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.once('exit', r));
    expect(pidAlive(child.pid ?? 0)).toBe(false);
  });
});

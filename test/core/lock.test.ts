import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/core/lock.js';
import { LIB, ROOT } from '../helpers/build.js';

const CHILD = join(ROOT, 'test', 'fixtures', 'lock-child.mjs');
const tmp = () => mkdtempSync(join(tmpdir(), 'totp-lock-'));

function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

describe('cross-process lock', () => {
  it('excludes: 4 processes × 40 increments under the lock lose none', async () => {
    const dir = tmp();
    const lock = join(dir, 'x.lock');
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, [CHILD, LIB, lock, counter, 'count', '40'], { stdio: 'inherit' }),
    );
    const codes = await Promise.all(children.map((c) => new Promise<number | null>((r) => c.on('exit', r))));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('160');
    expect(existsSync(lock)).toBe(false);
  });

  it('breaks at once the lock of a holder killed with SIGKILL', async () => {
    const dir = tmp();
    const lock = join(dir, 'x.lock');
    const child = spawn(process.execPath, [CHILD, LIB, lock, '', 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) =>
      child.stdout.once('data', () => {
        r();
      }),
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const t0 = performance.now();
    const l = await acquireLock(lock, { timeoutMs: 5000 });
    expect(performance.now() - t0).toBeLessThan(1000);
    await l.release();
  });

  it('waits for a live holder and times out with a clear error', async () => {
    const dir = tmp();
    const lock = join(dir, 'x.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'n', ts: Date.now() }));
    await expect(acquireLock(lock, { timeoutMs: 200 })).rejects.toThrow(/timed out waiting for the lock/);
    expect(existsSync(lock)).toBe(true);
  });

  it('treats a dead holder on this host as stale, and an old foreign or unwritten lock as stale', async () => {
    const dir = tmp();
    const lock = join(dir, 'x.lock');
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname(), nonce: 'a', ts: Date.now() }));
    await (await acquireLock(lock, { timeoutMs: 1000 })).release();

    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', nonce: 'b', ts: Date.now() - 10 * 60_000 }));
    await (await acquireLock(lock, { timeoutMs: 1000 })).release();

    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', nonce: 'c', ts: Date.now() }));
    await expect(acquireLock(lock, { timeoutMs: 200 })).rejects.toThrow(/timed out/);

    writeFileSync(lock, '');
    const old = Date.now() / 1000 - 60;
    utimesSync(lock, old, old);
    await (await acquireLock(lock, { timeoutMs: 1000 })).release();
  });

  it('honours cancellation while waiting', async () => {
    const dir = tmp();
    const lock = join(dir, 'x.lock');
    const held = await acquireLock(lock);
    const ac = new AbortController();
    const waiting = acquireLock(lock, { signal: ac.signal });
    setTimeout(() => {
      ac.abort();
    }, 50);
    await expect(waiting).rejects.toThrow(/cancelled/);
    await held.release();
  });
});

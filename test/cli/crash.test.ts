import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliAsync, cliEnv, newHome } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';

const hasAge = requireTool('age', 'age');
const uri = (i: number) => `otpauth://totp/Crash:n${i}?secret=JBSWY3DPEHPK3PXP${'A'.repeat(i % 8)}&issuer=Crash`;

/** Starts `totp-mcp add` and kills it with SIGKILL after `killAfterMs` (if given). Resolves with success or not. */
function add(home: string, id: string, i: number, killAfterMs?: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'add', id, '--uri', '-'], {
      env: cliEnv(home),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(uri(i));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 && out.startsWith(`added ${id}`));
    });
  });
}

async function pool<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

function listIds(home: string): Set<string> {
  const r = cli(home, ['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return new Set((JSON.parse(r.stdout) as { id: string }[]).map((a) => a.id));
}

describe('crash safety and concurrency (real processes)', () => {
  it('200 adds killed with SIGKILL at random moments while others write: the vault decrypts and holds every acknowledged add', async () => {
    const home = newHome();
    // How long one add takes here under the same load (8 at once), so that kills land all over
    // its life, the write included, however busy the machine is.
    const lives = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const t0 = performance.now();
        expect(await add(home, `warmup-${i}`, i)).toBe(true);
        return performance.now() - t0;
      }),
    );
    const life = Math.max(...lives);
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const tasks: (() => Promise<{ id: string; ok: boolean; killed: boolean }>)[] = [];
    for (let i = 0; i < 300; i++) {
      const killed = i % 3 !== 2; // 200 killed, 100 left alone
      const id = `c${i}`;
      const delay = killed ? rand() * life * 1.5 : undefined;
      tasks.push(async () => ({ id, killed, ok: await add(home, id, i, delay) }));
    }
    const results = await pool(8, tasks);
    expect(results.filter((r) => r.killed)).toHaveLength(200);

    const ids = listIds(home);
    const acknowledged = results.filter((r) => r.ok);
    for (const r of acknowledged) expect(ids.has(r.id), r.id).toBe(true);
    // Every add that was not killed succeeded (waiting on a dead holder's lock included).
    for (const r of results.filter((x) => !x.killed)) expect(r.ok, r.id).toBe(true);
    // Some kills must have landed before the write and some after, or the test proved little.
    const killedOk = results.filter((r) => r.killed && ids.has(r.id)).length;
    expect(killedOk).toBeGreaterThan(0);
    expect(killedOk).toBeLessThan(200);
    // The vault is still a standard age file, and a later write works and cleans up.
    if (hasAge) {
      const age = spawnSync('age', ['-d', '-i', join(home, 'identity.txt'), join(home, 'vault.age')], {
        encoding: 'utf8',
      });
      expect(age.status).toBe(0);
      expect(JSON.parse(age.stdout).accounts.length).toBe(ids.size);
    }
    expect(await add(home, 'after', 1)).toBe(true);
    expect(readdirSync(home).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 300_000);

  it('8 processes × 25 adds at once: all 200 present, none lost', async () => {
    const home = newHome();
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const ok: boolean[] = [];
        for (let i = 0; i < 25; i++) {
          const r = await cliAsync(home, ['add', `w${w}-${i}`, '--uri', '-'], { input: uri(w * 25 + i) });
          ok.push(r.code === 0);
        }
        return ok;
      }),
    );
    expect(results.flat().every(Boolean)).toBe(true);
    const ids = listIds(home);
    expect(ids.size).toBe(200);
  }, 300_000);
});

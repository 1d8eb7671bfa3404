// A real redis-server (Debian's) on a free loopback port, for fleet-mode tests. No persistence:
// `restart()` comes back with an empty dataset, as a Redis that lost its data would.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';

export function haveRedis(): boolean {
  return spawnSync(REDIS_SERVER, ['--version']).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

export class RedisServer {
  #proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'totp-mcp-redis-'));
  port = 0;
  password: string | undefined;

  private constructor(password?: string) {
    this.password = password;
  }

  static async start(opts: { password?: string } = {}): Promise<RedisServer> {
    const r = new RedisServer(opts.password);
    r.port = await freePort();
    await r.#spawn();
    return r;
  }

  get url(): string {
    return this.password === undefined
      ? `redis://127.0.0.1:${this.port}/0`
      : `redis://default:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/0`;
  }

  async #spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--protected-mode', 'yes');
    if (this.password !== undefined) args.push('--requirepass', this.password);
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200; i++) {
      if (out.includes('Ready to accept connections')) return;
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server exited: ${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not start: ${out}`);
  }

  /** Every key and value as text, for leak scans. */
  dump(): string {
    const cli = (args: string[]): string =>
      spawnSync('redis-cli', ['-p', String(this.port), '--raw', ...args], {
        encoding: 'latin1',
        env: { ...process.env, REDISCLI_AUTH: this.password ?? '' },
      }).stdout;
    const read: Record<string, string[]> = {
      string: ['GET'],
      hash: ['HGETALL'],
      zset: ['ZRANGE', '0', '-1', 'WITHSCORES'],
      set: ['SMEMBERS'],
      list: ['LRANGE', '0', '-1'],
    };
    return cli(['--scan'])
      .split('\n')
      .filter(Boolean)
      .map((k) => {
        const how = read[cli(['TYPE', k]).trim()];
        return `${k}\n${how ? cli([how[0] ?? 'GET', k, ...how.slice(1)]) : '(unknown type)'}`;
      })
      .join('\n');
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => {
        resolve();
      });
      p.kill('SIGKILL');
    });
  }

  /** Stops and starts again on the same port, with nothing in it. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The coordinator on Redis (or Valkey): each guarantee is one atomic command or script on a single
 * primary. Time that decides anything (windows, the dataset's birth) is the Redis server's own, so
 * machines with skewed clocks still agree; `probe` reports the skew.
 */
import { randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES, type RedisClientType } from '@redis/client';
import { TotpMcpError } from '../core/errors.js';
import { type Coordinator, type CoordinatorSettings, redactUrl, unreachable } from './coordinator.js';

type Namer = { prefix: string; name: (kind: string, ...parts: string[]) => string };

// The server's clock in ms, for every script below.
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS[1] the scope's last spent step, KEYS[2] the dataset's birth; ARGV[1] step, ARGV[2] period.
 * Returns {1, step} when claimed, {0, spentThrough} when not. The birth key is written on first
 * use and never expires: a ledger key that is missing while the birth is younger than the step
 * means the dataset was lost since, so the step cannot be proven unused.
 */
const CLAIM = `${NOW}
local born = tonumber(redis.call('GET', KEYS[2]) or '-1')
if born < 0 then redis.call('SET', KEYS[2], now); born = now end
local step = tonumber(ARGV[1]); local period = tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
local floor = math.floor(born / period)
if last < floor then last = floor end
if step <= last then return {0, last} end
redis.call('SET', KEYS[1], step, 'PX', math.max(period * 4, 120000))
return {1, step}`;

/** The same reading without a claim. */
const SPENT = `${NOW}
local born = tonumber(redis.call('GET', KEYS[2]) or '-1')
if born < 0 then redis.call('SET', KEYS[2], now); born = now end
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
local floor = math.floor(born / tonumber(ARGV[1]))
if last < floor then return floor end
return last`;

/** KEYS[1] a sorted set of uses; ARGV[1] count, ARGV[2] window (ms), ARGV[3] a unique member. */
const RESERVE = `${NOW}
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3]); redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window}`;

const USED = `${NOW}
return redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf')`;

/** Compare-and-delete / compare-and-extend: only the holder's token releases or renews the lock. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

const LOCK_TTL_MS = 15_000;
const CONNECT_TIMEOUT_MS = 3_000;

export class RedisCoordinator implements Coordinator {
  readonly where: string;
  readonly prefix: string;
  readonly #client: RedisClientType;
  readonly #name: Namer['name'];
  readonly #born: string;

  private constructor(client: RedisClientType, where: string, namer: Namer) {
    this.#client = client;
    this.where = where;
    this.prefix = namer.prefix;
    this.#name = namer.name;
    this.#born = `${namer.prefix}born`;
  }

  static async connect(settings: CoordinatorSettings, namer: Namer): Promise<RedisCoordinator> {
    const where = redactUrl(settings.url);
    const client: RedisClientType = createClient({
      url: settings.url,
      ...(settings.password === undefined ? {} : { password: settings.password }),
      // Fail closed at once while disconnected; reconnect in the background with bounded back-off.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
      },
    });
    // node-redis emits connection errors as events; the failing command reports them to the caller.
    let lastError: unknown;
    client.on('error', (e: unknown) => {
      lastError = e;
    });
    try {
      await withDeadline(client.connect(), CONNECT_TIMEOUT_MS + 500);
    } catch (e) {
      client.destroy();
      if (/WRONGPASS|NOAUTH|invalid (username-)?password/i.test(`${String(e)} ${String(lastError)}`))
        throw new TotpMcpError('denied', `the fleet coordinator ${where} refused the credentials`, {
          hint: 'check the user and password in the URL, or the password file',
        });
      throw unreachable(where, e);
    }
    return new RedisCoordinator(client, where, namer);
  }

  async #do<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      if (e instanceof TotpMcpError) throw e;
      throw unreachable(this.where, e);
    }
  }

  #eval(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.#do(() => this.#client.eval(script, { keys, arguments: args.map(String) }));
  }

  async claimStep(
    scope: string,
    step: number,
    periodMs: number,
  ): Promise<{ claimed: true } | { claimed: false; spentThrough: number }> {
    const r = (await this.#eval(CLAIM, [this.#name('step', scope), this.#born], [step, periodMs])) as [number, number];
    return r[0] === 1 ? { claimed: true } : { claimed: false, spentThrough: r[1] };
  }

  async spentThrough(scope: string, periodMs: number): Promise<number> {
    return Number(await this.#eval(SPENT, [this.#name('step', scope), this.#born], [periodMs]));
  }

  async withLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs: number; signal?: AbortSignal }): Promise<T> {
    const key = this.#name('lock', name);
    const token = randomBytes(16).toString('hex');
    const deadline = Date.now() + opts.waitMs;
    for (let attempt = 0; ; attempt++) {
      const got = await this.#do(() =>
        this.#client.set(key, token, { condition: 'NX', expiration: { type: 'PX', value: LOCK_TTL_MS } }),
      );
      if (got === 'OK') break;
      opts.signal?.throwIfAborted();
      if (Date.now() >= deadline)
        throw new TotpMcpError('conflict', 'another machine of the fleet held the lock for too long', {
          hint: 'try again; if it persists, look for a stuck totp-mcp process on another machine',
        });
      await sleep(Math.min(10 * 2 ** Math.min(attempt, 4), 100) + Math.random() * 10);
    }
    // A long holder (an MFA step wait, an STS call) keeps the lock alive; a crashed one loses it.
    const renew = setInterval(() => {
      this.#client.eval(RENEW, { keys: [key], arguments: [token, String(LOCK_TTL_MS)] }).catch(() => undefined);
    }, LOCK_TTL_MS / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.#client.eval(RELEASE, { keys: [key], arguments: [token] }).catch(() => undefined);
    }
  }

  async getBlob(name: string): Promise<Buffer | null> {
    const key = this.#name('blob', name);
    const v = await this.#do(() => this.#client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(key));
    return v ?? null;
  }

  async putBlob(name: string, value: Uint8Array, expiresAtMs: number): Promise<void> {
    const key = this.#name('blob', name);
    await this.#do(() =>
      this.#client.set(key, Buffer.from(value), { expiration: { type: 'PXAT', value: Math.round(expiresAtMs) } }),
    );
  }

  async deleteBlob(name: string): Promise<void> {
    await this.#do(() => this.#client.del(this.#name('blob', name)));
  }

  async reserve(
    name: string,
    count: number,
    windowMs: number,
  ): Promise<{ ok: true } | { ok: false; freesAtMs: number }> {
    const member = randomBytes(12).toString('hex');
    const r = (await this.#eval(RESERVE, [this.#name('uses', name)], [count, windowMs, member])) as [number, number];
    return r[0] === 1 ? { ok: true } : { ok: false, freesAtMs: r[1] };
  }

  async used(name: string, windowMs: number): Promise<number> {
    return Number(await this.#eval(USED, [this.#name('uses', name)], [windowMs]));
  }

  async remember(name: string, untilMs: number): Promise<void> {
    await this.#do(() =>
      this.#client.set(this.#name('yes', name), '1', { expiration: { type: 'PXAT', value: Math.round(untilMs) } }),
    );
  }

  async recall(name: string): Promise<boolean> {
    return (await this.#do(() => this.#client.exists(this.#name('yes', name)))) === 1;
  }

  async publishHead(machine: string, head: string): Promise<void> {
    await this.#do(() => this.#client.hSet(`${this.prefix}witness`, this.#name('machine', machine), head));
  }

  async headOf(machine: string): Promise<string | null> {
    const v = await this.#do(() => this.#client.hGet(`${this.prefix}witness`, this.#name('machine', machine)));
    return v ?? null;
  }

  async probe(): Promise<{ version: string; rttMs: number; clockOffsetMs: number }> {
    const info = await this.#do(() => this.#client.info('server'));
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? /valkey_version:([^\r\n]+)/.exec(info)?.[1] ?? '?';
    const t0 = Date.now();
    const [sec, micro] = await this.#do(() => this.#client.time());
    const t1 = Date.now();
    const server = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    return { version, rttMs: t1 - t0, clockOffsetMs: server - (t0 + t1) / 2 };
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('connect timeout'));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

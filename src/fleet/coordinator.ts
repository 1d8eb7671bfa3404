/**
 * The fleet coordinator: the shared state that lets several machines (CI runners, laptops) use one
 * MFA device and one rate limit without breaking each other. This file is what the app sees; the
 * Redis client lives in ./redis.ts and is imported only when a coordinator is configured, so the
 * local path never loads it.
 *
 * Every key is under a prefix derived from a vault-held key, and every name in a key (MFA serial,
 * account, rule, approval subject) is an HMAC under that key: two vaults never collide, and
 * someone who reads Redis without the vault learns no account names. Values are either public
 * (step numbers, timestamps) or ciphertext the caller sealed.
 */
import { createHmac } from 'node:crypto';
import { TotpMcpError } from '../core/errors.js';

export interface Coordinator {
  /** The URL without credentials, for messages. */
  readonly where: string;
  /** The key prefix (already hashed), for `doctor`. */
  readonly prefix: string;

  /**
   * Spends `step` of `scope` (an MFA serial or a TOTP account) for the whole fleet, unless it or a
   * later step was spent already. When the coordinator cannot prove the step unused (its dataset
   * is younger than the step: Redis restarted empty), the step is refused too. On refusal,
   * `spentThrough` is the last step the caller must treat as spent.
   */
  claimStep(
    scope: string,
    step: number,
    periodMs: number,
  ): Promise<{ claimed: true } | { claimed: false; spentThrough: number }>;

  /** The last step spent for `scope` as far as the fleet knows (-1: none, and provably so since then). */
  spentThrough(scope: string, periodMs: number): Promise<number>;

  /** Runs `fn` holding the fleet-wide lock `name` (single flight). Waits at most `waitMs`. */
  withLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs: number; signal?: AbortSignal }): Promise<T>;

  /** A sealed blob, or null. */
  getBlob(name: string): Promise<Buffer | null>;
  /** Stores a sealed blob until `expiresAtMs` (absolute, ms since the epoch). */
  putBlob(name: string, value: Uint8Array, expiresAtMs: number): Promise<void>;
  deleteBlob(name: string): Promise<void>;

  /**
   * One use of a `count` per `windowMs` limit, counted across the fleet: reserved and true when
   * fewer than `count` uses fall in the window, else false with the instant the oldest leaves it.
   */
  reserve(name: string, count: number, windowMs: number): Promise<{ ok: true } | { ok: false; freesAtMs: number }>;
  /** Uses of `name` in the last `windowMs`. */
  used(name: string, windowMs: number): Promise<number>;

  /** Remembers a yes until `untilMs`; `recall` says whether one is still remembered. */
  remember(name: string, untilMs: number): Promise<void>;
  recall(name: string): Promise<boolean>;

  /** The audit witness: each machine's last published head (opaque text, MAC'd by the caller). */
  publishHead(machine: string, head: string): Promise<void>;
  headOf(machine: string): Promise<string | null>;

  /** Reachability, server version, round trip and the server's clock against this machine's. */
  probe(): Promise<{ version: string; rttMs: number; clockOffsetMs: number }>;

  close(): Promise<void>;
}

export interface CoordinatorSettings {
  url: string;
  /** Read from a file (never from argv) when the URL carries no password. */
  password?: string | undefined;
}

/** `redis://user:secret@host:6379/0` → `redis://host:6379/0`: messages never carry credentials. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(an unparsable coordinator URL)';
  }
}

/** Checks the URL's shape; fixed text, never the URL's credentials. */
export function checkCoordinatorUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TotpMcpError('usage', 'the coordinator is not a URL', { hint: 'use redis://host:6379/0 or rediss://…' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new TotpMcpError('usage', `the coordinator URL must start with redis:// or rediss://, not ${u.protocol}//`, {
      hint: 'Redis or Valkey: redis://host:6379/0 (rediss:// for TLS)',
    });
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db))
    throw new TotpMcpError('usage', 'the coordinator URL names a database that is not a number', {
      hint: 'redis://host:6379/0',
    });
}

/**
 * Key names from a vault-held key. The prefix is a Redis hash tag (`{…}`), so every key of one
 * vault lands in one Cluster slot and the atomic scripts may touch several of them.
 */
export function keyNamer(vaultKey: Uint8Array): { prefix: string; name: (kind: string, ...parts: string[]) => string } {
  const mac = (label: string): string => createHmac('sha256', vaultKey).update(label).digest('hex').slice(0, 32);
  const prefix = `totp-mcp:{${mac('fleet prefix v1')}}:`;
  return {
    prefix,
    name: (kind, ...parts) => `${prefix}${kind}:${mac(`${kind}\0${parts.join('\0')}`)}`,
  };
}

/** The error every fleet operation gives when Redis cannot be reached: fails closed, names where. */
export function unreachable(where: string, cause?: unknown): TotpMcpError {
  // Written for an agent too (kind set): it names the URL without credentials, so an agent can say why.
  return new TotpMcpError('io', `the fleet coordinator ${where} cannot be reached`, {
    kind: 'internal',
    hint: 'nothing that must be single-use is served without it; check the server, or `totp-mcp doctor`',
    cause,
  });
}

/** Opens the configured coordinator; the Redis client is loaded here, on first use only. */
export async function openCoordinator(settings: CoordinatorSettings, vaultKey: Uint8Array): Promise<Coordinator> {
  checkCoordinatorUrl(settings.url);
  const { RedisCoordinator } = await import('./redis.js');
  return RedisCoordinator.connect(settings, keyNamer(vaultKey));
}

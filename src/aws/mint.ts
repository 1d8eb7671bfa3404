/**
 * Getting a session: cache first, then one minting process per MFA serial (a cross-process lock),
 * the step ledger, STS, back-off, and the cache updated before the lock is released.
 *
 *   read cache (no lock) → fresh? done
 *   lock(serial) → read cache again → fresh? done (another process minted it)
 *     → plan → [claim a fresh step → code → STS → record the step if STS answered] → cache → unlock
 *
 * A rejected fresh code is retried once on the next step (another tool may have spent it); two
 * rejections in a row end with a message that points at the seed or the clock.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { TotpMcpError } from '../core/errors.js';
import { withLock } from '../core/lock.js';
import type { Coordinator } from '../fleet/coordinator.js';
import type { Redacted } from '../core/redacted.js';
import { awsReason, classify, mapStsError, twiceRejected, type MapContext } from './errors.js';
import { ensureRealDir } from '../core/fs.js';
import { readLedger, recordStep, waitForFreshStep } from './ledger.js';
import { planSession, type Plan, type SessionRequest } from './planner.js';
import { usableFor, pick, withSession, withoutSession, type CacheDoc, type Session } from './session.js';
import type { IssuedCredentials, MfaInput, SigningKeys, StsApi, StsResult, StsTarget } from './sts-api.js';

export interface CacheStore {
  /** The cache for the serial, or null (missing or unreadable: a damaged cache is ignored). */
  read(): Promise<CacheDoc | null>;
  write(doc: CacheDoc): Promise<void>;
}

export interface MintEnv {
  clock: Clock;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** `<state>/aws`: locks and ledgers. */
  dir: string;
  cache: CacheStore;
  /** Loaded only when a call must be made. */
  sts(): Promise<StsApi>;
  /** The long-term keys, resolved only for MFA-bearing calls. */
  source(): Promise<SigningKeys>;
  /** The TOTP code of the account for a step. */
  code(step: number): Redacted;
  periodMs: number;
  region: string;
  /** For messages: where STS is. */
  endpoint?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Progress for a person (waiting for a step, retrying); never a secret. */
  progress?: ((message: string) => void) | undefined;
  /** Longest wait for the serial's lock (default 150 s: two steps of waiting plus calls). */
  lockTimeoutMs?: number | undefined;
  random?: (() => number) | undefined;
  /** A warning for a person (clock skew); never a secret. */
  warn?: ((message: string) => void) | undefined;
  /** The local clock minus STS's Date header (ms), each time one is measured (for `doctor`). */
  onSkew?: ((skewMs: number) => void) | undefined;
  /**
   * Fleet mode (issue 15): the step ledger and the single-flight lock shared with the other
   * machines, on top of the local ones (which still count: the larger spent step wins).
   */
  fleet?: Pick<Coordinator, 'withLock' | 'claimStep'> | null | undefined;
}

/** Beyond this, the clock is worth a warning: TOTP steps are 30 s and AWS tolerates little drift. */
export const SKEW_WARN_MS = 10_000;

/** A fingerprint of a key pair (kept in the authenticated, encrypted cache): never the secret. */
const keysFingerprint = (k: SigningKeys): string =>
  createHash('sha256')
    .update(`totp-mcp keys checked\0${k.access_key_id}\0${k.secret_access_key.reveal()}`)
    .digest('base64url');

export interface Obtained {
  session: Session;
  /** Minted by this call (false: from the cache). */
  minted: boolean;
  /** The MFA step spent, if any. */
  step: number | null;
  plan: Plan;
  /** A refresh failed and a still-valid (> 5 min) cached session was served instead. */
  refresh_failed: TotpMcpError | null;
}

/** File names for a serial: a hash, so any serial is a safe name. */
export const serialKey = (serial: string): string => createHash('sha256').update(serial).digest('hex').slice(0, 24);
export const lockPathFor = (dir: string, serial: string): string => join(dir, `${serialKey(serial)}.lock`);
export const ledgerPathFor = (dir: string, serial: string): string => join(dir, `${serialKey(serial)}.ledger.json`);
export const cachePathFor = (dir: string, serial: string): string => join(dir, `${serialKey(serial)}.sessions.age`);

const MAX_THROTTLE_RETRIES = 4;

function backoffMs(attempt: number, random: () => number): number {
  // full jitter: uniform in [0, min(cap, base·2^n)], with a floor so retries are never instant
  const ceiling = Math.min(8_000, 250 * 2 ** attempt);
  return 100 + Math.floor(random() * ceiling);
}

/** A session for `req`: from the cache when fresh, else minted under the serial's lock. */
export async function obtainSession(env: MintEnv, req: SessionRequest): Promise<Obtained> {
  const first = await env.cache.read();
  const plan0 = planSession(req, first, env.clock.now());
  if (plan0.reuse) return { session: plan0.reuse, minted: false, step: null, plan: plan0, refresh_failed: null };
  await ensureRealDir(env.dir, { levels: 2 }); // state/ and state/aws: real folders, never links
  const serial = req.config.mfa_serial;
  const fleet = env.fleet;
  const lockWaitMs = env.lockTimeoutMs ?? 150_000;
  // Local lock first (one waiter per machine on the fleet lock), then the fleet's.
  const underFleetLock = <T>(fn: () => Promise<T>): Promise<T> =>
    fleet
      ? fleet.withLock(`aws\0${serial}`, fn, { waitMs: lockWaitMs, ...(env.signal && { signal: env.signal }) })
      : fn();
  const reuse = async (): Promise<Obtained | null> => {
    // Another machine may have minted while this one waited for its local lock: no fleet lock then.
    const seen = await env.cache.read();
    const p = planSession(req, seen, env.clock.now());
    return p.reuse ? { session: p.reuse, minted: false, step: null, plan: p, refresh_failed: null } : null;
  };
  return withLock(
    lockPathFor(env.dir, serial),
    async () =>
      (fleet ? await reuse() : null) ??
      underFleetLock(async () => {
        const doc = await env.cache.read();
        const now = env.clock.now();
        const plan = planSession(req, doc, now);
        if (plan.reuse) return { session: plan.reuse, minted: false, step: null, plan, refresh_failed: null };
        const fallback = pick(doc, (s) => usableFor(s, plan.want, now));
        try {
          return await mint(env, req, doc, plan);
        } catch (e) {
          if (fallback && isTotpMcpErrorLike(e) && !env.signal?.aborted) {
            env.progress?.(
              `refresh failed (${e.message}); serving the cached session, valid until ${new Date(fallback.expires).toISOString()}`,
            );
            return { session: fallback, minted: false, step: null, plan, refresh_failed: e };
          }
          throw e;
        }
      }),
    { timeoutMs: lockWaitMs, ...(env.signal && { signal: env.signal }) },
  );
}

const isTotpMcpErrorLike = (e: unknown): e is TotpMcpError => e instanceof TotpMcpError;

interface Ctx {
  env: MintEnv;
  req: SessionRequest;
  target: StsTarget;
  ledgerPath: string;
  random: () => number;
  step: number | null;
  sts: StsApi;
  skewWarned: boolean;
}

/** Compares this clock with the Date of STS's last answer: a warning past 10 s. */
function noteSkew(c: Ctx): void {
  const date = c.sts.lastServerDate?.() ?? null;
  if (date === null) return;
  const skew = c.env.clock.now() - date;
  c.env.onSkew?.(skew);
  if (Math.abs(skew) <= SKEW_WARN_MS || c.skewWarned) return;
  c.skewWarned = true;
  const s = Math.round(Math.abs(skew) / 1000);
  c.env.warn?.(
    `this computer's clock is ${s} s ${skew > 0 ? 'ahead of' : 'behind'} AWS's (STS's Date header): MFA codes follow the clock, so AWS may reject them; fix the clock (NTP)`,
  );
}

async function mint(env: MintEnv, req: SessionRequest, doc: CacheDoc | null, plan: Plan): Promise<Obtained> {
  if (plan.reuse) return { session: plan.reuse, minted: false, step: null, plan, refresh_failed: null };
  const sts = await env.sts();
  const c: Ctx = {
    env,
    req,
    target: { region: env.region },
    ledgerPath: ledgerPathFor(env.dir, req.config.mfa_serial),
    random: env.random ?? Math.random,
    step: null,
    sts,
    skewWarned: false,
  };
  let cache = doc;
  /**
   * The long-term keys, checked with GetCallerIdentity (no MFA) before an MFA code is spent on
   * them: a wrong secret then costs no code and no wait. Checked once per key pair: the cache
   * remembers the pair's fingerprint.
   */
  let checked: SigningKeys | null = null;
  const longTermKeys = async (): Promise<SigningKeys> => {
    if (checked) return checked;
    const keys = await env.source();
    const fp = keysFingerprint(keys);
    if (cache?.keys_checked !== fp) {
      await retrying(c, 'GetCallerIdentity', () => sts.getCallerIdentity(c.target, keys));
      cache = { ...(cache ?? { v: 1, serial: req.config.mfa_serial, sessions: [] }), keys_checked: fp };
    }
    checked = keys;
    return keys;
  };
  const store = async (s: Session): Promise<void> => {
    cache = withSession(cache, req.config.mfa_serial, s, env.clock.now());
    await env.cache.write(cache);
  };

  let chainFrom = plan.chain_from;
  for (const step of plan.steps) {
    if (step.call === 'GetSessionToken') {
      const keys = await longTermKeys();
      const got = await mfaCall(c, 'GetSessionToken', (mfa) =>
        sts.getSessionToken(c.target, keys, { duration: step.duration, mfa }),
      );
      const who = await retrying(c, 'GetCallerIdentity', () => sts.getCallerIdentity(c.target, sessionKeys(got))).catch(
        () => null,
      );
      const s = sessionOf(got, {
        kind: 'mfa-session',
        role_arn: null,
        session_name: null,
        source_identity: null,
        duration: step.duration,
        arn: who?.arn ?? '',
        account_id: who?.account_id ?? req.config.account_id ?? '',
        with_mfa: true,
        issued: env.clock.now(),
      });
      await store(s);
      chainFrom = s;
      if (!req.role) return { session: s, minted: true, step: c.step, plan, refresh_failed: null };
    } else {
      const role = req.role;
      if (!role) throw new TotpMcpError('internal', 'plan without a role');
      const params = {
        roleArn: role.arn,
        sessionName: req.session_name,
        sourceIdentity: role.source_identity ? req.source_identity : null,
        externalId: role.external_id,
        duration: step.duration,
      };
      let got: IssuedCredentials & { arn: string; account_id: string };
      if (step.mfa) {
        const keys = await longTermKeys();
        got = await mfaCall(c, 'AssumeRole', (mfa) => sts.assumeRole(c.target, keys, { ...params, mfa }));
      } else {
        const from = chainFrom;
        if (!from) throw new TotpMcpError('internal', 'no MFA session to chain from');
        try {
          got = await retrying(c, 'AssumeRole', () =>
            sts.assumeRole(c.target, sessionKeys(from), { ...params, mfa: null }),
          );
        } catch (e) {
          // A cached MFA session that AWS no longer accepts (expired early, revoked): drop it and plan again, once.
          if (from === plan.chain_from && cache && (awsReason(e) === 'expired' || awsReason(e) === 'invalid_key')) {
            cache = withoutSession(cache, from);
            await env.cache.write(cache);
            const again = planSession(req, cache, env.clock.now());
            env.progress?.('the cached MFA session was refused by AWS: minting a new one');
            return mint(env, req, cache, again);
          }
          throw e;
        }
      }
      const s = sessionOf(got, {
        kind: 'role',
        role_arn: role.arn,
        session_name: req.session_name,
        source_identity: params.sourceIdentity,
        duration: step.duration,
        arn: got.arn,
        account_id: got.account_id,
        with_mfa: step.mfa,
        issued: env.clock.now(),
      });
      await store(s);
      return { session: s, minted: true, step: c.step, plan, refresh_failed: null };
    }
  }
  throw new TotpMcpError('internal', 'empty plan');
}

const sessionKeys = (s: {
  access_key_id: string;
  secret_access_key: Redacted;
  session_token: Redacted;
}): SigningKeys => ({
  access_key_id: s.access_key_id,
  secret_access_key: s.secret_access_key,
  session_token: s.session_token,
});

function sessionOf(
  got: IssuedCredentials,
  meta: Omit<Session, 'access_key_id' | 'secret_access_key' | 'session_token' | 'expires'>,
): Session {
  return {
    ...meta,
    access_key_id: got.access_key_id,
    secret_access_key: got.secret_access_key,
    session_token: got.session_token,
    expires: got.expires,
  };
}

function mapCtx(c: Ctx, call: MapContext['call']): MapContext {
  return {
    call,
    serial: c.req.config.mfa_serial,
    roleArn: c.req.role?.arn,
    endpoint: c.env.endpoint,
    now: c.env.clock.now(),
  };
}

/** A call without an MFA code: retried on throttling, 5xx and network failures, with jittered back-off. */
async function retrying<T>(c: Ctx, call: MapContext['call'], fn: () => Promise<StsResult<T>>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = await fn();
    noteSkew(c);
    if (r.ok) return r.value;
    const kind = classify(r.failure);
    if ((kind === 'throttled' || kind === 'unreachable') && attempt < MAX_THROTTLE_RETRIES) {
      const ms = backoffMs(attempt, c.random);
      c.env.progress?.(
        `STS ${kind === 'throttled' ? 'throttled' : 'unreachable'}: retrying ${call} in ${(ms / 1000).toFixed(1)} s`,
      );
      await c.env.sleep(ms, c.env.signal);
      continue;
    }
    throw mapStsError(r.failure, mapCtx(c, call));
  }
}

/**
 * An MFA-bearing call: a fresh step from the ledger, recorded once STS answered. Retries once on
 * a rejected code (next step), and on throttling / network failures with back-off (a new step
 * when the old one reached STS).
 */
async function mfaCall<T>(
  c: Ctx,
  call: 'GetSessionToken' | 'AssumeRole',
  fn: (mfa: MfaInput) => Promise<StsResult<T>>,
): Promise<T> {
  const { env } = c;
  const serial = c.req.config.mfa_serial;
  const rejected: number[] = [];
  let transient = 0;
  let fleetSpent = -1; // what the fleet's ledger said when it refused a step
  for (;;) {
    const last = Math.max(await readLedger(c.ledgerPath, serial), fleetSpent);
    const step = await waitForFreshStep(
      last,
      env.periodMs,
      { now: () => env.clock.now(), sleep: (ms, signal) => env.sleep(ms, signal) },
      {
        maxWaitMs: 2 * env.periodMs + 2_000,
        signal: env.signal,
        onWait: (ms) =>
          env.progress?.(
            `waiting ${Math.ceil(ms / 1000)} s for the next MFA code (this step's code was already sent to AWS)`,
          ),
      },
    );
    if (env.fleet) {
      // Claimed for the whole fleet before the code exists: a step another machine spent (or one
      // a Redis that lost its data cannot prove unused) is never sent; wait for the next one.
      const claim = await env.fleet.claimStep(`aws\0${serial}`, step, env.periodMs);
      if (!claim.claimed) {
        fleetSpent = Math.max(fleetSpent, claim.spentThrough);
        continue;
      }
    }
    const r = await fn({ serial, code: env.code(step) });
    noteSkew(c);
    if (r.ok) {
      await recordStep(c.ledgerPath, serial, step, env.clock.now());
      c.step = step;
      return r.value;
    }
    const e = r.failure;
    if (e.answered) await recordStep(c.ledgerPath, serial, step, env.clock.now());
    const kind = classify(e);
    if (kind === 'mfa_code_rejected') {
      rejected.push(step);
      if (rejected.length === 1) {
        env.progress?.(
          `AWS rejected the code of step ${step} (another tool may have used it): retrying once with the next step`,
        );
        continue;
      }
      throw twiceRejected(serial, rejected, e, env.clock.now());
    }
    if ((kind === 'throttled' || kind === 'unreachable') && transient < MAX_THROTTLE_RETRIES) {
      const ms = backoffMs(transient++, c.random);
      env.progress?.(
        `STS ${kind === 'throttled' ? 'throttled' : 'unreachable'}: retrying ${call} in ${(ms / 1000).toFixed(1)} s`,
      );
      await env.sleep(ms, env.signal);
      continue;
    }
    throw mapStsError(e, mapCtx(c, call));
  }
}

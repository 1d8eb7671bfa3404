/**
 * STS sessions and the session cache's content (per MFA serial). Pure: encryption and files are
 * the caller's (the cache is age-encrypted by app/, with vault/ functions).
 *
 * Freshness rules:
 * - reuse a session while more than `refreshMargin` remains (15 min; half the session for
 *   sessions shorter than 30 min, so a 15-minute session is not "stale" the moment it is minted);
 * - between that and 5 minutes, refresh it (under the lock); if the refresh fails, the old one
 *   may still be served;
 * - never hand out a session with 5 minutes or less left: the JS SDK treats it as expired.
 * A cached session serves only a request for the same kind, role, duration, and (for a role
 * session, which carries the agent's name) the same agent: a 4-hour request never gets a
 * 1-hour session, and a policy cap is never exceeded by a longer-lived cached one.
 */
import { Redacted } from '../core/redacted.js';

export const REFRESH_MARGIN_MS = 15 * 60_000;
export const MIN_REMAINING_MS = 5 * 60_000;
/** A session may outlive the asked duration by this much and still be served for it (clock steps, rounding). */
export const DURATION_TOLERANCE_MS = 60_000;

export interface Credentials {
  access_key_id: string;
  secret_access_key: Redacted;
  session_token: Redacted;
}

export interface Session extends Credentials {
  /** `mfa-session`: GetSessionToken (shared per serial); `role`: AssumeRole. */
  kind: 'mfa-session' | 'role';
  role_arn: string | null;
  /** RoleSessionName (and SourceIdentity, when sent); null for an mfa-session. */
  session_name: string | null;
  source_identity: string | null;
  /** Seconds asked for. */
  duration: number;
  /** ms since the epoch. */
  issued: number;
  expires: number;
  /** The identity: the assumed-role ARN, or the IAM user's ARN. */
  arn: string;
  account_id: string;
  /** Minted with an MFA code in this very call (AssumeRole with MFA, or GetSessionToken). */
  with_mfa: boolean;
}

export interface CacheDoc {
  v: 1;
  serial: string;
  sessions: Session[];
  /** A fingerprint of the long-term keys GetCallerIdentity accepted (checked once per key pair). */
  keys_checked?: string | undefined;
}

export const refreshMargin = (s: Pick<Session, 'duration'>): number =>
  Math.max(MIN_REMAINING_MS, Math.min(REFRESH_MARGIN_MS, (s.duration * 1000) / 2));

/** What a request needs from the cache. */
export interface SessionWant {
  kind: 'mfa-session' | 'role';
  role_arn: string | null;
  session_name: string | null;
  /** Longest lifetime the caller may receive (requested or capped), in seconds. */
  duration: number;
}

/** Same kind, role, agent (role sessions carry the agent's name) and asked duration. */
const matches = (s: Session, w: SessionWant): boolean =>
  s.kind === w.kind &&
  s.role_arn === w.role_arn &&
  s.duration === w.duration &&
  (w.kind === 'mfa-session' || s.session_name === w.session_name);

/** Serveable for `w` now: fresh (over the refresh margin) and no longer-lived than allowed. */
export function freshFor(s: Session, w: SessionWant, now: number): boolean {
  return (
    matches(s, w) && s.expires - now > refreshMargin(s) && s.expires <= now + w.duration * 1000 + DURATION_TOLERANCE_MS
  );
}

/** Still serveable if a refresh fails: over 5 minutes left, and no longer-lived than allowed. */
export function usableFor(s: Session, w: SessionWant, now: number): boolean {
  return (
    matches(s, w) && s.expires - now > MIN_REMAINING_MS && s.expires <= now + w.duration * 1000 + DURATION_TOLERANCE_MS
  );
}

/** The longest-lived session in `doc` that `pred` accepts. */
export function pick(doc: CacheDoc | null, pred: (s: Session) => boolean): Session | null {
  let best: Session | null = null;
  for (const s of doc?.sessions ?? []) if (pred(s) && (best === null || s.expires > best.expires)) best = s;
  return best;
}

/**
 * An mfa-session that can sign an AssumeRole now: one that will outlive the call comfortably.
 * Its own lifetime does not limit the role session's.
 */
export const chainSource = (doc: CacheDoc | null, now: number): Session | null =>
  pick(doc, (s) => s.kind === 'mfa-session' && s.expires - now > MIN_REMAINING_MS);

/** `doc` with `add` stored, replacing sessions it supersedes, and expired ones dropped. */
export function withSession(doc: CacheDoc | null, serial: string, add: Session, now: number): CacheDoc {
  const keep = (doc?.sessions ?? []).filter(
    (s) =>
      s.expires > now &&
      !(
        s.kind === add.kind &&
        s.role_arn === add.role_arn &&
        s.session_name === add.session_name &&
        s.duration === add.duration
      ),
  );
  // Bound the file: at most 64 sessions, the longest-lived kept.
  const sessions = [...keep, add].sort((a, b) => b.expires - a.expires).slice(0, 64);
  return { v: 1, serial, sessions, ...(doc?.keys_checked !== undefined && { keys_checked: doc.keys_checked }) };
}

export const withoutSession = (doc: CacheDoc, drop: Session): CacheDoc => ({
  ...doc,
  sessions: doc.sessions.filter((s) => s !== drop),
});

// ---- (de)serialisation: the plaintext inside the encrypted cache file ----

export function serializeCache(doc: CacheDoc): string {
  return JSON.stringify({
    v: 1,
    serial: doc.serial,
    ...(doc.keys_checked !== undefined && { keys_checked: doc.keys_checked }),
    sessions: doc.sessions.map((s) => ({
      ...s,
      secret_access_key: s.secret_access_key.reveal(),
      session_token: s.session_token.reveal(),
    })),
  });
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const strOrNull = (x: unknown): x is string | null => x === null || isStr(x);

function parseSession(x: unknown): Session | null {
  if (typeof x !== 'object' || x === null) return null;
  const s = x as Record<string, unknown>;
  const {
    kind,
    role_arn,
    session_name,
    source_identity,
    duration,
    issued,
    expires,
    arn,
    account_id,
    with_mfa,
    access_key_id,
    secret_access_key,
    session_token,
  } = s;
  if (kind !== 'mfa-session' && kind !== 'role') return null;
  if (!strOrNull(role_arn) || !strOrNull(session_name) || !strOrNull(source_identity)) return null;
  if (
    !isNum(duration) ||
    !isNum(issued) ||
    !isNum(expires) ||
    !isStr(arn) ||
    !isStr(account_id) ||
    typeof with_mfa !== 'boolean'
  )
    return null;
  if (
    !isStr(access_key_id) ||
    !isStr(secret_access_key) ||
    !isStr(session_token) ||
    access_key_id === '' ||
    secret_access_key === '' ||
    session_token === ''
  )
    return null;
  return {
    kind,
    role_arn,
    session_name,
    source_identity,
    duration,
    issued,
    expires,
    arn,
    account_id,
    with_mfa,
    access_key_id,
    secret_access_key: new Redacted(secret_access_key),
    session_token: new Redacted(session_token),
  };
}

/** The cache for `serial`, or null when the text is not one (a damaged file is ignored, never fatal). */
export function parseCache(text: string, serial: string): CacheDoc | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const d = doc as Record<string, unknown>;
  if (d['v'] !== 1 || d['serial'] !== serial || !Array.isArray(d['sessions'])) return null;
  const sessions: Session[] = [];
  for (const x of d['sessions'] as unknown[]) {
    const s = parseSession(x);
    if (s) sessions.push(s);
  }
  const checked = d['keys_checked'];
  return { v: 1, serial, sessions, ...(typeof checked === 'string' && { keys_checked: checked }) };
}

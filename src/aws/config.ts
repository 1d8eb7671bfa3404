/**
 * The `aws` block of an account, its validation, and the input checks
 * of `aws setup`: MFA serials, role ARNs, durations, regions, profile names, session names.
 *
 * The vault stores the block as JSON, as-is; `parseAwsBlock` is the one reader. Messages are fixed
 * text and never quote a key or a secret (an ARN or a serial may be shown: they are identifiers).
 */
import { fail, TotpMcpError } from '../core/errors.js';
import { checkDuration, formatDuration } from '../core/duration.js';
import { Redacted } from '../core/redacted.js';

/** Durations (seconds): the bounds STS enforces, checked here so a bad value fails before any call. */
export const MIN_DURATION = 900;
export const SESSION_TOKEN_MAX = 129_600; // GetSessionToken, IAM user: 36 h
export const SESSION_TOKEN_DEFAULT = 43_200; // 12 h
export const ROOT_SESSION_MAX = 3_600; // GetSessionToken, root
export const CHAINED_MAX = 3_600; // any AssumeRole signed with session credentials
export const ROLE_DEFAULT = 3_600;
export const ROLE_MAX_CEILING = 43_200; // MaxSessionDuration: 1–12 h

export type SourceSpec =
  | { kind: 'vault'; access_key_id: string; secret_access_key: Redacted }
  | { kind: 'profile'; profile: string }
  | { kind: 'default' };

export interface RoleConfig {
  /** The name used in policy (`aws.roles`), in requests and in profile names. */
  name: string;
  arn: string;
  /** Session length when a request names none (default 1 h). */
  duration: number;
  /** The role's MaxSessionDuration as configured in IAM (default 1 h; 1–12 h). */
  max_duration: number;
  external_id?: string | undefined;
  /** Send the agent's name as SourceIdentity (the trust policy must allow sts:SetSourceIdentity). */
  source_identity: boolean;
}

export interface AwsConfig {
  mfa_serial: string;
  /** The AWS account of the MFA device, when the serial is an ARN. */
  account_id: string | null;
  region: string | null;
  /** Root user's device: GetSessionToken is capped at 1 h. */
  root: boolean;
  source: SourceSpec;
  /** GetSessionToken length when a request names none. */
  session_duration: number;
  roles: Map<string, RoleConfig>;
  /**
   * Passphrase-only vaults have no recipients to encrypt the session cache to: they keep a
   * dedicated age identity here (inside the encrypted vault) for that purpose.
   */
  cache_identity: Redacted | null;
}

// ---- identifiers ----

const MFA_ARN = new RegExp(`^arn:${AWS_PARTITION}:iam::(\\d{12}):mfa/([\\w+=,.@/-]{1,512})$`);
const U2F_ARN = /^arn:[\w-]*:iam::\d{12}:u2f\//;
/** Hardware TOTP tokens: a vendor serial such as GAHT12345678. */
const HARDWARE_SERIAL = /^[A-Z0-9]{9,64}$/;
/** Role names as policy names them (policy/schema.ts). */
import { AWS_PARTITION, ROLE_ARN, ROLE_NAME } from '../core/vocab.js';
export { ROLE_NAME };
export const REGION = /^[a-z]{2}(?:-[a-z]+){1,3}-\d{1,2}$/;
/** A shared-config profile: no whitespace, brackets, comment or assignment characters. */
export const PROFILE_NAME = /^[A-Za-z0-9_.+@:/-]{1,128}$/;
const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{12,124}$/;
const TEMP_KEY_ID = /^ASIA[A-Z0-9]{12,124}$/;
const SECRET_KEY = /^[A-Za-z0-9/+=]{30,128}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SESSION_NAME_CHARS = /[^\w+=,.@-]/g;

const usage = (message: string, hint?: string): never =>
  fail('usage', message, hint === undefined ? undefined : { hint });

/** Validates an MFA serial: a virtual device ARN or a hardware serial. Refuses security keys. */
export function checkMfaSerial(serial: string): { serial: string; account_id: string | null; root: boolean } {
  const s = serial.trim();
  if (U2F_ARN.test(s)) {
    usage(
      'that MFA device is a FIDO security key (:u2f/): AWS accepts security keys only in the console, never for STS API calls',
      'register a virtual (authenticator app) MFA device for the user and use its arn:aws:iam::ACCOUNT:mfa/NAME',
    );
  }
  const m = MFA_ARN.exec(s);
  if (m)
    return { serial: s, account_id: m[1] as string, root: /(?:^|\/)root-account-mfa-device$/.test(m[2] as string) };
  if (HARDWARE_SERIAL.test(s)) return { serial: s, account_id: null, root: false };
  if (/^arn:[\w-]*:iam::\d{12}:user\//.test(s)) {
    usage(
      'that is a user ARN, not an MFA device ARN',
      'the device ARN looks like arn:aws:iam::ACCOUNT:mfa/DEVICE-NAME (the device name is chosen at registration and may differ from the user name)',
    );
  }
  return usage(
    'invalid MFA serial: expected arn:aws:iam::123456789012:mfa/DEVICE-NAME, or a hardware token serial such as GAHT12345678',
  );
}

export function checkRoleArn(arn: string): { arn: string; account_id: string; name: string } {
  const m = ROLE_ARN.exec(arn.trim());
  if (!m || arn.length > 2048)
    return usage('invalid role ARN: expected arn:aws:iam::123456789012:role/NAME (optionally with a path)');
  return { arn: arn.trim(), account_id: m[1] as string, name: m[3] as string };
}

export function checkRegion(region: string): string {
  if (!REGION.test(region)) usage('invalid region: expected a name such as eu-west-1 or us-gov-west-1');
  return region;
}

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name))
    usage('invalid profile name: use letters, digits and _ . + @ : / - (at most 128, no spaces or brackets)');
  return name;
}

export function checkRoleName(name: string): string {
  if (!ROLE_NAME.test(name)) usage('invalid role name: use letters, digits and + = , . @ _ - (at most 64)');
  return name;
}

export function checkAccessKeyId(id: string): string {
  const v = id.trim();
  if (TEMP_KEY_ID.test(v)) {
    usage(
      'that access key id (ASIA…) belongs to temporary credentials: GetSessionToken needs an IAM user’s long-term key (AKIA…)',
    );
  }
  if (!ACCESS_KEY_ID.test(v))
    usage('invalid access key id: expected an IAM user’s long-term key id, AKIA followed by 16 letters and digits');
  return v;
}

export function checkSecretAccessKey(secret: Redacted): Redacted {
  const v = secret.reveal().trim();
  if (!SECRET_KEY.test(v)) usage('invalid secret access key: expected 40 characters of letters, digits, + / =');
  return new Redacted(v);
}

export const sessionTokenMax = (root: boolean): number => (root ? ROOT_SESSION_MAX : SESSION_TOKEN_MAX);
export const sessionTokenWhy = (root: boolean): string =>
  root ? 'GetSessionToken for the root user lasts at most 1 hour' : 'GetSessionToken lasts 15 minutes to 36 hours';

/** `NAME=ARN[,duration=1h][,max_duration=12h][,external_id=X][,source_identity=off]`. */
export function parseRoleSpec(spec: string): RoleConfig {
  const eq = spec.indexOf('=');
  if (eq <= 0) return usage('invalid --role: expected NAME=ARN[,duration=1h][,max_duration=12h][,external_id=X]');
  const name = checkRoleName(spec.slice(0, eq));
  // ARNs and external ids may contain commas: split only before a known option.
  const [arnText, ...opts] = spec.slice(eq + 1).split(/,(?=[a-z_]+=)/);
  const { arn } = checkRoleArn(arnText ?? '');
  let duration: number | undefined;
  let max: number | undefined;
  let externalId: string | undefined;
  let sourceIdentity = true;
  for (const o of opts) {
    const i = o.indexOf('=');
    const k = i < 0 ? o : o.slice(0, i);
    const v = i < 0 ? '' : o.slice(i + 1);
    if (k === 'duration')
      duration = checkDuration(v, `duration of role ${name}`, {
        bare: true,
        min: MIN_DURATION,
        max: ROLE_MAX_CEILING,
        why: 'AssumeRole lasts 15 minutes to 12 hours',
      });
    else if (k === 'max_duration')
      max = checkDuration(v, `max_duration of role ${name}`, {
        bare: true,
        min: 3600,
        max: ROLE_MAX_CEILING,
        why: "a role's MaxSessionDuration is 1 to 12 hours",
      });
    else if (k === 'external_id') {
      if (!EXTERNAL_ID.test(v))
        usage(`invalid external_id for role ${name}: 2–1224 characters of letters, digits and + = , . @ : / -`);
      externalId = v;
    } else if (k === 'source_identity') {
      if (v !== 'on' && v !== 'off') usage(`source_identity for role ${name} is on or off`);
      sourceIdentity = v === 'on';
    } else
      usage(`unknown --role option '${k.slice(0, 32)}': use duration, max_duration, external_id or source_identity`);
  }
  const maxDuration = max ?? Math.max(ROLE_DEFAULT, duration ?? ROLE_DEFAULT);
  const d = duration ?? Math.min(ROLE_DEFAULT, maxDuration);
  if (d > maxDuration) {
    usage(
      `the duration of role ${name} (${formatDuration(d)}) is over its max_duration (${formatDuration(maxDuration)}): AWS refuses more than the role's MaxSessionDuration`,
    );
  }
  return {
    name,
    arn,
    duration: d,
    max_duration: maxDuration,
    external_id: externalId,
    source_identity: sourceIdentity,
  };
}

/** `vault`, `profile:NAME` or `default` (without the keys, which `aws setup` reads apart). */
export function parseSourceSpec(
  text: string,
): { kind: 'vault' } | { kind: 'profile'; profile: string } | { kind: 'default' } {
  if (text === 'vault' || text === 'default') return { kind: text };
  if (text.startsWith('profile:')) return { kind: 'profile', profile: checkProfileName(text.slice('profile:'.length)) };
  return usage('invalid --source: expected vault, profile:NAME or default');
}

// ---- session names ----

/**
 * RoleSessionName and SourceIdentity for an agent: `totp-mcp.<agent>`, or the bare name when that
 * would be over 64 characters. Agent names use `[a-z0-9._:@+-]`; `:` is not allowed by AWS and
 * becomes `=` (which agent names never contain, so two agents never share a session name).
 */
export function sessionNameFor(agent: string | null): string {
  const name = (agent ?? 'owner').replace(/:/g, '=').replace(SESSION_NAME_CHARS, '_');
  const prefixed = `totp-mcp.${name}`;
  const out = prefixed.length <= 64 ? prefixed : name.slice(0, 64);
  return out.length >= 2 ? out : `${out}_`;
}

// ---- the stored block ----

const corrupt = (account: string, what: string): TotpMcpError =>
  new TotpMcpError('invalid', `the aws block of account '${account}' is invalid (${what})`, {
    kind: 'not_configured',
    hint: `run 'totp-mcp aws setup ${account} …' again`,
  });

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const int = (x: unknown): number | undefined => (typeof x === 'number' && Number.isSafeInteger(x) ? x : undefined);
const reveal = (x: unknown): string | undefined => (x instanceof Redacted ? str(x.reveal()) : str(x));

/** Reads an account's stored aws block; throws `invalid` naming the field, never a value. */
export function parseAwsBlock(account: string, raw: unknown): AwsConfig {
  if (!isObj(raw))
    throw new TotpMcpError('invalid', `account '${account}' has no AWS setup`, {
      kind: 'not_configured',
      hint: `run 'totp-mcp aws setup ${account} --mfa-serial ARN …'`,
    });
  if (raw['v'] !== 1) throw corrupt(account, 'version');
  const serial = str(raw['mfa_serial']);
  let mfa: ReturnType<typeof checkMfaSerial>;
  try {
    mfa = checkMfaSerial(serial ?? '');
  } catch {
    throw corrupt(account, 'mfa_serial');
  }
  const region = raw['region'] === null || raw['region'] === undefined ? null : str(raw['region']);
  if (region === undefined || (region !== null && !REGION.test(region))) throw corrupt(account, 'region');
  const root = raw['root'] === true || mfa.root;
  const sd = int(raw['session_duration']) ?? SESSION_TOKEN_DEFAULT;
  if (sd < MIN_DURATION || sd > sessionTokenMax(root)) throw corrupt(account, 'session_duration');
  const src = raw['source'];
  if (!isObj(src)) throw corrupt(account, 'source');
  let source: SourceSpec;
  if (src['kind'] === 'vault') {
    const id = str(src['access_key_id']);
    const secret = reveal(src['secret_access_key']);
    if (id === undefined || !ACCESS_KEY_ID.test(id)) throw corrupt(account, 'source.access_key_id');
    if (secret === undefined || !SECRET_KEY.test(secret)) throw corrupt(account, 'source.secret_access_key');
    source = { kind: 'vault', access_key_id: id, secret_access_key: new Redacted(secret) };
  } else if (src['kind'] === 'profile') {
    const p = str(src['profile']);
    if (p === undefined || !PROFILE_NAME.test(p)) throw corrupt(account, 'source.profile');
    source = { kind: 'profile', profile: p };
  } else if (src['kind'] === 'default') source = { kind: 'default' };
  else throw corrupt(account, 'source.kind');
  const roles = new Map<string, RoleConfig>();
  const rawRoles = raw['roles'] ?? {};
  if (!isObj(rawRoles)) throw corrupt(account, 'roles');
  for (const [name, r] of Object.entries(rawRoles)) {
    if (!ROLE_NAME.test(name) || !isObj(r)) throw corrupt(account, 'roles');
    const arn = str(r['arn']);
    const duration = int(r['duration']);
    const max = int(r['max_duration']);
    const ext = r['external_id'] === undefined || r['external_id'] === null ? undefined : str(r['external_id']);
    if (arn === undefined || !ROLE_ARN.test(arn)) throw corrupt(account, `roles.${name}.arn`);
    if (max === undefined || max < 3600 || max > ROLE_MAX_CEILING) throw corrupt(account, `roles.${name}.max_duration`);
    if (duration === undefined || duration < MIN_DURATION || duration > max)
      throw corrupt(account, `roles.${name}.duration`);
    if (ext !== undefined && !EXTERNAL_ID.test(ext)) throw corrupt(account, `roles.${name}.external_id`);
    roles.set(name, {
      name,
      arn,
      duration,
      max_duration: max,
      external_id: ext,
      source_identity: r['source_identity'] !== false,
    });
  }
  const ci =
    raw['cache_identity'] === undefined || raw['cache_identity'] === null ? null : reveal(raw['cache_identity']);
  if (ci === undefined || (ci !== null && !/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/.test(ci)))
    throw corrupt(account, 'cache_identity');
  return {
    mfa_serial: mfa.serial,
    account_id: mfa.account_id,
    region,
    root,
    source,
    session_duration: sd,
    roles,
    cache_identity: ci === null ? null : new Redacted(ci),
  };
}

/** The block as stored (secrets as Redacted: the vault reveals them on write). */
export function toAwsBlock(c: AwsConfig): Record<string, unknown> {
  const roles: Record<string, unknown> = {};
  for (const r of c.roles.values()) {
    roles[r.name] = {
      arn: r.arn,
      duration: r.duration,
      max_duration: r.max_duration,
      ...(r.external_id !== undefined && { external_id: r.external_id }),
      ...(!r.source_identity && { source_identity: false }),
    };
  }
  return {
    v: 1,
    mfa_serial: c.mfa_serial,
    region: c.region,
    root: c.root,
    source: c.source,
    session_duration: c.session_duration,
    roles,
    ...(c.cache_identity !== null && { cache_identity: c.cache_identity }),
  };
}

const SECRET_FIELDS = new Set(['secret_access_key', 'cache_identity']);

/** A copy of a stored block with every secret field shown as `[redacted]` (for `list --json`). */
export function redactAwsBlock(raw: Record<string, unknown>): Record<string, unknown> {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x instanceof Redacted) return '[redacted]';
    if (!isObj(x)) return x;
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '[redacted]' : walk(v)]));
  };
  return walk(raw) as Record<string, unknown>;
}

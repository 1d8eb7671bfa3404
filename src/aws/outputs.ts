/**
 * How credentials leave: credential_process JSON (Version 1), the environment of `exec`
 * (aws-vault's), the container-credentials JSON, and a named profile in the shared credentials
 * file (written atomically, everything else in the file kept byte for byte).
 */
import { realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withheldFromChildren } from '../config.js';
import { TotpMcpError } from '../core/errors.js';
import { withLock } from '../core/lock.js';
import { ensurePrivateDir, isEnoent, readOrNull, writeFileAtomic } from '../core/fs.js';
import type { Session } from './session.js';

/** ISO 8601 without milliseconds, as AWS writes it (every SDK parses it). */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The credential_process contract: what the SDKs and the CLI parse from the process's stdout. */
export function credentialProcessJson(s: Session): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: s.access_key_id,
    SecretAccessKey: s.secret_access_key.reveal(),
    SessionToken: s.session_token.reveal(),
    Expiration: isoSeconds(s.expires),
    ...(s.account_id !== '' && { AccountId: s.account_id }),
  })}\n`;
}

/** The container provider's contract: note `Token`, not `SessionToken` (the SDKs read that name). */
export function containerJson(s: Session): string {
  return JSON.stringify({
    AccessKeyId: s.access_key_id,
    SecretAccessKey: s.secret_access_key.reveal(),
    Token: s.session_token.reveal(),
    Expiration: isoSeconds(s.expires),
    ...(s.account_id !== '' && { AccountId: s.account_id }),
  });
}

/** Set by `aws exec` in the child's environment; its presence refuses nesting. */
export const EXEC_MARKER = 'TOTP_MCP_AWS_EXEC';

/** Variables that could shadow the injected credentials (the SDKs prefer some of them): removed. */
const SHADOWING = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SDK_LOAD_CONFIG',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_ACCOUNT_ID',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
];

export type Env = Record<string, string | undefined>;

/** Shadowing AWS variables, and every TOTP_MCP_* variable that may carry or locate a secret. */
const withheld = (k: string): boolean => SHADOWING.includes(k) || withheldFromChildren(k);

/** The region for a child: the account's, else the one already in the environment. */
export const regionFor = (accountRegion: string | null, parent: Env): string | null =>
  accountRegion ?? (parent['AWS_REGION'] || undefined) ?? (parent['AWS_DEFAULT_REGION'] || undefined) ?? null;

function baseEnv(parent: Env, region: string | null): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && !withheld(k)) env[k] = v;
  if (region !== null) {
    env['AWS_REGION'] = region;
    env['AWS_DEFAULT_REGION'] = region;
  }
  return env;
}

/** `aws exec`: the session in the variables every SDK reads, as aws-vault sets them. */
export function execEnv(parent: Env, s: Session, region: string | null, marker: string): Record<string, string> {
  const env = baseEnv(parent, region);
  env['AWS_ACCESS_KEY_ID'] = s.access_key_id;
  env['AWS_SECRET_ACCESS_KEY'] = s.secret_access_key.reveal();
  env['AWS_SESSION_TOKEN'] = s.session_token.reveal();
  env['AWS_SECURITY_TOKEN'] = s.session_token.reveal();
  env['AWS_CREDENTIAL_EXPIRATION'] = isoSeconds(s.expires);
  if (s.account_id !== '') env['AWS_ACCOUNT_ID'] = s.account_id;
  env[EXEC_MARKER] = marker;
  return env;
}

/** `serve-credentials -- CMD`: the child finds the endpoint, not keys. */
export function containerEnv(
  parent: Env,
  url: string,
  token: string,
  region: string | null,
  marker: string,
): Record<string, string> {
  const env = baseEnv(parent, region);
  env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = url;
  env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = token;
  env[EXEC_MARKER] = marker;
  return env;
}

// ---- the shared credentials file ----

/** `totp-mcp-<account>[-<role>]`. Account ids and role names hold no space, bracket or `=`. */
export const profileNameFor = (account: string, role: string | null): string =>
  `totp-mcp-${account}${role === null ? '' : `-${role}`}`;

const HEADER = /^\s*\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$/;

/**
 * Replaces (or appends) the section `[name]` of an INI text; every other line stays as it was.
 * Duplicate sections of the same name are removed.
 */
export function replaceSection(text: string, name: string, body: readonly string[]): string {
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  let skipping = false;
  let placed = false;
  for (const line of lines) {
    const m = HEADER.exec(line);
    if (m) {
      skipping = m[1] === name;
      if (skipping && !placed) {
        out.push(`[${name}]`, ...body);
        placed = true;
      }
      if (skipping) continue;
    }
    if (!skipping) out.push(line);
  }
  if (!placed) {
    if (out.length > 0 && out[out.length - 1]?.trim() !== '') out.push('');
    out.push(`[${name}]`, ...body);
  }
  return `${out.join(nl)}${nl}`;
}

/**
 * Writes `s` as profile `name` in the shared credentials file, under a lock beside it, by an
 * atomic replace that keeps the file's mode (0600 for a new file). Follows a symlink to its target.
 */
export async function writeProfile(
  file: string,
  name: string,
  s: Session,
  region: string | null = null,
): Promise<void> {
  let target = file;
  try {
    target = await realpath(file);
  } catch (e) {
    if (!isEnoent(e)) throw new TotpMcpError('io', `cannot resolve ${file}`, { cause: e });
  }
  await ensurePrivateDir(dirname(target), { link: 'allow' }); // the owner's ~/.aws may be a link
  await withLock(
    `${target}.totp-mcp.lock`,
    async () => {
      const before = await readOrNull(target);
      let mode = 0o600;
      if (before !== null) mode = (await stat(target)).mode & 0o777 & ~0o077;
      const body = [
        `# written by totp-mcp: expires ${isoSeconds(s.expires)}; replaced on the next request`,
        `aws_access_key_id = ${s.access_key_id}`,
        `aws_secret_access_key = ${s.secret_access_key.reveal()}`,
        `aws_session_token = ${s.session_token.reveal()}`,
        // The CLI and the SDKs read a profile's region from the credentials file too: without it, `aws --profile` fails.
        ...(region !== null && /^[a-z0-9-]{1,40}$/.test(region) ? [`region = ${region}`] : []),
      ];
      await writeFileAtomic(target, replaceSection(before?.toString('utf8') ?? '', name, body), {
        overwrite: true,
        mode: mode || 0o600,
      });
    },
    { timeoutMs: 15_000 },
  );
}

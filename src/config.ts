/**
 * The environment, read in one place (with src/index.ts, the only modules allowed to touch
 * process.env). Everything below receives these values as arguments.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface EnvConfig {
  /** `$TOTP_MCP_HOME`, else `$XDG_CONFIG_HOME/totp-mcp`, else `~/.config/totp-mcp`. */
  defaultHome: string;
  identityFile: string | undefined;
  /** `TOTP_MCP_PASSPHRASE`: convenient for CI, visible to this user's processes. */
  passphrase: string | undefined;
  /** `TOTP_MCP_PASSPHRASE_TIMEOUT`: seconds a --passphrase-command may run (the option wins). */
  passphraseTimeout: string | undefined;
  agent: string | undefined;
  /** `TOTP_MCP_BROWSER_CDP`: the DevTools endpoint fill_totp_code types into (`serve --browser-cdp` wins). */
  browserCdp: string | undefined;
  /** `TOTP_MCP_COORDINATOR`: the fleet coordinator's URL (issue 15; `--coordinator` wins). */
  coordinator: string | undefined;
  /** Absolute path of the running entry (for `mcp-config` snippets). */
  entry: string;
  nodePath: string;
  /** NO_COLOR (https://no-color.org) is set. */
  noColor: boolean;
  /** What the AWS work reads from the environment. */
  aws: AwsEnv;
  /** The environment as this process received it, for the children of `aws exec` / `serve-credentials`. */
  processEnv: Readonly<Record<string, string | undefined>>;
}

export interface AwsEnv {
  /** `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` (where `get_aws_session` writes profiles). */
  sharedCredentialsFile: string;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`: used when the account sets no region. */
  region: string | undefined;
  /** `AWS_ENDPOINT_URL_STS` (the SDK honours it itself; shown in messages). */
  stsEndpoint: string | undefined;
  /** Set inside `totp-mcp aws exec` (refuses nesting). */
  execMarker: string | undefined;
  /** Set while totp-mcp resolves an account's source profile: a totp-mcp started then is a loop. */
  resolvingSource: boolean;
}

const RESOLVING_SOURCE = 'TOTP_MCP_AWS_RESOLVING_SOURCE';

/**
 * The only TOTP_MCP_* variables a child keeps (the command of `aws exec` / `serve-credentials`, a
 * source profile's credential_process). Every other one may carry or locate a secret (the
 * passphrase, an identity file, whatever a later version adds): Terraform, its providers and
 * whatever they spawn must not be able to open the vault. Kept: the home (where the encrypted vault
 * and the audit trail are, no key; a nested totp-mcp keeps the same trail), the agent (a nested
 * call stays under the agent's policy), and the markers that refuse nesting and loops.
 */
const CHILD_KEEPS = new Set(['TOTP_MCP_HOME', 'TOTP_MCP_AGENT', 'TOTP_MCP_AWS_EXEC', RESOLVING_SOURCE]);

export const withheldFromChildren = (name: string): boolean =>
  name.toUpperCase().startsWith('TOTP_MCP_') && !CHILD_KEEPS.has(name);

/**
 * Marks this process's environment (inherited by whatever the AWS SDK spawns, e.g. a source
 * profile's credential_process) so that a totp-mcp started from there refuses at once instead of
 * waiting for the lock its parent holds; and removes what such a child must not see (read by
 * readEnv long before).
 */
export function markResolvingSource(): void {
  process.env[RESOLVING_SOURCE] = '1';
  for (const k of Object.keys(process.env)) if (withheldFromChildren(k)) Reflect.deleteProperty(process.env, k);
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function readEnv(entry: string): EnvConfig {
  const env = process.env;
  const processEnv = { ...env };
  // The AWS SDK (loaded only to call STS) warns on stderr about Node 20; a credential_process
  // consumer would show that as noise, or take it for an error. This process only.
  env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const home = nonEmpty(env['HOME']) ?? homedir();
  const xdg = nonEmpty(env['XDG_CONFIG_HOME']) ?? join(home, '.config');
  return {
    defaultHome: nonEmpty(env['TOTP_MCP_HOME']) ?? join(xdg, 'totp-mcp'),
    identityFile: nonEmpty(env['TOTP_MCP_IDENTITY']),
    passphrase: nonEmpty(env['TOTP_MCP_PASSPHRASE']),
    passphraseTimeout: nonEmpty(env['TOTP_MCP_PASSPHRASE_TIMEOUT']),
    agent: nonEmpty(env['TOTP_MCP_AGENT']),
    browserCdp: nonEmpty(env['TOTP_MCP_BROWSER_CDP']),
    coordinator: nonEmpty(env['TOTP_MCP_COORDINATOR']),
    entry,
    nodePath: process.execPath,
    noColor: nonEmpty(env['NO_COLOR']) !== undefined,
    aws: {
      sharedCredentialsFile: nonEmpty(env['AWS_SHARED_CREDENTIALS_FILE']) ?? join(home, '.aws', 'credentials'),
      region: nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']),
      stsEndpoint: nonEmpty(env['AWS_ENDPOINT_URL_STS']) ?? nonEmpty(env['AWS_ENDPOINT_URL']),
      execMarker: nonEmpty(env['TOTP_MCP_AWS_EXEC']),
      resolvingSource: nonEmpty(env[RESOLVING_SOURCE]) !== undefined,
    },
    processEnv,
  };
}

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
  agent: string | undefined;
  /** Absolute path of the running entry (for `mcp-config` snippets). */
  entry: string;
  nodePath: string;
  /** NO_COLOR (https://no-color.org) is set. */
  noColor: boolean;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function readEnv(entry: string): EnvConfig {
  const env = process.env;
  const xdg = nonEmpty(env['XDG_CONFIG_HOME']) ?? join(nonEmpty(env['HOME']) ?? homedir(), '.config');
  return {
    defaultHome: nonEmpty(env['TOTP_MCP_HOME']) ?? join(xdg, 'totp-mcp'),
    identityFile: nonEmpty(env['TOTP_MCP_IDENTITY']),
    passphrase: nonEmpty(env['TOTP_MCP_PASSPHRASE']),
    agent: nonEmpty(env['TOTP_MCP_AGENT']),
    entry,
    nodePath: process.execPath,
    noColor: nonEmpty(env['NO_COLOR']) !== undefined,
  };
}

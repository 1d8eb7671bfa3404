/** Where a passphrase comes from, in order: --passphrase-command, --passphrase-file, TOTP_MCP_PASSPHRASE, a prompt. */
import { checkDuration, formatDuration } from '../core/duration.js';
import { fail } from '../core/errors.js';
import { Redacted } from '../core/redacted.js';
import {
  DEFAULT_PASSPHRASE_TIMEOUT_MS,
  passphraseFromCommand,
  passphraseFromFile,
  type PassphraseSource,
} from '../vault/index.js';

interface PassphraseOptions {
  command?: string | undefined;
  /** Seconds the command may run, as given (--passphrase-timeout or TOTP_MCP_PASSPHRASE_TIMEOUT). */
  timeout?: string | undefined;
  file?: string | undefined;
  env?: string | undefined;
  /** A hidden terminal prompt, when the front has a terminal. */
  prompt?: PassphraseSource | undefined;
}

/** Longest timeout accepted: an hour (a person approving on a hardware key takes seconds). */
const MAX_TIMEOUT_SECONDS = 3600;

/** A duration (bare seconds may have decimals) → milliseconds; a usage error otherwise. */
export function passphraseTimeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PASSPHRASE_TIMEOUT_MS;
  const seconds = checkDuration(text, '--passphrase-timeout', {
    bare: true,
    fraction: true,
    min: 0.001,
    max: MAX_TIMEOUT_SECONDS,
    hint: `--passphrase-timeout SECONDS or TOTP_MCP_PASSPHRASE_TIMEOUT (default ${formatDuration(DEFAULT_PASSPHRASE_TIMEOUT_MS / 1000)})`,
  });
  return Math.round(seconds * 1000);
}

export function passphraseSource(o: PassphraseOptions): PassphraseSource {
  // Checked now, so that a bad value is a usage error whether or not the vault needs the command.
  const timeoutMs = o.command === undefined ? DEFAULT_PASSPHRASE_TIMEOUT_MS : passphraseTimeoutMs(o.timeout);
  return async (purpose) => {
    if (o.command !== undefined) return passphraseFromCommand(o.command, timeoutMs);
    if (o.file !== undefined) return passphraseFromFile(o.file);
    if (o.env !== undefined) return new Redacted(o.env);
    if (o.prompt) return o.prompt(purpose);
    return fail('vault_locked', 'a passphrase is needed and none was given', {
      hint: 'set TOTP_MCP_PASSPHRASE, or use --passphrase-file or --passphrase-command, or run in a terminal',
    });
  };
}

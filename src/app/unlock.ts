/** Where a passphrase comes from, in order: --passphrase-command, --passphrase-file, TOTP_MCP_PASSPHRASE, a prompt. */
import { fail } from '../core/errors.js';
import { Redacted } from '../core/redacted.js';
import { passphraseFromCommand, passphraseFromFile, type PassphraseSource } from '../vault/index.js';

export interface PassphraseOptions {
  command?: string | undefined;
  file?: string | undefined;
  env?: string | undefined;
  /** A hidden terminal prompt, when the front has a terminal. */
  prompt?: PassphraseSource | undefined;
}

export function passphraseSource(o: PassphraseOptions): PassphraseSource {
  return async (purpose) => {
    if (o.command !== undefined) return passphraseFromCommand(o.command);
    if (o.file !== undefined) return passphraseFromFile(o.file);
    if (o.env !== undefined) return new Redacted(o.env);
    if (o.prompt) return o.prompt(purpose);
    return fail('vault_locked', 'a passphrase is needed and none was given', {
      hint: 'set TOTP_MCP_PASSPHRASE, or use --passphrase-file or --passphrase-command, or run in a terminal',
    });
  };
}

/** `totp-mcp init`: the home folder, an identity (0600) and an empty vault. */
import { Option, type Command, type OptionValues } from 'commander';
import type { InitMode } from '../../app/home.js';
import { fail } from '../../core/errors.js';
import { flagBool, flagString, type CommandUnit, type Deps } from '../unit.js';

export interface InitOptions {
  /** How the vault is unlocked; `identity-file` comes from the global --identity at run time. */
  kind: 'identity' | 'passphrase-identity' | 'passphrase';
  workFactor?: number;
}

export const initCommand: CommandUnit<InitOptions> = {
  define: (parent: Command) =>
    parent
      .command('init')
      .description('create the home folder, an identity (0600) and an empty vault')
      .addOption(
        new Option('--passphrase', 'protect the new identity with a passphrase (identity.age)').conflicts(
          'passphraseOnly',
        ),
      )
      .option('--passphrase-only', 'no identity: encrypt the vault itself with a passphrase')
      .option('--work-factor <logN>', 'scrypt work factor for passphrases (10-20; default 18)')
      .addHelpText(
        'after',
        '\nWith the global --identity FILE, that existing age identity is copied into the home instead of a new one.',
      ),

  options(_args: readonly unknown[], flags: OptionValues): InitOptions {
    const wf = flagString(flags, 'workFactor');
    const workFactor = wf === undefined ? undefined : Number(wf);
    if (workFactor !== undefined && !(Number.isInteger(workFactor) && workFactor >= 10 && workFactor <= 20))
      fail('usage', '--work-factor must be an integer from 10 to 20');
    const kind = flagBool(flags, 'passphraseOnly')
      ? 'passphrase'
      : flagBool(flags, 'passphrase')
        ? 'passphrase-identity'
        : 'identity';
    return { kind, ...(workFactor !== undefined && { workFactor }) };
  },

  async run(o: InitOptions, { rt, clock }: Deps): Promise<void> {
    const identityFile = rt.identityFile;
    if (identityFile !== undefined && o.kind !== 'identity')
      fail(
        'usage',
        '--identity copies an existing identity: it cannot be combined with --passphrase or --passphrase-only',
      );
    const mode: InitMode =
      identityFile !== undefined ? { kind: 'identity-file', file: identityFile } : { kind: o.kind };
    const { initHome } = await import('../../app/home.js');
    const result = await initHome(rt.home, mode, {
      passphrase: rt.passphrase(true),
      clock,
      ...(o.workFactor !== undefined && { workFactor: o.workFactor }),
    });
    const lines = [`created ${rt.home}`];
    if (result.recipient) lines.push(`public key (recipient): ${result.recipient}`);
    if (mode.kind === 'identity') {
      lines.push(
        'the identity is in identity.txt (mode 0600). Anyone who can read it can read the vault:',
        'consider `totp-mcp init --passphrase` instead, and keep an offline copy of the identity.',
      );
    }
    lines.push(`next: totp-mcp add <id> --uri -    (paste an otpauth:// URI, then Ctrl-D)`);
    rt.io.out(lines.join('\n') + '\n');
  },
};

/** `totp-mcp list`: the accounts, never a secret. */
import type { Command, OptionValues } from 'commander';
import { json, printable, table } from '../format.js';
import { flagBool, flagString, type CommandUnit, type Deps } from '../unit.js';

export interface ListOptions {
  tag?: string;
  json: boolean;
}

export const listCommand: CommandUnit<ListOptions> = {
  define: (parent: Command) =>
    parent
      .command('list')
      .description('list accounts (never shows a secret)')
      .option('--tag <tag>', 'only accounts with this tag')
      .option(
        '--json',
        'JSON: [{id, issuer, label, type, algorithm, digits, period (TOTP, Steam) or counter (HOTP), tags, aws}]',
      ),

  options(_args: readonly unknown[], flags: OptionValues): ListOptions {
    const tag = flagString(flags, 'tag');
    return { ...(tag !== undefined && { tag }), json: flagBool(flags, 'json') };
  },

  async run(o: ListOptions, { rt }: Deps): Promise<void> {
    const { listAccounts } = await import('../../app/accounts.js');
    const accounts = await listAccounts(rt.ctx, o.tag);
    if (o.json) {
      rt.io.out(json(accounts));
      return;
    }
    if (accounts.length === 0) {
      rt.io.err(o.tag === undefined ? 'no accounts yet: totp-mcp add <id> --uri -\n' : 'no accounts with that tag\n');
      return;
    }
    rt.io.out(
      table(
        ['ID', 'ISSUER', 'LABEL', 'TYPE', 'TAGS'],
        accounts.map((a) => [a.id, printable(a.issuer), printable(a.label), a.type, a.tags.join(',')]),
      ),
    );
  },
};

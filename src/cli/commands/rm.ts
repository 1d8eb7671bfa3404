/** `totp-mcp rm <id>`: remove an account (asks first on a terminal). */
import type { Command, OptionValues } from 'commander';
import { fail } from '../../core/errors.js';
import { argString, flagBool, type CommandUnit, type Deps } from '../unit.js';

export interface RemoveOptions {
  id: string;
  yes: boolean;
}

export const rmCommand: CommandUnit<RemoveOptions> = {
  define: (parent: Command) =>
    parent
      .command('rm <id>')
      .description('remove an account (asks first on a terminal)')
      .option('-y, --yes', 'do not ask'),

  options: (args: readonly unknown[], flags: OptionValues): RemoveOptions => ({
    id: argString(args, 0),
    yes: flagBool(flags, 'yes'),
  }),

  async run(o: RemoveOptions, { rt, prompter }: Deps): Promise<void> {
    if (
      !o.yes &&
      rt.io.interactive &&
      !(await prompter.confirm(`Remove ${o.id} and its secret? (the last 3 vault versions stay in backups/)`))
    ) {
      fail('usage', 'not removed');
    }
    const { removeAccount } = await import('../../app/accounts.js');
    await removeAccount(rt.ctx, o.id);
    rt.io.out(`removed ${o.id}\n`);
  },
};

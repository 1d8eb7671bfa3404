/** `totp-mcp tag <id> [+T|-T…]`: show an account's tags, or change them. */
import type { Command } from 'commander';
import { argList, argString, type CommandUnit, type Deps } from '../unit.js';

export interface TagOptions {
  id: string;
  /** `+T` adds, `-T` removes (a bare `T` adds); none: show the tags. */
  changes: string[];
}

export const tagCommand: CommandUnit<TagOptions> = {
  define: (parent: Command) =>
    parent
      .command('tag <id> [changes...]')
      .description('show tags, or change them: +T adds, -T removes')
      // `-T` is a change, not an option.
      .allowUnknownOption()
      .helpOption('-h, --help'),

  options: (args: readonly unknown[]): TagOptions => ({ id: argString(args, 0), changes: argList(args, 1) }),

  async run(o: TagOptions, { rt }: Deps): Promise<void> {
    const { retagAccount } = await import('../../app/accounts.js');
    const tags = await retagAccount(rt.ctx, o.id, o.changes);
    rt.io.out(`${o.id}: ${tags.length ? tags.join(' ') : '(no tags)'}\n`);
  },
};

/** `totp-mcp rename <old> <new>`: change an account id. */
import type { Command } from 'commander';
import { argString, type CommandUnit, type Deps } from '../unit.js';

export interface RenameOptions {
  from: string;
  to: string;
}

export const renameCommand: CommandUnit<RenameOptions> = {
  define: (parent: Command) => parent.command('rename <old> <new>').description('change an account id'),

  options: (args: readonly unknown[]): RenameOptions => ({ from: argString(args, 0), to: argString(args, 1) }),

  async run(o: RenameOptions, { rt }: Deps): Promise<void> {
    const { renameAccount } = await import('../../app/accounts.js');
    await renameAccount(rt.ctx, o.from, o.to);
    rt.io.out(`renamed ${o.from} to ${o.to}\n`);
  },
};

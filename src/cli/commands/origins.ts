/** `totp-mcp origins <id> [+URL|-URL…]`: show the origins where an account's code may be filled, or change them. */
import type { Command } from 'commander';
import { argList, argString, type CommandUnit, type Deps } from '../unit.js';

export interface OriginsOptions {
  id: string;
  /** `+https://…` adds, `-https://…` removes (a bare origin adds); none: show the list. */
  changes: string[];
}

export const originsCommand: CommandUnit<OriginsOptions> = {
  define: (parent: Command) =>
    parent
      .command('origins <id> [changes...]')
      .description(
        'show the web origins where fill_totp_code may type this code, or change them: +https://site adds, -https://site removes',
      )
      // `-https://…` is a change, not an option.
      .allowUnknownOption()
      .helpOption('-h, --help'),

  options: (args: readonly unknown[]): OriginsOptions => ({ id: argString(args, 0), changes: argList(args, 1) }),

  async run(o: OriginsOptions, { rt }: Deps): Promise<void> {
    const { changeOrigins } = await import('../../app/origins.js');
    const origins = await changeOrigins(rt.ctx, o.id, o.changes);
    rt.io.out(origins.length ? origins.map((x) => `${x}\n`).join('') : `${o.id}: (no origins)\n`);
  },
};

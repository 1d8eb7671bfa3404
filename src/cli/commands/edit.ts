/** `totp-mcp edit <id>`: change an account in place (keeps its id, secret, tags and AWS settings). */
import { Option, type Command, type OptionValues } from 'commander';
import type { EditChanges } from '../../app/edit.js';
import { printable } from '../format.js';
import { counterFlag, digitsFlag, periodFlag } from '../number-flags.js';
import { argString, flagBool, flagChoice, flagString, type CommandUnit, type Deps } from '../unit.js';

const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

export interface EditOptions {
  id: string;
  changes: EditChanges;
  force: boolean;
}

export const editCommand: CommandUnit<EditOptions> = {
  define: (parent: Command) =>
    parent
      .command('edit <id>')
      .description('change an account in place (keeps its id, secret, tags and AWS settings)')
      .option('--issuer <s>', 'issuer')
      .option('--label <s>', 'account label')
      .option('--digits <n>', 'code length, 6-10', digitsFlag)
      .option('--period <s>', 'TOTP period in seconds', periodFlag)
      .addOption(new Option('--algorithm <alg>', 'HMAC algorithm').choices(ALGORITHMS))
      .option('--counter <n>', 'HOTP counter (moving it back needs --force)', counterFlag)
      .option('--force', 'allow moving an HOTP counter back'),

  options(args: readonly unknown[], flags: OptionValues): EditOptions {
    const changes: EditChanges = {};
    for (const k of ['issuer', 'label', 'digits', 'period', 'counter'] as const) {
      const v = flagString(flags, k);
      if (v !== undefined) changes[k] = v;
    }
    const algorithm = flagChoice(flags, 'algorithm', ALGORITHMS);
    if (algorithm !== undefined) changes.algorithm = algorithm;
    return { id: argString(args, 0), changes, force: flagBool(flags, 'force') };
  },

  async run(o: EditOptions, { rt }: Deps): Promise<void> {
    const { editAccount } = await import('../../app/edit.js');
    const r = await editAccount(rt.ctx, o.id, o.changes, { force: o.force });
    if (r.changed.length === 0) {
      rt.io.out(`${o.id}: nothing changed\n`);
      return;
    }
    // Names are quoted (they may be empty or hold spaces); numbers and algorithm names are not.
    const show = (field: string, v: string | number): string =>
      field === 'issuer' || field === 'label' ? JSON.stringify(printable(String(v))) : String(v);
    rt.io.out(
      `edited ${o.id}: ${r.changed.map((c) => `${c.field} ${show(c.field, c.from)} → ${show(c.field, c.to)}`).join(', ')}\n`,
    );
    if (r.counterBack)
      rt.io.err(`warning: the HOTP counter of ${o.id} moved back: codes already used are valid again\n`);
  },
};

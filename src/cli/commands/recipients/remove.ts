/** `totp-mcp recipients remove <age1…>`: remove recipients and re-encrypt. */
import type { Command } from 'commander';
import { fail } from '../../../core/errors.js';
import { argList, type CommandUnit, type Deps } from '../../unit.js';

export interface RecipientsRemoveOptions {
  recipients: string[];
}

export const recipientsRemoveCommand: CommandUnit<RecipientsRemoveOptions> = {
  define: (parent: Command) =>
    parent
      .command('remove <recipient...>')
      .description('remove recipients and re-encrypt (rotate the seeds they saw: old copies stay readable to them)'),

  options: (args: readonly unknown[]): RecipientsRemoveOptions => ({ recipients: argList(args, 0) }),

  async run(o: RecipientsRemoveOptions, { rt }: Deps): Promise<void> {
    const { changeRecipients, listRecipients } = await import('../../../app/home.js');
    const current = await listRecipients(rt.ctx);
    const unknown = o.recipients.filter((k) => !current.includes(k.trim()));
    if (unknown.length) fail('not_found', `${unknown.length} of the given recipients are not in recipients.txt`);
    const next = await changeRecipients(rt.ctx, [], o.recipients);
    rt.io.out(`the vault is now encrypted to ${next.length} recipient(s)\n`);
    rt.io.err(
      'note: a removed recipient can still read any copy of the vault made before now: rotate the seeds they could see\n',
    );
  },
};

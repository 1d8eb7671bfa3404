/** `totp-mcp recipients add <age1…>`: add recipients and re-encrypt. */
import type { Command } from 'commander';
import { argList, type CommandUnit, type Deps } from '../../unit.js';

export interface RecipientsAddOptions {
  recipients: string[];
}

export const recipientsAddCommand: CommandUnit<RecipientsAddOptions> = {
  define: (parent: Command) =>
    parent
      .command('add <recipient...>')
      .description('add recipients (a teammate, a CI runner, an offline recovery key) and re-encrypt'),

  options: (args: readonly unknown[]): RecipientsAddOptions => ({ recipients: argList(args, 0) }),

  async run(o: RecipientsAddOptions, { rt }: Deps): Promise<void> {
    const { changeRecipients, listRecipients } = await import('../../../app/home.js');
    const current = await listRecipients(rt.ctx);
    // A recipient already there changes nothing: say so, and do not re-encrypt (no new generation,
    // no backup, no rewritten file) for a no-op.
    const present = o.recipients.filter((k) => current.includes(k.trim()));
    const add = o.recipients.filter((k) => !current.includes(k.trim()));
    if (present.length)
      rt.io.err(
        `${o.recipients.length === 1 ? 'that recipient is' : `${present.length} of the given recipients ${present.length === 1 ? 'is' : 'are'}`} already in recipients.txt\n`,
      );
    if (!add.length) {
      rt.io.out(`nothing changed: the vault stays encrypted to ${current.length} recipient(s)\n`);
      return;
    }
    const next = await changeRecipients(rt.ctx, add, []);
    rt.io.out(`the vault is now encrypted to ${next.length} recipient(s)\n`);
  },
};

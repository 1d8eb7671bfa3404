/** `totp-mcp recipients list`: who the vault is encrypted to. */
import type { Command } from 'commander';
import type { CommandUnit, Deps } from '../../unit.js';

/** `recipients list` takes no option. */
export type RecipientsListOptions = null;

export const recipientsListCommand: CommandUnit<RecipientsListOptions> = {
  define: (parent: Command) => parent.command('list').description('list the recipients'),

  options: (): RecipientsListOptions => null,

  async run(_o: RecipientsListOptions, { rt }: Deps): Promise<void> {
    const { listRecipients } = await import('../../../app/home.js');
    const list = await listRecipients(rt.ctx);
    rt.io.out(list.length ? `${list.join('\n')}\n` : '');
    if (!list.length) rt.io.err('no recipients: this vault is encrypted with a passphrase only\n');
  },
};

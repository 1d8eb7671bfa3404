/** `totp-mcp vault accept-rollback`: keep a vault older than the audit trail has seen (audited). */
import type { Command, OptionValues } from 'commander';
import { json } from '../../format.js';
import { flagBool, type CommandUnit, type Deps } from '../../unit.js';

export interface AcceptRollbackOptions {
  json: boolean;
}

export const acceptRollbackCommand: CommandUnit<AcceptRollbackOptions> = {
  define: (parent: Command) =>
    parent
      .command('accept-rollback')
      .description(
        'keep a vault older than its audit trail has seen (restored from a backup on purpose); recorded in the audit log',
      )
      .option('--json', 'the result as JSON'),

  options: (_args: readonly unknown[], flags: OptionValues): AcceptRollbackOptions => ({ json: flagBool(flags, 'json') }),

  async run(o: AcceptRollbackOptions, { rt }: Deps): Promise<void> {
    const { acceptRollback } = await import('../../../app/trail.js');
    const r = await acceptRollback(rt.ctx);
    if (o.json) {
      rt.io.out(json(r));
      return;
    }
    rt.io.out(
      `accepted: the vault (generation ${r.from}) is kept although the audit trail had seen generation ${r.trail}; it is now generation ${r.to}, and this was recorded in the audit log\n`,
    );
    for (const [id, counter] of Object.entries(r.hotp)) {
      rt.io.out(`  ${id}: HOTP counter moved forward to ${counter}, past the counters the audit log shows as issued\n`);
    }
  },
};

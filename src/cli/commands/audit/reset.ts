/** `totp-mcp audit reset`: after a broken trail, a new chain whose first event records the break. */
import type { Command, OptionValues } from 'commander';
import { fail } from '../../../core/errors.js';
import { json } from '../../format.js';
import { flagBool, flagString, type CommandUnit, type Deps } from '../../unit.js';

export interface AuditResetOptions {
  reason: string;
  json: boolean;
}

export const auditResetCommand: CommandUnit<AuditResetOptions> = {
  define: (parent: Command) =>
    parent
      .command('reset')
      .description(
        'after a broken trail (cut, wiped or forged): start a new chain whose first event records the break and your reason',
      )
      .requiredOption('--reason <text>', 'why (recorded in the new chain’s first event)')
      .option('--json', 'the result as JSON'),

  options: (_args: readonly unknown[], flags: OptionValues): AuditResetOptions => ({
    reason: flagString(flags, 'reason') ?? fail('usage', '--reason is required'),
    json: flagBool(flags, 'json'),
  }),

  async run(o: AuditResetOptions, { rt }: Deps): Promise<void> {
    const { resetTrail } = await import('../../../app/trail.js');
    const r = await resetTrail(rt.ctx, o.reason);
    if (o.json) {
      rt.io.out(json(r));
      return;
    }
    const last = r.last === null ? 'no earlier event was known' : `the old chain was last known at event ${r.last.seq}`;
    rt.io.out(`a new audit chain starts at event ${r.event}, which records the break (${last}) and your reason\n`);
    if (r.movedTo !== null) rt.io.out(`the old chain's files were moved to ${r.movedTo}\n`);
    rt.io.out('note: rate limits count from the new chain\n');
  },
};

/** `totp-mcp restore [GENERATION]`: list the vault generations kept in backups/, or put one back (audited). */
import type { Command, OptionValues } from 'commander';
import { fail } from '../../core/errors.js';
import { json, table } from '../format.js';
import { argOptional, flagBool, type CommandUnit, type Deps } from '../unit.js';

export interface RestoreOptions {
  /** The generation to put back; absent: list them. */
  generation?: string;
  yes: boolean;
  acceptRollback: boolean;
  json: boolean;
}

export const restoreCommand: CommandUnit<RestoreOptions> = {
  define: (parent: Command) =>
    parent
      .command('restore [generation]')
      .description(
        'list the vault generations kept in backups/ (generation, time, number of accounts), or put one back (the current vault is kept as a backup first; audited)',
      )
      .option('-y, --yes', 'do not ask (required off a terminal)')
      .option(
        '--accept-rollback',
        'restore a generation older than the audit trail has seen, and accept it as `vault accept-rollback` does',
      )
      .option('--json', 'the list or the result as JSON'),

  options(args: readonly unknown[], flags: OptionValues): RestoreOptions {
    const generation = argOptional(args, 0);
    return {
      ...(generation !== undefined && { generation }),
      yes: flagBool(flags, 'yes'),
      acceptRollback: flagBool(flags, 'acceptRollback'),
      json: flagBool(flags, 'json'),
    };
  },

  async run(o: RestoreOptions, { rt, prompter }: Deps): Promise<void> {
    const { checkRestore, listVaultBackups, restoreBackup } = await import('../../app/restore.js');
    const which = o.generation;
    if (which === undefined) {
      const list = await listVaultBackups(rt.ctx);
      if (o.json) {
        rt.io.out(json(list));
        return;
      }
      rt.io.out(
        `current vault: generation ${list.current.generation}, written ${list.current.written}, ${list.current.accounts} account(s)\n`,
      );
      if (list.backups.length === 0) {
        rt.io.out('no backup in backups/ yet (each vault write keeps the previous version)\n');
        return;
      }
      const rows = list.backups.map((b) =>
        b.error === null
          ? [String(b.generation), b.written ?? '', String(b.accounts), b.file]
          : ['?', '', '', `${b.file} (${b.error})`],
      );
      rt.io.out(table(['GENERATION', 'WRITTEN', 'ACCOUNTS', 'FILE'], rows));
      rt.io.out("restore one with 'totp-mcp restore GENERATION' (the current vault is kept as a backup first)\n");
      return;
    }
    if (!o.yes) {
      if (!rt.io.interactive) fail('usage', 'restore replaces the vault: add --yes to confirm off a terminal');
      // Refused before asking, not after (the restore checks again under the vault's lock).
      const entry = await checkRestore(rt.ctx, which, { acceptRollback: o.acceptRollback });
      const sure = await prompter.confirm(
        `Replace the vault with backup generation ${entry.generation ?? '?'} (${entry.accounts ?? '?'} account(s), written ${entry.written ?? '?'})? The current vault is kept in backups/ first.`,
      );
      if (!sure) fail('usage', 'not restored');
    }
    const r = await restoreBackup(rt.ctx, which, { acceptRollback: o.acceptRollback });
    if (o.json) {
      rt.io.out(json(r));
      return;
    }
    rt.io.out(
      `restored generation ${r.restored} from ${r.file}; the vault it replaced (generation ${r.replaced}) is kept in backups/, and this was recorded in the audit log\n`,
    );
    if (r.accepted !== null) {
      rt.io.out(
        `accepted the rollback: the vault is now generation ${r.accepted.to}, past the generation ${r.accepted.trail} the audit trail had seen\n`,
      );
      for (const [id, counter] of Object.entries({ ...r.accepted.hotp, ...r.hotp })) {
        rt.io.out(`  ${id}: HOTP counter moved forward to ${counter}, past the counters already issued\n`);
      }
    }
  },
};

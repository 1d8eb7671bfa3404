/** `totp-mcp audit verify`: every MAC, the sequence and the head record; names the first bad line (exit 1). */
import type { Command, OptionValues } from 'commander';
import { json } from '../../format.js';
import { flagBool, type CommandUnit, type Deps } from '../../unit.js';

export interface AuditVerifyOptions {
  json: boolean;
}

export const auditVerifyCommand: CommandUnit<AuditVerifyOptions> = {
  define: (parent: Command) =>
    parent
      .command('verify')
      .description('check every MAC, the sequence and the head record; names the first bad line (exit 1)')
      .option('--json', 'the report as JSON'),

  options: (_args: readonly unknown[], flags: OptionValues): AuditVerifyOptions => ({ json: flagBool(flags, 'json') }),

  async run(o: AuditVerifyOptions, { rt }: Deps): Promise<void> {
    const { verifyLog } = await import('../../../app/trail.js');
    const r = await verifyLog(rt.ctx);
    if (o.json) rt.io.out(json(r));
    else if (r.ok) {
      const head = {
        ok: '',
        behind: ' (the head record is behind: a crash after the last write; harmless)',
        missing: ' (no head record: a cut tail cannot be detected)',
        invalid: ' (the head record is unreadable: a cut tail cannot be detected)',
        unsigned: ' (the head record is not signed yet: the next write signs it)',
        forged: '',
      }[r.head];
      const from = r.startSeq === undefined ? '' : ` from seq ${r.startSeq} (older events pruned by retention)`;
      rt.io.out(
        `ok: ${r.events} event(s) in ${r.files.length} file(s), chain intact${from} up to seq ${r.lastSeq}${head}\n`,
      );
    } else if (r.firstBad) {
      const b = r.firstBad;
      rt.io.out(
        `FAILED: ${r.events} event(s) verify, then ${b.file} line ${b.line}${b.seq === undefined ? '' : ` (seq ${b.seq})`}: ${b.problem}\n`,
      );
    }
    if (!o.json) {
      const { brokenMessage, rollbackMessage, BROKEN_HINT, ROLLBACK_HINT } = await import('../../../app/trail.js');
      if (r.trail.broken !== null) rt.io.out(`FAILED: ${brokenMessage(r.trail.broken)}\n  hint: ${BROKEN_HINT}\n`);
      if (r.trail.rollback !== null)
        rt.io.out(`FAILED: ${rollbackMessage(r.trail.rollback)}\n  hint: ${ROLLBACK_HINT}\n`);
      if (r.witness && r.witness.level !== 'ok')
        rt.io.out(`${r.witness.level === 'fail' ? 'FAILED' : 'warning'}: fleet witness: ${r.witness.detail}\n`);
    }
    if (!r.ok) rt.exitCode = 1;
  },
};

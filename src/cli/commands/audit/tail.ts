/** `totp-mcp audit tail`: the last events, and with -f the new ones as they come. */
import type { Command, OptionValues } from 'commander';
import type { AuditEvent } from '../../../app/audit.js';
import { fail } from '../../../core/errors.js';
import { printable, table } from '../../format.js';
import { flagBool, flagString, type CommandUnit, type Deps } from '../../unit.js';

export interface AuditTailOptions {
  lines: number;
  follow: boolean;
  json: boolean;
}

const line = (e: AuditEvent): string[] => [
  e.ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
  String(e.seq),
  e.agent ?? '(owner)',
  e.action,
  e.account ?? '',
  e.decision,
  e.rule ?? '',
  e.reason,
  e.approval === null || e.approval === 'none' ? '' : e.approval,
  e.client ? printable(e.client.name) : '',
  awsCell(e),
];
const HEAD = ['TIME', 'SEQ', 'AGENT', 'ACTION', 'ACCOUNT', 'DECISION', 'RULE', 'REASON', 'APPROVAL', 'CLIENT', 'AWS'];

const span = (s: number): string => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

/** An AWS session's role, delivery and duration ("deploy container 1h"); the MFA user's own session has no role. */
function awsCell(e: AuditEvent): string {
  if (!e.aws) return '';
  return `${e.aws.role === null ? '(no role)' : printable(e.aws.role)} ${e.aws.delivery} ${span(e.aws.duration)}`;
}

export const auditTailCommand: CommandUnit<AuditTailOptions> = {
  define: (parent: Command) =>
    parent
      .command('tail')
      .description('the last events')
      .option('-n, --lines <n>', 'how many (default 20)')
      .option('-f, --follow', 'keep printing new events until Ctrl-C')
      .option('--json', 'one JSON event per line'),

  options(_args: readonly unknown[], flags: OptionValues): AuditTailOptions {
    const text = flagString(flags, 'lines');
    const n = text === undefined ? 20 : Number(text);
    if (!(Number.isInteger(n) && n >= 0)) fail('usage', '-n takes a whole number');
    return { lines: n, follow: flagBool(flags, 'follow'), json: flagBool(flags, 'json') };
  },

  async run(o: AuditTailOptions, { rt }: Deps): Promise<void> {
    const { followLog, tailLog } = await import('../../../app/audit.js');
    const n = o.lines;
    const events = await tailLog(rt.ctx, n);
    if (o.json) for (const e of events) rt.io.out(`${JSON.stringify(e)}\n`);
    else rt.io.out(table(HEAD, events.map(line)));
    if (!o.follow) return;
    const ac = new AbortController();
    process.once('SIGINT', () => {
      ac.abort();
    });
    process.once('SIGTERM', () => {
      ac.abort();
    });
    await followLog(
      rt.ctx,
      (e) => {
        rt.io.out(o.json ? `${JSON.stringify(e)}\n` : `${line(e).join('  ')}\n`);
      },
      ac.signal,
      events.at(-1)?.seq,
    );
  },
};

/** `totp-mcp audit stats`: events per agent, account, decision and deny reason. */
import type { Command, OptionValues } from 'commander';
import { parseTime } from '../../../core/clock.js';
import { fail } from '../../../core/errors.js';
import { json, printable, table } from '../../format.js';
import { flagBool, flagString, type CommandUnit, type Deps } from '../../unit.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export interface AuditStatsOptions {
  /** Only events since: a span back from now (`24h`, in ms), or a time (ms). */
  since?: { ago: number } | { at: number };
  json: boolean;
}

export const auditStatsCommand: CommandUnit<AuditStatsOptions> = {
  define: (parent: Command) =>
    parent
      .command('stats')
      .description('events per agent, account, decision and deny reason')
      .option('--since <when>', 'only events since: 24h, 7d, ISO 8601 or Unix seconds')
      .option('--json', 'as JSON'),

  options(_args: readonly unknown[], flags: OptionValues): AuditStatsOptions {
    const text = flagString(flags, 'since');
    const o: AuditStatsOptions = { json: flagBool(flags, 'json') };
    if (text === undefined) return o;
    const rel = /^(\d+)([smhd])$/.exec(text);
    const unit = rel?.[2];
    if (rel && (unit === 's' || unit === 'm' || unit === 'h' || unit === 'd'))
      o.since = { ago: Number(rel[1]) * UNIT_SECONDS[unit] * 1000 };
    else {
      const at = parseTime(text);
      if (at === undefined) fail('usage', '--since takes 24h, 7d, ISO 8601 or Unix seconds');
      o.since = { at };
    }
    return o;
  },

  async run(o: AuditStatsOptions, { rt, clock }: Deps): Promise<void> {
    const { statsLog } = await import('../../../app/audit.js');
    const since = o.since === undefined ? undefined : 'ago' in o.since ? clock.now() - o.since.ago : o.since.at;
    const s = await statsLog(rt.ctx, since);
    if (o.json) {
      rt.io.out(json(s));
      return;
    }
    rt.io.out(`${s.total} event(s)${s.from ? ` from ${s.from} to ${s.to ?? ''}` : ''}\n`);
    const section = (title: string, rec: Readonly<Record<string, number>>): void => {
      const rows = Object.entries(rec).sort((a, b) => b[1] - a[1]);
      if (rows.length)
        rt.io.out(
          `\n${table(
            [title, 'EVENTS'],
            rows.map(([k, v]) => [printable(k), String(v)]),
          )}`,
        );
    };
    section('AGENT', s.byAgent);
    section('ACCOUNT', s.byAccount);
    section('DECISION', s.byDecision);
    section('DENY REASON', s.denyReasons);
  },
};

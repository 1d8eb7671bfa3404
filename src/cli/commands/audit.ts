import { followLog, statsLog, tailLog, verifyLog, type AuditEvent } from '../../app/audit.js';
import { parseTime } from '../../core/clock.js';
import { fail } from '../../core/errors.js';
import { json, printable, table } from '../format.js';
import type { Runtime } from '../runtime.js';

export async function runAuditVerify(rt: Runtime, o: { json?: boolean }): Promise<void> {
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
    const { brokenMessage, rollbackMessage, BROKEN_HINT, ROLLBACK_HINT } = await import('../../app/trail.js');
    if (r.trail.broken !== null) rt.io.out(`FAILED: ${brokenMessage(r.trail.broken)}\n  hint: ${BROKEN_HINT}\n`);
    if (r.trail.rollback !== null)
      rt.io.out(`FAILED: ${rollbackMessage(r.trail.rollback)}\n  hint: ${ROLLBACK_HINT}\n`);
  }
  if (!r.ok) rt.exitCode = 1;
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

export async function runAuditTail(
  rt: Runtime,
  o: { lines?: string; follow?: boolean; json?: boolean },
): Promise<void> {
  const n = o.lines === undefined ? 20 : Number(o.lines);
  if (!(Number.isInteger(n) && n >= 0)) fail('usage', '-n takes a whole number');
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
}

export async function runAuditStats(rt: Runtime, o: { since?: string; json?: boolean }): Promise<void> {
  let since: number | undefined;
  if (o.since !== undefined) {
    const rel = /^(\d+)([smhd])$/.exec(o.since);
    since = rel
      ? rt.clock.now() - Number(rel[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as 's' | 'm' | 'h' | 'd'] * 1000
      : parseTime(o.since);
    if (since === undefined) fail('usage', '--since takes 24h, 7d, ISO 8601 or Unix seconds');
  }
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
}

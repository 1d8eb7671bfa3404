/** The owner's view of the audit log: verify, tail, stats; and recording the owner's own acts. */
// Specific audit modules, not the barrel: the agent path (which imports auditKey and recordOwner)
// must not load the verifier and its schema library; verifyLog loads it on demand.
import type { AuditEvent, AuditInput } from '../audit/event.js';
import { openAuditLog } from '../audit/log.js';
import { auditStats, followAudit, readAudit, type AuditStats } from '../audit/read.js';
import type { VerifyReport } from '../audit/verify.js';
import { Redacted } from '../core/redacted.js';
import type { Payload } from '../vault/index.js';
import type { AppContext } from './context.js';
import type { TrailCheck } from './trail.js';
import type { WitnessCheck } from './fleet.js';

export type { AuditEvent, AuditStats, VerifyReport };

export const auditKey = (payload: Payload): Redacted<Buffer> =>
  new Redacted(Buffer.from(payload.audit_key.reveal(), 'base64'));

/** The chain's own check, and this home's trail judged against the vault (app/trail.ts); `ok` covers both. */
type TrailReport = VerifyReport & { trail: TrailCheck; witness: WitnessCheck | null };

export async function verifyLog(ctx: AppContext): Promise<TrailReport> {
  const vault = await ctx.vault();
  const payload = await vault.read();
  const [{ verifyAudit }, { judgeReport }] = await Promise.all([import('../audit/verify.js'), import('./trail.js')]);
  const report = await verifyAudit(ctx.paths.state, auditKey(payload), { anchor: payload.anchors[vault.homeId] });
  const trail = judgeReport(report, payload, vault.homeId);
  const ok = report.ok && trail.broken === null && trail.rollback === null;
  // Issue 15: against the fleet witness, when a coordinator is configured (null otherwise).
  const witness = await (await import('./fleet.js')).witness(ctx, { ...report, ok });
  return { ...report, ok: ok && witness?.level !== 'fail', trail, witness };
}

export function tailLog(ctx: AppContext, last: number): Promise<AuditEvent[]> {
  return readAudit(ctx.paths.state, { last });
}

export function followLog(
  ctx: AppContext,
  onEvent: (e: AuditEvent) => void,
  signal: AbortSignal,
  afterSeq?: number,
): Promise<void> {
  return followAudit(ctx.paths.state, onEvent, signal, afterSeq === undefined ? {} : { afterSeq });
}

export async function statsLog(ctx: AppContext, sinceMs?: number): Promise<AuditStats> {
  return auditStats(await readAudit(ctx.paths.state, sinceMs === undefined ? {} : { since: sinceMs }));
}

export type OwnerEvent = Omit<AuditInput, 'agent'>;

/**
 * Records an act of the owner's CLI (agent null), fsynced before returning. Several events (an
 * export of many accounts, one per account) go in one opening of the log, in order.
 */
export async function recordOwner(
  ctx: AppContext,
  payload: Payload,
  event: OwnerEvent | readonly OwnerEvent[],
): Promise<void> {
  const vault = await ctx.vault();
  const anchored = payload.anchors[vault.homeId] !== undefined;
  const log = openAuditLog(ctx.paths.state, auditKey(payload), { clock: ctx.clock, anchored: () => anchored });
  const gen = Math.max(payload.generation, vault.generationSeen);
  try {
    for (const e of Array.isArray(event) ? (event as readonly OwnerEvent[]) : [event as OwnerEvent])
      await log.append({ gen, ...e, agent: null });
  } finally {
    await log.close();
  }
}

/**
 * One event per account named (the count and the format in the reason, `<format>:<n>`, so each
 * line says what the whole act was); one event without an account when none was named.
 */
export function perAccount(action: OwnerEvent['action'], ids: readonly string[], format: string): OwnerEvent[] {
  const reason = `${format}:${ids.length}`;
  if (ids.length === 0) return [{ action, decision: 'allow', reason }];
  return ids.map((account) => ({ action, account, decision: 'allow', reason }));
}

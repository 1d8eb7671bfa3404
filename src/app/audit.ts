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

export type { AuditEvent, AuditStats, VerifyReport };

export const auditKey = (payload: Payload): Redacted<Buffer> => new Redacted(Buffer.from(payload.audit_key.reveal(), 'base64'));

export async function verifyLog(ctx: AppContext): Promise<VerifyReport> {
  const payload = await (await ctx.vault()).read();
  const { verifyAudit } = await import('../audit/verify.js');
  return verifyAudit(ctx.paths.state, auditKey(payload));
}

export function tailLog(ctx: AppContext, last: number): Promise<AuditEvent[]> {
  return readAudit(ctx.paths.state, { last });
}

export function followLog(ctx: AppContext, onEvent: (e: AuditEvent) => void, signal: AbortSignal, afterSeq?: number): Promise<void> {
  return followAudit(ctx.paths.state, onEvent, signal, afterSeq === undefined ? {} : { afterSeq });
}

export async function statsLog(ctx: AppContext, sinceMs?: number): Promise<AuditStats> {
  return auditStats(await readAudit(ctx.paths.state, sinceMs === undefined ? {} : { since: sinceMs }));
}

/** Records an act of the owner's CLI (agent null), fsynced before returning. */
export async function recordOwner(ctx: AppContext, payload: Payload, event: Omit<AuditInput, 'agent'>): Promise<void> {
  const log = openAuditLog(ctx.paths.state, auditKey(payload), { clock: ctx.clock });
  try {
    await log.append({ ...event, agent: null });
  } finally {
    await log.close();
  }
}

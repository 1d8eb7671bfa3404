/** The owner's ways back after an integrity check failed: `vault accept-rollback` and `audit reset`. */
import { acceptRollback, resetTrail } from '../../app/trail.js';
import { json } from '../format.js';
import type { Runtime } from '../runtime.js';

export async function runAcceptRollback(rt: Runtime, o: { json?: boolean }): Promise<void> {
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
}

export async function runAuditReset(rt: Runtime, o: { reason: string; json?: boolean }): Promise<void> {
  const r = await resetTrail(rt.ctx, o.reason);
  if (o.json) {
    rt.io.out(json(r));
    return;
  }
  const last = r.last === null ? 'no earlier event was known' : `the old chain was last known at event ${r.last.seq}`;
  rt.io.out(`a new audit chain starts at event ${r.event}, which records the break (${last}) and your reason\n`);
  if (r.movedTo !== null) rt.io.out(`the old chain's files were moved to ${r.movedTo}\n`);
  rt.io.out('note: rate limits count from the new chain\n');
}

/**
 * `totp-mcp approvals [--json]`, `approvals approve ID [--for TTL]`, `approvals deny ID` (issue 14):
 * the terminal channel, for SSH and headless machines. Lists and answers the questions every
 * server on this home has open; answering needs the vault unlocked, as any owner command.
 */
import { answerApproval, pendingApprovals, type BoardQuestion } from '../../app/approvals/terminal.js';
import { fail } from '../../core/errors.js';
import { json } from '../format.js';
import type { Runtime } from '../runtime.js';

export interface ApprovalsOptions {
  /** undefined: list. */
  readonly verb?: string | undefined;
  readonly id?: string | undefined;
  readonly json?: boolean | undefined;
  readonly for?: string | undefined;
}

const what = (q: BoardQuestion): string =>
  q.action === 'aws_session'
    ? `AWS session on ${q.account} (${q.role === null ? 'own session' : `role ${q.role}`}, ${q.duration_seconds === null ? 'default duration' : `${q.duration_seconds} s`}, ${q.delivery ?? 'profile'})`
    : `${q.action} of ${q.account}`;

export async function runApprovals(rt: Runtime, o: ApprovalsOptions): Promise<void> {
  if (o.verb === undefined) {
    if (o.id !== undefined || o.for !== undefined) fail('usage', 'usage: totp-mcp approvals [--json]');
    const list = await pendingApprovals(rt.ctx);
    if (o.json) {
      rt.io.out(
        json(
          list.map((q) => ({
            id: q.id,
            agent: q.agent,
            client: q.client,
            account: q.account,
            action: q.action,
            role: q.role,
            duration_seconds: q.duration_seconds,
            asked_at: q.asked_at,
            expires_at: q.expires_at,
          })),
        ),
      );
      return;
    }
    if (list.length === 0) {
      rt.io.out('no approval request is open\n');
      return;
    }
    for (const q of list) {
      rt.io.out(
        `${q.id}  agent ${q.agent}${q.client === null ? '' : ` (client says: ${q.client})`} asks for the ${what(q)}; open until ${q.expires_at}${q.ttl_seconds === null ? '' : `; may be remembered up to ${q.ttl_seconds} s`}\n`,
      );
    }
    rt.io.out("answer with 'totp-mcp approvals approve ID [--for TTL]' or 'totp-mcp approvals deny ID'\n");
    return;
  }
  if (o.verb !== 'approve' && o.verb !== 'deny')
    fail('usage', 'usage: totp-mcp approvals [--json] | approvals approve ID [--for TTL] | approvals deny ID');
  if (o.id === undefined) fail('usage', `usage: totp-mcp approvals ${o.verb} ID`);
  const q = await answerApproval(rt.ctx, o.id, o.verb === 'approve' ? 'confirmed' : 'declined', o.for);
  if (o.json) {
    rt.io.out(json({ id: q.id, answer: o.verb === 'approve' ? 'confirmed' : 'declined' }));
    return;
  }
  rt.io.out(`${o.verb === 'approve' ? 'approved' : 'denied'}: agent ${q.agent}, the ${what(q)}\n`);
}

/**
 * The owner's side of the terminal channel (issue 14): the open questions of every server on this
 * home, and an answer to one. Both unlock the vault: the board's MAC key comes from it, so only
 * someone who can open the vault can list or answer (board.ts says why that is the line).
 */
import { TotpMcpError } from '../../core/errors.js';
import { checkDuration, formatDuration } from '../../core/duration.js';
import { auditKey } from '../audit.js';
import type { AppContext } from '../context.js';
import { Board, boardKey, QUESTION_ID, type BoardQuestion } from './board.js';

export type { BoardQuestion } from './board.js';

async function board(ctx: AppContext): Promise<Board> {
  const payload = await (await ctx.vault()).read();
  return new Board(ctx.paths.state, boardKey(auditKey(payload).reveal()));
}

export async function pendingApprovals(ctx: AppContext): Promise<BoardQuestion[]> {
  return (await (await board(ctx)).list(ctx.clock.now())).map((e) => e.q);
}

/**
 * Answers one open question. `forTtl` (approve only): how long the yes is remembered, at most the
 * rule's approval_ttl; without it, allowed once.
 */
export async function answerApproval(
  ctx: AppContext,
  id: string,
  answer: 'confirmed' | 'declined',
  forTtl?: string,
): Promise<BoardQuestion> {
  if (!QUESTION_ID.test(id))
    throw new TotpMcpError('usage', 'expected an approval id as `totp-mcp approvals` lists it (32 hex digits)');
  const b = await board(ctx);
  const entry = (await b.list(ctx.clock.now())).find((e) => e.q.id === id);
  if (entry === undefined)
    throw new TotpMcpError('not_found', 'no open approval request with this id (answered, expired or withdrawn)', {
      hint: "run 'totp-mcp approvals' to see the open ones",
    });
  let remember = 0;
  if (forTtl !== undefined) {
    if (answer !== 'confirmed') throw new TotpMcpError('usage', '--for applies to approve only');
    const s = checkDuration(forTtl, '--for');
    const ttl = entry.q.ttl_seconds;
    if (ttl === null)
      throw new TotpMcpError('usage', "--for: this request's rule asks every time (it has no approval_ttl)");
    if (s > ttl)
      throw new TotpMcpError(
        'usage',
        `--for: this request's rule remembers an approval for at most ${formatDuration(ttl)}`,
      );
    remember = s;
  }
  try {
    await b.answer({ id, key: entry.key, answer, remember_seconds: remember });
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST')
      throw new TotpMcpError('conflict', 'this approval request has already been answered');
    throw e;
  }
  return entry.q;
}

/** `policy explain`: the decision an agent would get now (or at a given time), and why. */
import { openAuditLog } from '../audit/index.js';
import { fail } from '../core/errors.js';
import { ACTIONS, explain, type Action, type PolicyAwsRequest, type Explanation } from '../policy/index.js';
import { checkId } from './accounts.js';
import { auditKey } from './audit.js';
import type { AppContext } from './context.js';
import { checkPolicy } from './policy-file.js';

interface ExplainQuery {
  agent: string;
  account: string;
  action: string;
  at: number;
  aws?: PolicyAwsRequest | undefined;
}

const isAction = (a: string): a is Action => (ACTIONS as readonly string[]).includes(a);

export async function explainRequest(
  ctx: AppContext,
  q: ExplainQuery,
): Promise<{ explanation: Explanation; text: string; pinned: boolean }> {
  if (!isAction(q.action)) fail('usage', `--action must be one of ${ACTIONS.join(', ')}`);
  checkId(q.account);
  const { policy, pinned } = await checkPolicy(ctx);
  const payload = await (await ctx.vault()).read();
  const account = payload.accounts.find((a) => a.id === q.account);
  const log = openAuditLog(ctx.paths.state, auditKey(payload), { clock: ctx.clock });
  const usage = await log.usageCounter(q.at);
  await log.close();
  const explanation = explain(
    policy,
    {
      agent: q.agent,
      action: q.action,
      account: { id: q.account, tags: account?.tags ?? [] },
      ...(q.aws && { aws: q.aws }),
    },
    { now: q.at, usage },
  );
  const note = account
    ? ''
    : `note: there is no account '${q.account}' in the vault; explained as an account without tags\n`;
  return { explanation, text: note + explanation.text, pinned };
}

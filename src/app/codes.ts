/** Issuing codes: shared by the owner's `code` command and the agent path (agent.ts). */
import { fail } from '../core/errors.js';
import type { Account, IssuedCode } from '../core/model.js';
import { generateCode } from '../otp/index.js';
import { checkId, findAccount } from './accounts.js';
import type { AppContext } from './context.js';

export function toIssued(account: Account, atMs: number): IssuedCode {
  const g = generateCode(account, atMs);
  return {
    account: account.id,
    code: g.code,
    step: g.step,
    expires_at: g.expiresAtMs === null ? null : new Date(g.expiresAtMs).toISOString(),
    remaining_seconds: g.expiresAtMs === null ? null : Math.max(0, Math.ceil((g.expiresAtMs - atMs) / 1000)),
  };
}

/**
 * The code of `account` at `atMs`. TOTP and Steam are computed; HOTP uses the stored counter and
 * saves counter + 1 in the same atomic vault write, so no counter value is ever handed out twice,
 * whatever the number of processes.
 */
export async function issueFor(ctx: AppContext, account: Account, atMs: number): Promise<IssuedCode> {
  if (account.type !== 'hotp') return toIssued(account, atMs);
  return (await ctx.vault()).update((p) => {
    const a = findAccount(p.accounts, account.id);
    const code = toIssued(a, atMs);
    a.counter += 1;
    a.updated_at = new Date(atMs).toISOString();
    return code;
  });
}

/** The owner's `code <id> [--at TIME]` (not policy-checked). */
export async function issueCode(ctx: AppContext, id: string, atMs?: number): Promise<IssuedCode> {
  checkId(id);
  const vault = await ctx.vault();
  const payload = await vault.read();
  const account = findAccount(payload.accounts, id);
  if (account.type === 'hotp' && atMs !== undefined)
    fail('usage', 'an HOTP code depends on its counter, not on a time: drop --at');
  if (account.type === 'hotp') {
    // A rolled-back vault holds an old counter: the code it gives was handed out already.
    const { judgeTrail, rollbackMessage, ROLLBACK_HINT } = await import('./trail.js');
    const { rollback } = await judgeTrail(ctx.paths.state, payload, vault.homeId);
    if (rollback !== null) fail('vault_locked', rollbackMessage(rollback), { hint: ROLLBACK_HINT });
  }
  return issueFor(ctx, account, atMs ?? ctx.clock.now());
}

/** Issuing codes. The owner's `code` command calls this directly; agents go through the policy gate first. */
import { fail } from '../core/errors.js';
import type { Account, IssuedCode } from '../core/model.js';
import { generateCode } from '../otp/index.js';
import { checkId, findAccount } from './accounts.js';
import type { AppContext } from './context.js';

function issued(account: Account, atMs: number): IssuedCode {
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
 * The code of `id` at `atMs` (default: now). TOTP and Steam are read-only; HOTP uses the stored
 * counter and saves counter + 1 in the same atomic vault write, so no counter value is ever
 * handed out twice, whatever the number of processes.
 */
export async function issueCode(ctx: AppContext, id: string, atMs?: number): Promise<IssuedCode> {
  checkId(id);
  const vault = await ctx.vault();
  const at = atMs ?? ctx.clock.now();
  const payload = await vault.read();
  const account = findAccount(payload.accounts, id);
  if (account.type !== 'hotp') return issued(account, at);
  if (atMs !== undefined) fail('usage', 'an HOTP code depends on its counter, not on a time: drop --at');
  return vault.update((p) => {
    const a = findAccount(p.accounts, id);
    const code = issued(a, at);
    a.counter += 1;
    a.updated_at = new Date(at).toISOString();
    return code;
  });
}

/**
 * The owner's list of origins per account (issue 17): where fill_totp_code may type the code.
 * Canonical forms only (core/origin.ts), at most MAX_ORIGINS.
 */
import { fail } from '../core/errors.js';
import { MAX_ORIGINS, parseOrigin } from '../core/origin.js';
import { checkId, findAccount } from './accounts.js';
import type { AppContext } from './context.js';

/** Applies `+origin` / `-origin` changes (a bare origin means `+`); none: reads. Returns the list. */
export async function changeOrigins(ctx: AppContext, id: string, changes: readonly string[]): Promise<string[]> {
  checkId(id);
  const ops = changes.map((c) => {
    const remove = c.startsWith('-');
    return { remove, origin: parseOrigin(remove || c.startsWith('+') ? c.slice(1) : c) };
  });
  const vault = await ctx.vault();
  if (ops.length === 0) return [...(findAccount((await vault.read()).accounts, id).origins ?? [])];
  return vault.update((p) => {
    const a = findAccount(p.accounts, id);
    const origins = new Set(a.origins ?? []);
    for (const op of ops) {
      if (op.remove) origins.delete(op.origin);
      else origins.add(op.origin);
    }
    if (origins.size > MAX_ORIGINS)
      fail('usage', `an account takes at most ${MAX_ORIGINS} origins`, { hint: 'remove some with -https://…' });
    const list = [...origins].sort();
    if (list.length === 0) Reflect.deleteProperty(a, 'origins');
    else a.origins = list;
    a.updated_at = new Date(ctx.clock.now()).toISOString();
    return list;
  });
}

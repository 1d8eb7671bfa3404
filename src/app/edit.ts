/**
 * The owner's `edit`: change an account's issuer, label or OTP parameters in place, keeping its id,
 * secret, tags, AWS block and creation time (rm + add would lose them). Not policy-checked.
 */
import { fail } from '../core/errors.js';
import type { Account } from '../core/model.js';
import { makeDraft } from '../otp/index.js';
import { recordOwner } from './audit.js';
import { checkId, findAccount, summarize, type AccountSummary } from './accounts.js';
import type { AppContext } from './context.js';

export interface EditChanges {
  issuer?: string | undefined;
  label?: string | undefined;
  digits?: string | undefined;
  period?: string | undefined;
  algorithm?: string | undefined;
  counter?: string | undefined;
}

interface EditResult {
  account: AccountSummary;
  /** The fields that changed, old → new (no secret is ever among them). */
  changed: { field: keyof EditChanges; from: string | number; to: string | number }[];
  /** An HOTP counter moved backwards (codes already used become valid again): for the owner's audit. */
  counterBack: boolean;
}

const FIELDS = ['issuer', 'label', 'algorithm', 'digits', 'period', 'counter'] as const;

/** Refuses options that mean nothing for the account's type (makeDraft would silently drop them). */
function checkApplicable(a: Account, c: EditChanges): void {
  if (a.type === 'steam') {
    const given = (['algorithm', 'digits', 'period', 'counter'] as const).filter((k) => c[k] !== undefined);
    if (given.length > 0)
      fail('usage', `a Steam account's algorithm, digits and period are fixed: drop --${given.join(', --')}`);
  }
  if (a.type === 'hotp' && c.period !== undefined) fail('usage', 'an HOTP account has no period: drop --period');
  if (a.type !== 'hotp' && c.counter !== undefined) fail('usage', 'only an HOTP account has a counter: drop --counter');
}

/** The account after the changes (validated as `add` validates), and what changed. Pure. */
function planEdit(
  a: Account,
  id: string,
  c: EditChanges,
  force: boolean,
): Omit<EditResult, 'account'> & { next: Account } {
  checkApplicable(a, c);
  const d = makeDraft({
    secret: a.secret,
    type: a.type,
    algorithm: c.algorithm ?? a.algorithm,
    digits: c.digits ?? a.digits,
    period: c.period ?? a.period,
    counter: c.counter ?? a.counter,
    issuer: c.issuer ?? a.issuer,
    label: c.label ?? a.label,
  });
  if (a.aws && d.digits !== 6)
    fail('invalid', `account ${id} has an AWS block: AWS MFA devices use 6-digit codes`, { hint: 'keep --digits 6' });
  const counterBack = a.type === 'hotp' && d.counter < a.counter;
  if (counterBack && !force) {
    fail(
      'conflict',
      `moving the HOTP counter of ${id} back (from ${a.counter} to ${d.counter}) makes codes already used valid again`,
      {
        hint: 'add --force if the server really expects the lower counter',
      },
    );
  }
  const next: Account = {
    ...a,
    issuer: d.issuer,
    label: d.label,
    algorithm: d.algorithm,
    digits: d.digits,
    period: d.period,
    counter: d.counter,
  };
  const changed: EditResult['changed'] = [];
  for (const k of FIELDS) {
    if (a[k] !== next[k]) changed.push({ field: k, from: a[k], to: next[k] });
  }
  return { next, changed, counterBack };
}

/**
 * One vault write (none when nothing changes: a write would also push out an older backup). An
 * HOTP counter moved backwards is refused unless `force`.
 */
export async function editAccount(
  ctx: AppContext,
  id: string,
  c: EditChanges,
  o: { force?: boolean } = {},
): Promise<EditResult> {
  checkId(id);
  if (FIELDS.every((k) => c[k] === undefined))
    fail('usage', 'nothing to change: give --issuer, --label, --digits, --period, --algorithm or --counter');
  const vault = await ctx.vault();
  const force = o.force === true;
  const current = findAccount((await vault.read()).accounts, id);
  const dry = planEdit(current, id, c, force);
  if (dry.changed.length === 0) return { account: summarize(current), changed: [], counterBack: false };
  // Planned again under the vault's lock, against what is there now (an HOTP code may have been issued since).
  const { result, written, from, to } = await vault.update((p) => {
    const a = findAccount(p.accounts, id);
    const from = a.counter;
    const { next, changed, counterBack } = planEdit(a, id, c, force);
    Object.assign(a, next, { updated_at: new Date(ctx.clock.now()).toISOString() });
    // `p` is the payload as written (the store raises its generation after this returns).
    return { result: { account: summarize(a), changed, counterBack }, written: p, from, to: a.counter };
  });
  // Codes already used become valid again: the owner's trail says so (the id and both counters, numbers only).
  if (result.counterBack) {
    await recordOwner(ctx, written, {
      action: 'account_counter_back',
      account: id,
      decision: 'allow',
      reason: `from:${from}`,
      step: to,
    });
  } else if (result.changed.length > 0) {
    await recordOwner(ctx, written, { action: 'account_update', account: id, decision: 'allow', reason: 'edit' });
  }
  return result;
}

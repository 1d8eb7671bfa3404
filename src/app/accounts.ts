/** The owner's account management: add, list, remove, rename, tag, export. Not policy-checked. */
import { fail } from '../core/errors.js';
import {
  ID_PATTERN,
  ID_RULE,
  TAG_PATTERN,
  TAG_RULE,
  type Account,
  type AccountDraft,
  type Algorithm,
  type OtpType,
} from '../core/model.js';
import type { Redacted } from '../core/redacted.js';
import { redactAwsBlock } from '../aws/config.js';
import { formatOtpUri, makeDraft, parseOtpUri } from '../otp/index.js';
import type { OwnerEvent } from './audit.js';
import type { AppContext } from './context.js';
import type { Payload } from '../vault/index.js';

/** The owner's acts are audited; the audit writer is loaded only then (`code` and `list` never need it). */
async function recordOwner(
  ctx: AppContext,
  payload: Payload,
  event: OwnerEvent | readonly OwnerEvent[],
): Promise<void> {
  await (await import('./audit.js')).recordOwner(ctx, payload, event);
}

/** Everything about an account except its secret. */
export interface AccountSummary {
  id: string;
  issuer: string;
  label: string;
  type: OtpType;
  algorithm: Algorithm;
  digits: number;
  /** TOTP and Steam only: an HOTP code has no period. */
  period?: number;
  /** HOTP only: the counter of the next code (not a secret). */
  counter?: number;
  tags: string[];
  aws: Record<string, unknown> | null;
}

export function summarize(a: Account): AccountSummary {
  return {
    id: a.id,
    issuer: a.issuer,
    label: a.label,
    type: a.type,
    algorithm: a.algorithm,
    digits: a.digits,
    ...(a.type === 'hotp' ? { counter: a.counter } : { period: a.period }),
    tags: [...a.tags],
    aws: a.aws ? redactAwsBlock(a.aws) : null, // never the long-term secret key
  };
}

export function checkId(id: string): string {
  if (!ID_PATTERN.test(id)) fail('usage', `invalid account id: use ${ID_RULE}`);
  return id;
}

export function checkTag(tag: string): string {
  if (!TAG_PATTERN.test(tag)) fail('usage', `invalid tag: use ${TAG_RULE}`);
  return tag;
}

export function findAccount(accounts: readonly Account[], id: string): Account {
  const a = accounts.find((x) => x.id === id);
  if (!a) return fail('not_found', `no account '${checkId(id)}'`, { hint: "see 'totp-mcp list'" });
  return a;
}

interface SecretOptions {
  type?: string | undefined;
  algorithm?: string | undefined;
  digits?: string | undefined;
  period?: string | undefined;
  counter?: string | undefined;
  issuer?: string | undefined;
  label?: string | undefined;
}

/** A draft from a typed or piped secret and explicit options. */
export function draftFromSecret(secret: Redacted, o: SecretOptions, id: string): AccountDraft {
  return makeDraft({
    secret,
    ...(o.type !== undefined && { type: o.type }),
    ...(o.algorithm !== undefined && { algorithm: o.algorithm }),
    ...(o.digits !== undefined && { digits: o.digits }),
    ...(o.period !== undefined && { period: o.period }),
    ...(o.counter !== undefined && { counter: o.counter }),
    issuer: o.issuer ?? '',
    label: o.label ?? id,
  });
}

/** A draft from an otpauth:// (or steam://) URI, with optional issuer/label overrides. */
export function draftFromUri(
  uri: Redacted,
  overrides: { issuer?: string | undefined; label?: string | undefined },
): AccountDraft {
  const d = parseOtpUri(uri.reveal().trim());
  if (overrides.issuer === undefined && overrides.label === undefined) return d;
  return makeDraft({ ...d, issuer: overrides.issuer ?? d.issuer, label: overrides.label ?? d.label });
}

/** `inspect` sees the accounts already in the vault, in the same write (for the front's warnings). */
export async function addAccount(
  ctx: AppContext,
  id: string,
  draft: AccountDraft,
  tags: readonly string[],
  inspect?: (existing: readonly Account[]) => void,
): Promise<AccountSummary> {
  checkId(id);
  const cleanTags = [...new Set(tags.map(checkTag))].sort();
  const vault = await ctx.vault();
  const { summary, payload } = await vault.update((p) => {
    if (p.accounts.some((a) => a.id === id))
      fail('conflict', `account '${id}' already exists`, { hint: "choose another id, or 'totp-mcp rm' it first" });
    inspect?.(p.accounts);
    const now = new Date(ctx.clock.now()).toISOString();
    const account: Account = { ...draft, id, tags: cleanTags, created_at: now, updated_at: now };
    p.accounts.push(account);
    return { summary: summarize(account), payload: p };
  });
  await recordOwner(ctx, payload, { action: 'account_add', account: id, decision: 'allow', reason: draft.type });
  return summary;
}

export async function listAccounts(ctx: AppContext, tag?: string): Promise<AccountSummary[]> {
  const p = await (await ctx.vault()).read();
  const wanted = tag === undefined ? undefined : checkTag(tag);
  return p.accounts
    .filter((a) => wanted === undefined || a.tags.includes(wanted))
    .map(summarize)
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function removeAccount(ctx: AppContext, id: string): Promise<void> {
  checkId(id);
  const payload = await (
    await ctx.vault()
  ).update((p) => {
    const i = p.accounts.findIndex((a) => a.id === id);
    if (i < 0) fail('not_found', `no account '${id}'`);
    p.accounts.splice(i, 1);
    return p;
  });
  await recordOwner(ctx, payload, { action: 'account_remove', account: id, decision: 'allow', reason: 'removed' });
}

export async function renameAccount(ctx: AppContext, from: string, to: string): Promise<void> {
  checkId(from);
  checkId(to);
  const payload = await (
    await ctx.vault()
  ).update((p) => {
    const a = findAccount(p.accounts, from);
    if (from === to) return null;
    if (p.accounts.some((x) => x.id === to)) fail('conflict', `account '${to}' already exists`);
    a.id = to;
    a.updated_at = new Date(ctx.clock.now()).toISOString();
    return p;
  });
  // Two ids do not fit one reason (each may be 64 characters): two adjacent events, the old id's
  // and the new one's.
  if (payload !== null)
    await recordOwner(ctx, payload, [
      { action: 'account_update', account: from, decision: 'allow', reason: 'rename_from' },
      { action: 'account_update', account: to, decision: 'allow', reason: 'rename_to' },
    ]);
}

/** Applies `+tag` / `-tag` changes (a bare `tag` means `+tag`); returns the resulting tags. */
export async function retagAccount(ctx: AppContext, id: string, changes: readonly string[]): Promise<string[]> {
  checkId(id);
  const ops = changes.map((c) => {
    const remove = c.startsWith('-');
    return { remove, tag: checkTag(remove || c.startsWith('+') ? c.slice(1) : c) };
  });
  const vault = await ctx.vault();
  if (ops.length === 0) return [...findAccount((await vault.read()).accounts, id).tags];
  const { tags, payload } = await vault.update((p) => {
    const a = findAccount(p.accounts, id);
    const next = new Set(a.tags);
    for (const op of ops) {
      if (op.remove) next.delete(op.tag);
      else next.add(op.tag);
    }
    a.tags = [...next].sort();
    a.updated_at = new Date(ctx.clock.now()).toISOString();
    return { tags: [...a.tags], payload: p };
  });
  await recordOwner(ctx, payload, { action: 'account_update', account: id, decision: 'allow', reason: 'tag' });
  return tags;
}

/** otpauth:// URIs for the given ids (all when empty). Each one carries a secret: audited before it is handed out. */
export async function exportUris(ctx: AppContext, ids: readonly string[]): Promise<{ id: string; uri: Redacted }[]> {
  const p = await (await ctx.vault()).read();
  const chosen = ids.length === 0 ? p.accounts : ids.map((id) => findAccount(p.accounts, checkId(id)));
  const { perAccount } = await import('./audit.js');
  await recordOwner(
    ctx,
    p,
    perAccount(
      'account_export',
      chosen.map((a) => a.id),
      'uri',
    ),
  );
  return chosen.map((a) => ({ id: a.id, uri: formatOtpUri(a) }));
}

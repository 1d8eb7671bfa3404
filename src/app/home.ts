/** The home folder: creating it, and who the vault is encrypted to. */
import { homePaths, initVault, type InitMode, type PassphraseSource } from '../vault/index.js';
import type { AppContext } from './context.js';

export type { InitMode } from '../vault/index.js';

export async function initHome(
  home: string,
  mode: InitMode,
  opts: { passphrase: PassphraseSource; now: number; workFactor?: number },
): Promise<{ recipient: string | null }> {
  return initVault(homePaths(home), mode, opts);
}

export async function listRecipients(ctx: AppContext): Promise<string[]> {
  return (await ctx.vault()).recipients();
}

/** Adds and removes recipients in one re-encryption; returns the new list. */
export async function changeRecipients(
  ctx: AppContext,
  add: readonly string[],
  remove: readonly string[],
): Promise<string[]> {
  const vault = await ctx.vault();
  const current = await vault.recipients();
  const drop = new Set(remove.map((r) => r.trim()));
  const next = [...new Set([...current.filter((r) => !drop.has(r)), ...add.map((r) => r.trim())])];
  await vault.setRecipients(next);
  return next;
}

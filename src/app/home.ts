/** The home folder: creating it, and who the vault is encrypted to. */
import { openAuditLog } from '../audit/log.js';
import type { Clock } from '../core/clock.js';
import { homePaths, initVault, type InitMode, type PassphraseSource } from '../vault/index.js';
import { auditKey, recordOwner } from './audit.js';
import type { AppContext } from './context.js';

export type { InitMode } from '../vault/index.js';

/** Creates the home; the new chain's first event is `vault_init`, its reason the unlock kind. */
export async function initHome(
  home: string,
  mode: InitMode,
  opts: { passphrase: PassphraseSource; clock: Clock; workFactor?: number },
): Promise<{ recipient: string | null }> {
  const paths = homePaths(home);
  const { recipient, payload } = await initVault(paths, mode, {
    passphrase: opts.passphrase,
    now: opts.clock.now(),
    ...(opts.workFactor !== undefined && { workFactor: opts.workFactor }),
  });
  // A fresh vault anchors no trail yet: the writer starts the chain.
  const log = openAuditLog(paths.state, auditKey(payload), { clock: opts.clock, anchored: () => false });
  try {
    await log.append({
      agent: null,
      action: 'vault_init',
      decision: 'allow',
      reason: mode.kind.replaceAll('-', '_'),
      gen: payload.generation,
    });
  } finally {
    await log.close();
  }
  return { recipient };
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
  const events = [
    ...(add.length > 0 ? [{ reason: `recipient_add:${add.length}` }] : []),
    ...(remove.length > 0 ? [{ reason: `recipient_remove:${remove.length}` }] : []),
  ].map((e) => ({ action: 'vault_rekey' as const, decision: 'allow' as const, ...e }));
  if (events.length > 0) await recordOwner(ctx, await vault.read(), events);
  return next;
}

/**
 * The owner's `restore`: list the vault generations kept in backups/ and put one back.
 *
 * A restore is a rollback by definition, and the audit trail is what catches rollbacks
 * (app/trail.ts): the restore's own event records the generation the vault had before it, so
 * afterwards the trail has seen more than the restored vault. That is refused unless the owner
 * accepts it (`--accept-rollback`), which then runs the same audited acceptance as
 * `vault accept-rollback`: the generation rises past the trail's and HOTP counters move past every
 * counter the trail shows as issued, and past the counters the replaced vault had reached (the
 * owner's own HOTP codes are not in the trail).
 */
import { fail, TotpMcpError } from '../core/errors.js';
import type { Payload } from '../vault/index.js';
import { recordOwner } from './audit.js';
import type { AppContext } from './context.js';
import { acceptRollback, BROKEN_HINT, brokenMessage, judgeTrail, type AcceptResult } from './trail.js';

interface BackupEntry {
  /** The file in backups/. */
  readonly file: string;
  /** The vault generation it holds; null when it does not open with this vault's key. */
  readonly generation: number | null;
  /** When that version of the vault was written (ISO 8601). */
  readonly written: string | null;
  readonly accounts: number | null;
  /** Why it cannot be restored, or null. */
  readonly error: string | null;
}

interface BackupList {
  readonly current: { readonly generation: number; readonly written: string; readonly accounts: number };
  /** Oldest first. */
  readonly backups: BackupEntry[];
}

/** Never a secret: generation, time and number of accounts. */
export async function listVaultBackups(ctx: AppContext): Promise<BackupList> {
  const vault = await ctx.vault();
  const p = await vault.read();
  const backups: BackupEntry[] = [];
  for (const b of await vault.backups()) {
    try {
      const q = await vault.openBackup(b.bytes);
      backups.push({
        file: b.name,
        generation: q.generation,
        written: q.updated_at,
        accounts: q.accounts.length,
        error: null,
      });
    } catch (e) {
      backups.push({
        file: b.name,
        generation: null,
        written: null,
        accounts: null,
        error: e instanceof TotpMcpError ? e.message : 'unreadable',
      });
    }
  }
  return { current: { generation: p.generation, written: p.updated_at, accounts: p.accounts.length }, backups };
}

interface RestoreResult {
  readonly file: string;
  /** The generation put back, and the one it replaced (kept in backups/). */
  readonly restored: number;
  readonly replaced: number;
  /** Set when the owner accepted the rollback (`--accept-rollback`). */
  readonly accepted: AcceptResult | null;
  /** HOTP counters moved up to where the replaced vault had them: id → counter. */
  readonly hotp: Record<string, number>;
}

/** The backup the owner named: a generation number, or a file name from the list. */
function pickBackup(list: BackupList, which: string): BackupEntry {
  const byFile = list.backups.find((b) => b.file === which);
  if (byFile !== undefined) {
    if (byFile.error !== null) fail('invalid', `${byFile.file}: ${byFile.error}`);
    return byFile;
  }
  if (!/^\d{1,15}$/.test(which))
    fail('usage', 'name a backup by its generation (a number) or its file name, as `totp-mcp restore` lists them');
  const gen = Number(which);
  const hits = list.backups.filter((b) => b.generation === gen);
  if (hits.length === 0)
    fail('not_found', `no backup of generation ${gen} in backups/`, { hint: "'totp-mcp restore' lists them" });
  if (hits.length > 1)
    fail(
      'usage',
      `several backups hold generation ${gen}: name one by its file (${hits.map((h) => h.file).join(', ')})`,
    );
  return hits[0] as BackupEntry;
}

/**
 * Why a restore of `older` over `current` is refused, thrown; the same checks before the owner is
 * asked (checkRestore) and under the vault's lock (restoreBackup).
 */
async function refuseRestore(
  ctx: AppContext,
  homeId: string,
  current: Payload,
  older: Payload,
  accept: boolean,
): Promise<void> {
  // A broken trail cannot say how far back a restore goes, and an older vault's older anchor
  // could hide the break (a trail cut back to before the current vault's anchor): `audit reset` first.
  for (const p of [current, older]) {
    const v = await judgeTrail(ctx.paths.state, p, homeId);
    if (v.broken !== null)
      throw new TotpMcpError('conflict', `${brokenMessage(v.broken)}: nothing was restored`, { hint: BROKEN_HINT });
  }
  const v = await judgeTrail(ctx.paths.state, older, homeId);
  const seen = Math.max(current.generation, v.head?.gen ?? 0);
  if (older.generation < seen && !accept) {
    throw new TotpMcpError(
      'conflict',
      `generation ${older.generation} is older than what the audit trail has seen (generation ${seen}): restoring it is a rollback, nothing was restored`,
      {
        hint: 'add --accept-rollback to restore it and accept the rollback (recorded in the audit log; HOTP counters move past every counter already issued)',
      },
    );
  }
}

/** The backup named, after the checks the restore itself makes (nothing is written): to refuse before asking. */
export async function checkRestore(
  ctx: AppContext,
  which: string,
  o: { acceptRollback?: boolean } = {},
): Promise<BackupEntry> {
  const vault = await ctx.vault();
  const entry = pickBackup(await listVaultBackups(ctx), which);
  const file = (await vault.backups()).find((b) => b.name === entry.file);
  if (file === undefined) fail('conflict', `${entry.file} went away meanwhile: nothing was changed`);
  await refuseRestore(
    ctx,
    vault.homeId,
    await vault.read(),
    await vault.openBackup(file.bytes),
    o.acceptRollback === true,
  );
  return entry;
}

const hotpKey = (a: Payload['accounts'][number]): string => `${a.id}\n${a.created_at}`;

export async function restoreBackup(
  ctx: AppContext,
  which: string,
  o: { acceptRollback?: boolean } = {},
): Promise<RestoreResult> {
  const vault = await ctx.vault();
  const list = await listVaultBackups(ctx);
  const entry = pickBackup(list, which);
  const file = (await vault.backups()).find((b) => b.name === entry.file);
  if (file === undefined) fail('conflict', `${entry.file} went away meanwhile: nothing was changed`);

  let before: Payload | null = null;
  const restored = await vault.restore(file.bytes, async (current, older) => {
    await refuseRestore(ctx, vault.homeId, current, older, o.acceptRollback === true);
    // Recorded before the file changes, with the generation it replaces: from then on the trail
    // has seen that generation, whatever the restored file says.
    await recordOwner(ctx, current, {
      action: 'vault_restore',
      decision: 'allow',
      reason: `to:${older.generation}`,
      gen: Math.max(current.generation, vault.generationSeen),
    });
    before = current;
  });
  const replaced = before as Payload | null;
  if (replaced === null) fail('internal', 'the restore did not run its checks');

  let accepted: AcceptResult | null = null;
  const hotp: Record<string, number> = {};
  const judged = await judgeTrail(ctx.paths.state, restored, vault.homeId);
  if (judged.rollback !== null) {
    accepted = await acceptRollback(ctx);
    // The owner's own HOTP codes are not in the trail: no counter goes below where the replaced vault had it.
    const reached = new Map(replaced.accounts.filter((a) => a.type === 'hotp').map((a) => [hotpKey(a), a.counter]));
    const behind = (await vault.read()).accounts.some(
      (a) => a.type === 'hotp' && (reached.get(hotpKey(a)) ?? 0) > a.counter,
    );
    if (behind) {
      await vault.update((p) => {
        const now = new Date(ctx.clock.now()).toISOString();
        for (const a of p.accounts) {
          const to = reached.get(hotpKey(a));
          if (a.type === 'hotp' && to !== undefined && to > a.counter) {
            a.counter = to;
            a.updated_at = now;
            hotp[a.id] = to;
          }
        }
      });
    }
  }
  return { file: entry.file, restored: restored.generation, replaced: replaced.generation, accepted, hotp };
}

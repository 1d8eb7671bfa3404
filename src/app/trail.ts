/**
 * This home's audit trail against the vault: rollback and wipe detection ("State
 * integrity").
 *
 * Two records, each kept where the other's attacker cannot reach it without the audit key:
 *   - the vault's `generation` rises with every write (vault/store.ts); each audit event and the
 *     MAC'd head record (audit/head.ts) carry the generation it was decided with. A vault whose
 *     generation is below what the head has seen was rolled back (a backup copied over it): agent
 *     requests are refused until the owner runs `vault accept-rollback`.
 *   - the vault's `anchors[homeId]` is the head (seq, mac) this home's trail had at the vault's
 *     last write. A missing, unsigned or forged head, or one behind the anchor, means the trail
 *     was cut, wiped or forged: `audit verify` and `doctor` fail, the writer refuses to rebuild the
 *     head (audit/log.ts, `anchored`), and limited rules fail closed, until `audit reset`.
 * Anchors are keyed by the home's id (Vault.homeId): each machine that shares the vault keeps its
 * own trail, and a machine new to the vault has no anchor yet, so it starts cleanly.
 */
import type { WitnessCheck } from './fleet.js';
import { lstatSync, type BigIntStats } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS_MAC } from '../audit/canonical.js';
import { cleanResetReason, type AuditInput } from '../audit/event.js';
import { HEAD_FILE, isLogFileName, readHead, writeHead, type Head } from '../audit/files.js';
import { headVerifies, signHead } from '../audit/head.js';
import { acquireAuditLock } from '../audit/lock.js';
import { PRUNED_FILE } from '../audit/retention.js';
import { openAuditLog, type AuditLog } from '../audit/log.js';
import { fail, TotpMcpError } from '../core/errors.js';
import { sameStamp } from '../core/file-stamp.js';
import { perTurn } from '../core/per-turn.js';
import { ensureRealDir } from '../core/fs.js';
import type { Redacted } from '../core/redacted.js';
import type { VerifyReport } from '../audit/verify.js';
import type { Anchor, Payload } from '../vault/payload.js';
import { auditKey } from './audit.js';
import type { AppContext } from './context.js';

export interface TrailVerdict {
  /** Why this home's trail cannot be trusted, or null. */
  readonly broken: string | null;
  /** Set when the vault is older than the generation the trail has seen. */
  readonly rollback: { readonly vault: number; readonly trail: number } | null;
  /** The head, when it verifies. */
  readonly head: Head | null;
}

export type HeadRead = Head | null | 'invalid';

/**
 * The verdict from the head record alone (cheap: what the agent path checks per request). Without
 * an anchor (a trail from before anchors, or a home new to this vault) a missing or v1 head is
 * accepted; a v2 head that does not verify never is.
 */
export function judgeHead(read: HeadRead, key: Redacted<Buffer>, payload: Payload, homeId: string): TrailVerdict {
  const anchor = payload.anchors[homeId];
  const verdict = (broken: string | null, head: Head | null): TrailVerdict => ({
    broken,
    head,
    rollback: head !== null && head.gen > payload.generation ? { vault: payload.generation, trail: head.gen } : null,
  });
  if (read !== null && read !== 'invalid' && read.v === 2) {
    if (!headVerifies(key, read))
      return verdict(`${HEAD_FILE} does not verify (edited, forged, or written with another key)`, null);
    if (anchor !== undefined && read.seq < anchor.seq) {
      return verdict(
        `the trail ends at event ${read.seq} but the vault saw event ${anchor.seq}: it was cut, deleted or replaced`,
        read,
      );
    }
    if (anchor !== undefined && read.seq === anchor.seq && read.mac !== anchor.mac) {
      return verdict(`event ${read.seq} is not the one the vault saw: the trail was replaced`, read);
    }
    return verdict(null, read);
  }
  if (anchor === undefined) return verdict(null, null);
  if (read === null) return verdict(`${HEAD_FILE} is missing (the trail was cut or deleted)`, null);
  if (read === 'invalid') return verdict(`${HEAD_FILE} is unreadable`, null);
  return verdict(`${HEAD_FILE} is not signed`, null);
}

async function readHeadSafe(stateDir: string): Promise<HeadRead> {
  try {
    return await readHead(stateDir);
  } catch {
    return 'invalid';
  }
}

export async function judgeTrail(stateDir: string, payload: Payload, homeId: string): Promise<TrailVerdict> {
  return judgeHead(await readHeadSafe(stateDir), auditKey(payload), payload, homeId);
}

/**
 * The agent path's check, per request: the head record re-read only when its file changed (one
 * lstat per turn of the event loop, as for the vault and the policy file).
 */
export class TrailGuard {
  readonly #stat: () => BigIntStats | undefined;
  #cached: { stamp: BigIntStats; read: Promise<HeadRead> } | undefined;

  constructor(private readonly stateDir: string) {
    const path = join(stateDir, HEAD_FILE);
    this.#stat = perTurn(() => {
      try {
        return lstatSync(path, { bigint: true, throwIfNoEntry: false });
      } catch {
        return undefined;
      }
    });
  }

  async verdict(payload: Payload, homeId: string): Promise<TrailVerdict> {
    const st = this.#stat();
    let read: HeadRead;
    if (st === undefined) {
      this.#cached = undefined;
      read = null;
    } else {
      if (this.#cached === undefined || !sameStamp(this.#cached.stamp, st))
        this.#cached = { stamp: st, read: readHeadSafe(this.stateDir) };
      read = await this.#cached.read;
    }
    return judgeHead(read, auditKey(payload), payload, homeId);
  }
}

export const rollbackMessage = (r: { vault: number; trail: number }): string =>
  `the vault is older than its audit trail has seen (vault generation ${r.vault}, the trail has seen generation ${r.trail}): ` +
  'it was rolled back or restored from a backup';
export const ROLLBACK_HINT = "if you restored it on purpose, run 'totp-mcp vault accept-rollback'";
export const brokenMessage = (why: string): string => `the audit trail is broken: ${why}`;
export const BROKEN_HINT =
  "run 'totp-mcp audit verify'; to start a new chain that records the break, 'totp-mcp audit reset --reason TEXT'";

/** Opens this home's writer, strict once the vault anchors the trail (`anchored` is asked per session). */
function openTrailLog(ctx: AppContext, key: Redacted<Buffer>, anchored: () => boolean): AuditLog {
  return openAuditLog(ctx.paths.state, key, { clock: ctx.clock, anchored });
}

/** Payloads whose write may leave the vault behind its trail (`audit reset` keeps a rollback visible). */
const mayStayBehind = new WeakSet<Payload>();

/**
 * The vault store's `beforeWrite` hook (AppContext). A vault behind its trail is not written: one
 * more generation could catch up with the trail and hide the rollback (`vault accept-rollback`
 * raises it on purpose). Then it remembers this home's head as its anchor. A broken trail never
 * becomes the reference (the old anchor stays); a home without a trail yet gets a signed genesis
 * head (seq 0) first, so that from its first vault write on, deleting the state folder is seen.
 */
export async function recordAnchor(stateDir: string, payload: Payload, homeId: string): Promise<void> {
  const key = auditKey(payload);
  const read = await readHeadSafe(stateDir);
  const v = judgeHead(read, key, payload, homeId);
  if (v.rollback !== null && !mayStayBehind.has(payload)) {
    throw new TotpMcpError('vault_locked', `${rollbackMessage(v.rollback)}: nothing is written to it`, {
      hint: ROLLBACK_HINT,
    });
  }
  if (v.broken !== null) return;
  if (v.head !== null) {
    payload.anchors[homeId] = { seq: v.head.seq, mac: v.head.mac };
    return;
  }
  if (read !== null || payload.anchors[homeId] !== undefined) return; // a v1 head: the writer upgrades it first
  await ensureRealDir(stateDir);
  if ((await readdir(stateDir)).some(isLogFileName)) return; // a log without a head: a trail from before anchors
  const { lock } = await acquireAuditLock(stateDir, 10_000);
  try {
    if ((await readHeadSafe(stateDir)) !== null) return; // a writer started the chain meanwhile: anchor it next time
    await writeHead(
      stateDir,
      signHead(key, { seq: 0, mac: GENESIS_MAC, size: 0, file: 'audit.log', ino: '0', gen: 0 }),
    );
  } finally {
    await lock.release();
  }
  payload.anchors[homeId] = { seq: 0, mac: GENESIS_MAC };
}

// ---- the owner's view: audit verify, doctor ----

export interface TrailCheck {
  /** This home's id (Vault.homeId). */
  readonly home: string;
  readonly anchor: Anchor | null;
  readonly generation: number;
  /** Why the trail cannot be trusted beyond what the chain's own check says, or null. */
  readonly broken: string | null;
  readonly rollback: { readonly vault: number; readonly trail: number } | null;
}

/**
 * The chain's report, judged against the vault: the head (missing, unsigned, forged), the anchor
 * (the trail behind it, or its event replaced), and the generations the events and head record.
 */
export function judgeReport(report: VerifyReport, payload: Payload, homeId: string): TrailCheck {
  const anchor = payload.anchors[homeId] ?? null;
  let broken: string | null = null;
  if (report.head === 'forged') broken = `${HEAD_FILE} does not verify (edited, forged, or written with another key)`;
  else if (anchor !== null) {
    const seq = report.headRecord?.seq;
    if (report.head === 'missing') broken = `${HEAD_FILE} is missing (the trail was cut or deleted)`;
    else if (report.head === 'invalid') broken = `${HEAD_FILE} is unreadable`;
    else if (report.head === 'unsigned') broken = `${HEAD_FILE} is not signed`;
    else if (seq !== undefined && seq < anchor.seq)
      broken = `the trail ends at event ${seq} but the vault saw event ${anchor.seq}: it was cut, deleted or replaced`;
    else if (report.ok && report.lastSeq < anchor.seq)
      broken = `the log ends at event ${report.lastSeq} but the vault saw event ${anchor.seq}`;
    else if (report.anchor === 'mismatch' || (seq === anchor.seq && report.headRecord?.mac !== anchor.mac)) {
      broken = `event ${anchor.seq} is not the one the vault saw: the trail was replaced`;
    }
  }
  const seen = Math.max(report.maxGen, report.headRecord?.gen ?? 0);
  return {
    home: homeId,
    anchor,
    generation: payload.generation,
    broken,
    rollback: seen > payload.generation ? { vault: payload.generation, trail: seen } : null,
  };
}

/** The chain's own check, and this home's trail judged against the vault; `ok` covers both. */
type TrailReport = VerifyReport & { trail: TrailCheck; witness: WitnessCheck | null };

/** `audit verify`: the chain checked (the verifier loaded only now), then judged against the vault. */
export async function verifyLog(ctx: AppContext): Promise<TrailReport> {
  const vault = await ctx.vault();
  const payload = await vault.read();
  const { verifyAudit } = await import('../audit/verify.js');
  const report = await verifyAudit(ctx.paths.state, auditKey(payload), { anchor: payload.anchors[vault.homeId] });
  const trail = judgeReport(report, payload, vault.homeId);
  const ok = report.ok && trail.broken === null && trail.rollback === null;
  // Against the fleet witness, when a coordinator is configured (null otherwise).
  const witness = await (await import('./fleet.js')).witness(ctx, { ...report, ok });
  return { ...report, ok: ok && witness?.level !== 'fail', trail, witness };
}

// ---- the owner's ways back ----

export interface ResetResult {
  /** Where the old chain's files went (null when there were none). */
  readonly movedTo: string | null;
  readonly last: Anchor | null;
  readonly event: number;
}

/**
 * `audit reset --reason TEXT`: moves the old chain's files (and head) aside into
 * `state/broken-<time>/`, starts a new chain whose first event names the break (the last seq and
 * MAC known of the old chain, and the owner's reason), and anchors the vault to it.
 */
export async function resetTrail(ctx: AppContext, reason: string): Promise<ResetResult> {
  const text = cleanResetReason(reason);
  if (text === '') fail('usage', '--reason needs some text: say why the trail is being reset');
  const vault = await ctx.vault();
  const payload = await vault.read();
  const key = auditKey(payload);
  const state = ctx.paths.state;
  await ensureRealDir(state);
  // The last event known of the old chain: its verified head, the vault's anchor, or the last
  // event that still verifies in the log, whichever is furthest.
  const known: Anchor[] = [];
  const anchor = payload.anchors[vault.homeId];
  if (anchor !== undefined) known.push(anchor);
  const headRead = await readHeadSafe(state);
  const head = headRead !== null && headRead !== 'invalid' && headVerifies(key, headRead) ? headRead : null;
  if (head !== null) known.push({ seq: head.seq, mac: head.mac });
  const { verifyAudit } = await import('../audit/verify.js');
  const report = await verifyAudit(state, key);
  if (report.lastSeq > 0 && report.lastMac !== undefined) known.push({ seq: report.lastSeq, mac: report.lastMac });
  const last = known.reduce<Anchor | null>((a, b) => (a === null || b.seq > a.seq ? b : a), null);
  // The reset's own vault write below raises the vault by one. Its event records one more than
  // the higher of the vault's generation and the highest the old chain proves it saw: equal to
  // the vault after the write, unless the vault was behind, which it then stays (a reset never
  // hides a rollback: that takes `vault accept-rollback`).
  const seen = Math.max(report.maxGen, head?.gen ?? 0);
  const gen = Math.max(seen, payload.generation, vault.generationSeen) + 1;

  let movedTo: string | null = null;
  const { lock } = await acquireAuditLock(state, 30_000);
  try {
    // The chain's files and what is derived from it (retention's record, usage summaries): a new
    // chain reuses the same names, and must not meet the old chain's summaries.
    const names = (await readdir(state)).filter(
      (n) => isLogFileName(n) || n === HEAD_FILE || n === PRUNED_FILE || /^audit\.\d{12}-\d{12}\.use$/.test(n),
    );
    if (names.length > 0) {
      movedTo = join(state, `broken-${new Date(ctx.clock.now()).toISOString().replace(/[:.]/g, '-')}`);
      await mkdir(movedTo, { mode: 0o700 });
      for (const n of names) await rename(join(state, n), join(movedTo, n));
    }
  } finally {
    await lock.release();
  }
  const log = openTrailLog(ctx, key, () => false);
  let event;
  try {
    event = await log.append({
      agent: null,
      action: 'audit_reset',
      decision: 'allow',
      reason: 'reset',
      gen,
      reset: { seq: last?.seq ?? 0, mac: last !== null && last.seq > 0 ? last.mac : null, reason: text },
    });
  } finally {
    await log.close();
  }
  // The new chain becomes the reference: drop the old anchor, and the write records the new head.
  await vault.update((p) => {
    Reflect.deleteProperty(p.anchors, vault.homeId);
    mayStayBehind.add(p);
  });
  return { movedTo, last, event: event.seq };
}

/** HOTP counters the trail shows used at or past the vault's counter: account → the next unused one. */
async function hotpUsedPast(ctx: AppContext, payload: Payload): Promise<Map<string, number>> {
  const { readAudit } = await import('../audit/read.js');
  const hotp = new Map(payload.accounts.filter((a) => a.type === 'hotp').map((a) => [a.id, a]));
  const next = new Map<string, number>();
  if (hotp.size === 0) return next;
  for (const e of await readAudit(ctx.paths.state)) {
    if ((e.action !== 'code' && e.action !== 'fill') || e.decision !== 'allow' || e.account === null || e.step === null)
      continue;
    const a = hotp.get(e.account);
    // Only events of this very account (created before the event); a TOTP step of an account
    // re-created under the same id would be a time step, not a counter.
    if (!a || Date.parse(e.ts) < Date.parse(a.created_at)) continue;
    if (e.step >= a.counter) next.set(a.id, Math.max(next.get(a.id) ?? 0, e.step + 1));
  }
  return next;
}

export interface AcceptResult {
  readonly from: number;
  readonly trail: number;
  readonly to: number;
  /** HOTP accounts moved forward past counters the trail shows as used: id → new counter. */
  readonly hotp: Record<string, number>;
}

/**
 * `vault accept-rollback`: the owner says the older vault is the one to keep. Its generation is
 * raised above what the trail has seen, HOTP counters move past every counter the trail shows as
 * issued (a rolled-back counter would hand the same code out again), and the act is audited.
 */
export async function acceptRollback(ctx: AppContext): Promise<AcceptResult> {
  const vault = await ctx.vault();
  const payload = await vault.read();
  const v = await judgeTrail(ctx.paths.state, payload, vault.homeId);
  if (v.broken !== null) {
    throw new TotpMcpError('conflict', `${brokenMessage(v.broken)}: the generation it has seen is not known`, {
      hint: BROKEN_HINT,
    });
  }
  if (v.rollback === null)
    fail(
      'conflict',
      `the vault (generation ${payload.generation}) is not older than its audit trail: nothing to accept`,
    );
  const trail = v.rollback.trail;
  const moves = await hotpUsedPast(ctx, payload);
  const hotp: Record<string, number> = {};
  const written = await vault.update((p) => {
    p.generation = Math.max(p.generation, trail);
    const now = new Date(ctx.clock.now()).toISOString();
    for (const a of p.accounts) {
      const to = moves.get(a.id);
      if (a.type === 'hotp' && to !== undefined && to > a.counter) {
        a.counter = to;
        a.updated_at = now;
        hotp[a.id] = to;
      }
    }
    return p;
  });
  const log = openTrailLog(ctx, auditKey(written), () => written.anchors[vault.homeId] !== undefined);
  try {
    const event: AuditInput = {
      agent: null,
      action: 'vault_accept_rollback',
      decision: 'allow',
      reason: 'accepted',
      gen: written.generation,
    };
    await log.append(event);
  } finally {
    await log.close();
  }
  return { from: payload.generation, trail, to: written.generation, hotp };
}

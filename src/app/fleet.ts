/**
 * The app's side of fleet mode (issue 15): which coordinator, and the vault-held key its names are
 * hashed with. Loaded only when a use-case asks for the coordinator.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { isTotpMcpError } from '../core/errors.js';
import type { Coordinator } from '../fleet/coordinator.js';
import { coordinatorSettings } from '../fleet/settings.js';
import { auditKey } from './audit.js';
import type { AppContext } from './context.js';

const LABEL = 'totp-mcp fleet names v1';

/** The key every Redis name is hashed with: the vault's audit key under a label of its own. */
export const fleetKey = (audit: Buffer): Buffer => Buffer.from(hkdfSync('sha256', audit, Buffer.alloc(0), LABEL, 32));

export async function openFleet(ctx: AppContext): Promise<Coordinator | null> {
  const src = ctx.unlock.coordinator;
  const settings = await coordinatorSettings(ctx.paths.home, src?.flag, src?.env);
  if (settings === null) return null;
  const payload = await (await ctx.vault()).read();
  const { openCoordinator } = await import('../fleet/coordinator.js');
  return openCoordinator(settings, fleetKey(auditKey(payload).reveal()));
}

/** Past this, the machine's clock and the coordinator's disagree enough to matter for TOTP. */
const SKEW_WARN_MS = 2_000;

/** `doctor`: is the coordinator reachable, which version, how far, which prefix, whose clock is off. */
export async function fleetChecks(
  ctx: AppContext,
): Promise<{ name: string; level: 'ok' | 'warn' | 'fail'; detail: string }[]> {
  const src = ctx.unlock.coordinator;
  let settings;
  try {
    settings = await coordinatorSettings(ctx.paths.home, src?.flag, src?.env);
  } catch (e) {
    return [
      { name: 'fleet', level: 'fail', detail: isTotpMcpError(e) ? e.message : 'the coordinator setting is unreadable' },
    ];
  }
  if (settings === null) return [];
  try {
    const c = await ctx.coordinator();
    if (c === null) return [];
    const p = await c.probe();
    const { verifyLog } = await import('./trail.js');
    const w = (await verifyLog(ctx)).witness;
    const off = Math.round(p.clockOffsetMs);
    const skewed = Math.abs(off) > SKEW_WARN_MS;
    return [
      {
        name: 'fleet',
        level: skewed ? 'warn' : 'ok',
        detail:
          `${c.where}: Redis ${p.version}, round trip ${p.rttMs} ms, prefix ${c.prefix}, clock offset ${off} ms` +
          (skewed
            ? ` (this machine's clock is ${Math.round(Math.abs(off) / 1000)} s ${off > 0 ? 'behind' : 'ahead of'} the coordinator's: TOTP codes follow the clock; fix it with NTP)`
            : ''),
      },
      ...(w ? [{ name: 'witness', level: w.level, detail: w.detail }] : []),
    ];
  } catch (e) {
    return [
      {
        name: 'fleet',
        level: 'fail',
        detail: isTotpMcpError(e) ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : 'the coordinator cannot be checked',
      },
    ];
  }
}

/**
 * Remembered approvals across the fleet: a yes given on one machine's server stands on another's
 * for the same subject (approval-key.ts: agent × account × action × rule × pin) until it expires.
 * A convenience, never a gate: an unreachable coordinator means asking again, and is not an error.
 */
export async function fleetRecall(ctx: AppContext, approvalKey: string): Promise<boolean> {
  try {
    const c = await ctx.coordinator();
    return c === null ? false : await c.recall(`approval\0${approvalKey}`);
  } catch {
    return false;
  }
}

export async function fleetRemember(ctx: AppContext, approvalKey: string, untilMs: number): Promise<void> {
  try {
    await (await ctx.coordinator())?.remember(`approval\0${approvalKey}`, untilMs);
  } catch {
    // as above: the local memory still holds it
  }
}

const WITNESS_LABEL = 'totp-mcp fleet witness v1';

export interface WitnessCheck {
  level: 'ok' | 'warn' | 'fail';
  detail: string;
}

/**
 * The audit witness: this home's audit head (seq, MAC) kept in the coordinator, MAC'd with a
 * vault-held key. A local trail that ends before the head the fleet saw, or differs at it, was cut
 * or rolled back (the head file alone cannot tell: an old copy of it is still valid). The head is
 * published only by a trail that passed, so a cut trail never lowers the witness. Null without a
 * coordinator.
 */
export async function witness(
  ctx: AppContext,
  report: { ok: boolean; lastSeq: number; lastMac?: string | undefined },
): Promise<WitnessCheck | null> {
  let c: Coordinator | null;
  try {
    c = await ctx.coordinator();
  } catch (e) {
    return {
      level: 'warn',
      detail: `not checked: ${isTotpMcpError(e) ? e.message : 'the coordinator is unreachable'}`,
    };
  }
  if (c === null) return null;
  const vault = await ctx.vault();
  const key = Buffer.from(
    hkdfSync('sha256', auditKey(await vault.read()).reveal(), Buffer.alloc(0), WITNESS_LABEL, 32),
  );
  const tag = (seq: number, mac: string): string =>
    createHmac('sha256', key).update(`${vault.homeId}\0${seq}\0${mac}`).digest('base64url');
  try {
    const raw = await c.headOf(vault.homeId);
    if (raw !== null) {
      let w: { seq?: unknown; mac?: unknown; tag?: unknown } = {};
      try {
        w = JSON.parse(raw) as typeof w;
      } catch {
        // judged below as not verifying
      }
      if (typeof w.seq !== 'number' || typeof w.mac !== 'string' || w.tag !== tag(w.seq, w.mac))
        return { level: 'fail', detail: "the fleet witness of this home's audit head does not verify with this vault" };
      if (w.seq > report.lastSeq)
        return {
          level: 'fail',
          detail: `the audit trail ends at seq ${report.lastSeq}, but the fleet witness saw seq ${w.seq} from this home: the trail was cut or rolled back`,
        };
      if (w.seq === report.lastSeq && report.lastMac !== undefined && w.mac !== report.lastMac)
        return {
          level: 'fail',
          detail: `the audit event at seq ${w.seq} differs from the one the fleet witness saw: the trail was rewritten`,
        };
    }
    if (!report.ok || report.lastMac === undefined)
      return { level: 'warn', detail: 'not published: the trail did not verify' };
    const head = JSON.stringify({ seq: report.lastSeq, mac: report.lastMac, tag: tag(report.lastSeq, report.lastMac) });
    await c.publishHead(vault.homeId, head);
    return { level: 'ok', detail: `seq ${report.lastSeq} matches the fleet witness, published` };
  } catch (e) {
    return { level: 'warn', detail: `not checked: ${isTotpMcpError(e) ? e.message : 'the coordinator failed'}` };
  }
}

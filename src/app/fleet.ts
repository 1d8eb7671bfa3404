/**
 * The app's side of fleet mode (issue 15): which coordinator, and the vault-held key its names are
 * hashed with. Loaded only when a use-case asks for the coordinator.
 */
import { hkdfSync } from 'node:crypto';
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

/**
 * The app's side of fleet mode (issue 15): which coordinator, and the vault-held key its names are
 * hashed with. Loaded only when a use-case asks for the coordinator.
 */
import { hkdfSync } from 'node:crypto';
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

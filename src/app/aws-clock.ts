/**
 * The clock skew last measured against STS's Date header, kept in `<state>/aws/clock-skew.json`
 * so that `doctor` can report it without calling AWS. Written after each STS exchange; a failure
 * to write it never fails the request.
 */
import { join } from 'node:path';
import { readOrNull, writeFileAtomic } from '../core/fs.js';
import { SKEW_WARN_MS } from '../aws/index.js';
import { awsStateDir } from './aws-cache.js';
import type { AppContext } from './context.js';

const FILE = 'clock-skew.json';

export async function recordSkew(ctx: AppContext, skewMs: number): Promise<void> {
  const body = { v: 1, skew_ms: Math.round(skewMs), at: new Date(ctx.clock.now()).toISOString() };
  await writeFileAtomic(join(awsStateDir(ctx), FILE), `${JSON.stringify(body)}\n`, {
    overwrite: true,
    durable: false,
  }).catch(() => undefined);
}

/** A doctor line about the last measured skew, or null when none was measured. */
export async function skewCheck(ctx: AppContext): Promise<{ level: 'ok' | 'warn'; detail: string } | null> {
  let raw: Buffer | null;
  try {
    raw = await readOrNull(join(awsStateDir(ctx), FILE), { link: 'refuse' });
  } catch {
    return null;
  }
  if (raw === null) return null;
  let d: { v?: unknown; skew_ms?: unknown; at?: unknown };
  try {
    d = JSON.parse(raw.toString('utf8')) as typeof d;
  } catch {
    return null;
  }
  if (d.v !== 1 || typeof d.skew_ms !== 'number' || typeof d.at !== 'string') return null;
  const s = Math.round(Math.abs(d.skew_ms) / 1000);
  const side = d.skew_ms > 0 ? 'ahead of' : 'behind';
  const at = d.at.replace(/\.\d{3}Z$/, 'Z');
  if (Math.abs(d.skew_ms) > SKEW_WARN_MS)
    return {
      level: 'warn',
      detail: `this computer's clock was ${s} s ${side} AWS's at ${at} (STS's Date header): AWS may reject MFA codes; fix the clock (NTP)`,
    };
  return { level: 'ok', detail: `within ${s} s of AWS's at ${at}` };
}

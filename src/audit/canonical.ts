/**
 * The MAC chain, over the canonical form of core/canonical-json.ts.
 *
 * mac = HMAC-SHA256(key, ascii(prev) ‖ utf8(canonical(event without `mac`)))
 * where `prev` is the previous event's `mac` as 64 lowercase hex characters (64 `0`s for the first
 * event), and the MAC'd event itself contains `prev` (and `seq`), so an event cannot be moved,
 * dropped or duplicated without breaking the chain. `mac` is written as 64 lowercase hex characters.
 *
 * Each line of the log is canonical(event with `mac`) followed by `\n`. A verifier re-derives the
 * canonical form from the parsed line, so the bytes on disk need not be canonical to verify; the
 * writer makes them so anyway.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { canonicalJson, canonicalMembers } from '../core/canonical-json.js';
import { TotpMcpError } from '../core/errors.js';
import type { Redacted } from '../core/redacted.js';

export { canonicalJson };

export const GENESIS_MAC = '0'.repeat(64);

/** Shortest audit key accepted, in bytes. */
const MIN_KEY_BYTES = 16;

export function checkKey(key: Redacted<Buffer>): void {
  const k: unknown = key.reveal();
  if (!Buffer.isBuffer(k) || k.length < MIN_KEY_BYTES) {
    throw new TotpMcpError('internal', `the audit key must be a Buffer of at least ${MIN_KEY_BYTES} bytes`);
  }
}

/** The MAC of an event (any `mac` property on it is ignored). */
export function eventMac(key: Redacted<Buffer>, event: object): string {
  const { mac: _ignored, ...rest } = event as Record<string, unknown>;
  return macOf(key, rest, `{${canonicalMembers(rest).join(',')}}`);
}

/**
 * The key as a KeyObject, made once per key (an HMAC over a raw Buffer imports the key again on
 * every event, a large share of the MAC's cost). Held weakly, like the key itself; never exported.
 */
const keyObjects = new WeakMap<Redacted<Buffer>, KeyObject>();

function keyObject(key: Redacted<Buffer>): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = createSecretKey(key.reveal());
    keyObjects.set(key, k);
  }
  return k;
}

function macOf(key: Redacted<Buffer>, unsigned: Record<string, unknown>, canonical: string): string {
  const prev = unsigned['prev'];
  if (typeof prev !== 'string') throw new TotpMcpError('internal', 'audit event without prev');
  return createHmac('sha256', keyObject(key)).update(prev, 'ascii').update(canonical, 'utf8').digest('hex');
}

/**
 * MACs an event that has no `mac` yet and returns the mac and the event's line (its canonical
 * form with `mac`), serializing the event once.
 */
export function signEvent(key: Redacted<Buffer>, unsigned: Record<string, unknown>): { mac: string; line: string } {
  if ('mac' in unsigned) throw new TotpMcpError('internal', 'audit event already has a mac');
  const members = canonicalMembers(unsigned);
  const mac = macOf(key, unsigned, `{${members.join(',')}}`);
  const at = Object.keys(unsigned).filter((k) => k < 'mac').length;
  members.splice(at, 0, `"mac":${JSON.stringify(mac)}`);
  return { mac, line: `{${members.join(',')}}` };
}

/** Constant-time comparison of two hex MACs. */
export function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

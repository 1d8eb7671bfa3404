/**
 * The canonical form and the MAC chain.
 *
 * canonical(x), for the JSON values an event holds (null, booleans, finite numbers, strings,
 * arrays, plain objects):
 *   - null, true, false, numbers and strings are written exactly as `JSON.stringify` writes them
 *     (numbers in events are integers, so their text is unique; strings escape `"`, `\`, U+0000–
 *     U+001F and lone surrogates, and nothing else);
 *   - an array is `[` + canonical(items) joined by `,` + `]`;
 *   - an object is `{` + `"key":canonical(value)` pairs joined by `,` + `}`, keys sorted by UTF-16
 *     code units (`Array.prototype.sort` with no comparator), keys with value `undefined` refused;
 *   - no whitespace anywhere. The result is encoded as UTF-8.
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
import { TotpMcpError } from '../core/errors.js';
import type { Redacted } from '../core/redacted.js';

export const GENESIS_MAC = '0'.repeat(64);

/** Shortest audit key accepted, in bytes. */
export const MIN_KEY_BYTES = 16;

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TotpMcpError('internal', 'canonical JSON: number is not finite');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
        return out + ']';
      }
      return `{${canonicalPairs(value).join(',')}}`;
    }
    default:
      throw new TotpMcpError('internal', `canonical JSON: unsupported ${typeof value}`);
  }
}

/** The `"key":value` members of a plain object's canonical form, in key order. */
function canonicalPairs(value: object): string[] {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null)
    throw new TotpMcpError('internal', 'canonical JSON: not a plain object');
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // Most objects here already have their keys in order ({name, version}): sort only when not.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  const pairs: string[] = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = obj[k];
    if (v === undefined) throw new TotpMcpError('internal', 'canonical JSON: undefined value');
    pairs[i] = `${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return pairs;
}

export function checkKey(key: Redacted<Buffer>): void {
  const k: unknown = key.reveal();
  if (!Buffer.isBuffer(k) || k.length < MIN_KEY_BYTES) {
    throw new TotpMcpError('internal', `the audit key must be a Buffer of at least ${MIN_KEY_BYTES} bytes`);
  }
}

/** The MAC of an event (any `mac` property on it is ignored). */
export function eventMac(key: Redacted<Buffer>, event: object): string {
  const { mac: _ignored, ...rest } = event as Record<string, unknown>;
  return macOf(key, rest, `{${canonicalPairs(rest).join(',')}}`);
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
 * The members of an event the writer signs (an AuditEvent without `mac`), in canonical order, each
 * with its `"key":` prefix; and how many of them sort before `mac`.
 */
const SIGNED = (
  [
    'v',
    'seq',
    'ts',
    'agent',
    'client',
    'action',
    'account',
    'decision',
    'rule',
    'reason',
    'step',
    'approval',
    'aws',
    'gen',
    'pid',
    'prev',
  ] as const
)
  .slice()
  .sort()
  .map((k) => ({ key: k, prefix: `${JSON.stringify(k)}:` }));
const BEFORE_MAC = SIGNED.filter((f) => f.key < 'mac').length;

/**
 * MACs an event that has no `mac` yet and returns the mac and the event's line (its canonical
 * form with `mac`). An event with exactly the fields the writer signs (every one it writes) is
 * serialized in their precomputed order, without sorting its keys; any other object takes the
 * general path. Both give canonicalJson's text (test/audit/chain.test.ts).
 */
export function signEvent(key: Redacted<Buffer>, unsigned: Record<string, unknown>): { mac: string; line: string } {
  if ('mac' in unsigned) throw new TotpMcpError('internal', 'audit event already has a mac');
  const pairs = signedPairs(unsigned);
  const members = pairs ?? canonicalPairs(unsigned);
  const mac = macOf(key, unsigned, `{${members.join(',')}}`);
  members.splice(pairs ? BEFORE_MAC : sortedPosition(Object.keys(unsigned), 'mac'), 0, `"mac":${JSON.stringify(mac)}`);
  return { mac, line: `{${members.join(',')}}` };
}

/** The members of an object with exactly the signed fields, in order; undefined for any other object. */
function signedPairs(obj: Record<string, unknown>): string[] | undefined {
  if (Object.getPrototypeOf(obj) !== Object.prototype) return undefined;
  let n = 0;
  for (const k in obj) if (Object.hasOwn(obj, k)) n++;
  if (n !== SIGNED.length) return undefined;
  const pairs = new Array<string>(SIGNED.length);
  for (let i = 0; i < SIGNED.length; i++) {
    const f = SIGNED[i] as (typeof SIGNED)[number];
    const v = obj[f.key];
    if (v === undefined || !Object.hasOwn(obj, f.key)) return undefined; // a field missing (and another one in its place)
    pairs[i] = f.prefix + canonicalJson(v);
  }
  return pairs;
}

function sortedPosition(keys: string[], key: string): number {
  let at = 0;
  for (const k of keys.sort()) if (k < key) at++;
  return at;
}

/** Constant-time comparison of two hex MACs. */
export function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The one canonical JSON of the project (the audit chain's MACs, its head and usage summaries,
 * and the digest of an approved MCP call).
 *
 * canonical(x), for JSON values (null, booleans, finite numbers, strings, arrays, plain objects):
 *   - null, true, false, numbers and strings are written exactly as `JSON.stringify` writes them
 *     (numbers in events are integers, so their text is unique; strings escape `"`, `\\`, U+0000–
 *     U+001F and lone surrogates, and nothing else);
 *   - an array is `[` + canonical(items) joined by `,` + `]`;
 *   - an object is `{` + `"key":canonical(value)` pairs joined by `,` + `}`, keys sorted by UTF-16
 *     code units (`Array.prototype.sort` with no comparator), keys with value `undefined` refused
 *     (or, with `omitUndefined`, left out);
 *   - no whitespace anywhere. The result is encoded as UTF-8.
 */
import { TotpMcpError } from './errors.js';

export function canonicalJson(value: unknown, omitUndefined = false): string {
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
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i], omitUndefined);
        return out + ']';
      }
      return `{${canonicalMembers(value, omitUndefined).join(',')}}`;
    }
    default:
      throw new TotpMcpError('internal', `canonical JSON: unsupported ${typeof value}`);
  }
}

/** The `"key":value` members of a plain object's canonical form, in key order. */
export function canonicalMembers(value: object, omitUndefined = false): string[] {
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
  const pairs: string[] = [];
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) {
      if (omitUndefined) continue;
      throw new TotpMcpError('internal', 'canonical JSON: undefined value');
    }
    pairs.push(`${JSON.stringify(k)}:${canonicalJson(v, omitUndefined)}`);
  }
  return pairs;
}

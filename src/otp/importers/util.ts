/**
 * Shared pieces of the importers: limits, a JSON reader that refuses hostile shapes before parsing,
 * typed field access on untrusted objects, and the one way an entry becomes a draft (makeDraft).
 * Every error is fixed text: a file's content (which holds seeds) is never quoted.
 */
import { fail, isTotpMcpError } from '../../core/errors.js';
import { makeDraft, type DraftInput } from '../draft.js';
import type { ImportEntry } from './types.js';

/** Largest file read (Aegis exports with icons run to tens of MB). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Most entries in one import: far above any real authenticator, far below trouble. */
export const MAX_ENTRIES = 50_000;
/** Deepest JSON nesting accepted: real exports are 5–6 levels deep. */
const MAX_JSON_DEPTH = 64;
/** Names are cut to this for the table (makeDraft still sees, and limits, the whole name). */
const DISPLAY_CHARS = 64;
/** UTF-16 units of a name that `shown` reads: room for DISPLAY_CHARS code points and then some. */
const SHOWN_SCAN = 4 * DISPLAY_CHARS;
/**
 * Most values (objects, arrays, strings, numbers...) in one JSON document. A real export has
 * about 20 per account; each parsed value costs memory far beyond its few bytes of text
 * (`[{},{},...]` in 64 MiB would take gigabytes), so the count is checked before parsing.
 */
const MAX_JSON_VALUES = 1_000_000;

export type Obj = Record<string, unknown>;

export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** An own property only: a key like `__proto__` or `constructor` in a file is just data. */
export const get = (o: Obj, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

/** Text or absent (null counts as absent); anything else is an entry problem naming the field. */
export function optText(o: Obj, key: string): string | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return fail('invalid', `"${key}" is not text`);
  return v;
}

/** A number or a numeric string (makeDraft validates it), or absent. */
export function optNumber(o: Obj, key: string): number | string | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' && typeof v !== 'string') return fail('invalid', `"${key}" is not a number`);
  return v;
}

export function optObj(o: Obj, key: string): Obj | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) return fail('invalid', `"${key}" is not an object`);
  return v;
}

/** What makeDraft refuses in names: controls, line separators, bidi overrides, lone surrogates. */
const UNSAFE_DISPLAY = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\p{Cs}]/gu;

/** Text for display: strings only, characters that would garble a terminal replaced, cut short. */
export function shown(v: unknown): string {
  if (typeof v !== 'string') return '';
  // Only the head is looked at: a name of tens of MB (refused later) must not be copied or split whole.
  const head = v.length > SHOWN_SCAN ? v.trimStart().slice(0, SHOWN_SCAN) : v;
  const t = Array.from(head.trim().replace(UNSAFE_DISPLAY, '?'));
  return t.length > DISPLAY_CHARS ? `${t.slice(0, DISPLAY_CHARS - 1).join('')}…` : t.join('');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text (a BOM dropped), or null when the bytes are not UTF-8. */
export function asText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return null;
  }
}

/**
 * What JSON.parse would build, scanning brackets and commas outside strings: too deep, too many
 * values, or fine. Run before JSON.parse so a file of a million `[` costs one linear scan and a
 * clear error, never a stack overflow in a walker, and a file of tiny values never reaches a
 * parser that would turn each into an object.
 */
function jsonShapeProblem(text: string, maxDepth: number, maxValues: number): 'depth' | 'values' | null {
  let depth = 0;
  let values = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return 'depth';
      // A container's first member; each comma adds one more.
      if (++values > maxValues) return 'values';
    } else if (c === 0x2c) {
      if (++values > maxValues) return 'values';
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return null;
}

/** JSON.parse with limits on depth and size, and a fixed message (V8's messages quote the input). */
export function parseJson(text: string, what: string): unknown {
  const shape = jsonShapeProblem(text, MAX_JSON_DEPTH, MAX_JSON_VALUES);
  if (shape === 'depth')
    fail('invalid', `${what} is nested more than ${MAX_JSON_DEPTH} levels deep: not a real export`);
  if (shape === 'values') fail('invalid', `${what} holds more than ${MAX_JSON_VALUES} JSON values: not a real export`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail('invalid', `${what} is not valid JSON (is the file complete?)`);
  }
}

/**
 * Most encrypted content decrypted: decrypting, decoding and parsing hold it several times over
 * (with the file it came in), so the cap is half the plain file's. Raivo's ZIP content has its own, smaller one.
 */
const MAX_SEALED_BYTES = 32 * 1024 * 1024;

/** Refuses encrypted content over MAX_SEALED_BYTES, before it is decoded or decrypted. */
export function checkSealedSize(bytes: number, what: string): void {
  if (bytes > MAX_SEALED_BYTES)
    fail(
      'invalid',
      `${what} holds more than ${MAX_SEALED_BYTES / 1024 / 1024} MiB of encrypted data: not an export totp-mcp reads`,
    );
}

/** The decoded size of a base64 text, without decoding it. */
export const base64Size = (text: string): number => Math.floor((text.length * 3) / 4);

export function checkCount(n: number): void {
  if (n > MAX_ENTRIES) fail('invalid', `the source holds more than ${MAX_ENTRIES} entries: refusing it`);
}

/** Strict standard base64 (padding optional); null when it is not. */
export function base64Bytes(text: string): Buffer | null {
  const t = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(t, 'base64');
}

/** Strict hex; null when it is not. */
export function hexBytes(text: unknown, length?: number): Buffer | null {
  if (typeof text !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) return null;
  const b = Buffer.from(text, 'hex');
  return length === undefined || b.length === length ? b : null;
}

/**
 * One entry: `build` reads the source's fields and returns makeDraft's input; any TotpMcpError it
 * or makeDraft throws becomes the entry's problem (fixed text). Anything else is a bug in the
 * importer: it is reported as an unreadable entry rather than echoed.
 */
export function entry(index: number, issuer: unknown, label: unknown, build: () => DraftInput): ImportEntry {
  const e: ImportEntry = { index, issuer: shown(issuer), label: shown(label), draft: null, problem: null, note: null };
  try {
    e.draft = makeDraft(build());
    // What will be stored is what the table shows.
    e.issuer = shown(e.draft.issuer);
    e.label = shown(e.draft.label);
    if (e.draft.type === 'totp' && e.draft.issuer.toLowerCase() === 'steam') {
      e.note = 'Steam account as plain TOTP: Steam Guard needs type steam (5 characters)';
    }
  } catch (err) {
    e.problem = isTotpMcpError(err) ? err.message : 'unreadable entry';
  }
  return e;
}

/** An entry that failed before any field could be read. */
export const problemEntry = (
  index: number,
  problem: string,
  issuer: unknown = '',
  label: unknown = '',
): ImportEntry => ({
  index,
  issuer: shown(issuer),
  label: shown(label),
  draft: null,
  problem,
  note: null,
});

/** Types that other apps have and totp-mcp does not: named in the problem, since the set is fixed. */
const FOREIGN_TYPES: Record<string, string> = {
  motp: 'mOTP is not supported',
  yandex: 'Yandex OTP is not supported',
  yaotp: 'Yandex OTP is not supported',
};

/** totp | hotp | steam in any case; known foreign types get a plain message. */
export function otpType(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return fail('invalid', '"type" is not text');
  const t = value.trim().toLowerCase();
  const foreign = FOREIGN_TYPES[t];
  if (foreign !== undefined && Object.hasOwn(FOREIGN_TYPES, t)) fail('invalid', foreign);
  return t;
}

/** Reports progress every `step` entries and at the end. */
export function progressEvery(total: number, report: ((done: number, total: number) => void) | undefined, step = 250) {
  return (done: number): void => {
    if (report && (done % step === 0 || done === total)) report(done, total);
  };
}

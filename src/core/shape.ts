/**
 * Declarative field tables for the shapes the project persists (the vault payload, the audit
 * event). One table per shape gives its TypeScript type (`Infer`), its validator (`read`) and its
 * JSON form (`plain`, field order = table order); nothing else describes those shapes.
 *
 * Not zod: these run on every audit append and every vault open, where loading zod would cost
 * more than the whole command (bench/README.md). The combinators are closures built once, so a
 * read is a straight walk with no allocation beyond the converted values.
 *
 * A rejection is a `ShapeError` with the path (our own field names and array indices only: an
 * unknown key, or a free-form key, is never shown, it could be a seed) and a fixed reason. No
 * error ever quotes a value.
 */

export class ShapeError extends Error {
  constructor(
    /** Field names of the table and array indices, outermost first; '?' for a free-form key. */
    readonly path: (string | number)[],
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ShapeError';
  }

  /** `accounts[12].digits: too large`; `(top level)` for the root. */
  describe(): string {
    let out = '';
    for (const p of this.path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
    return `${out || '(top level)'}: ${this.reason}`;
  }
}

const fail = (reason: string): never => {
  throw new ShapeError([], reason);
};

/** One field: how to read it from parsed JSON and how to write it back. */
export interface Field<T> {
  /** The value, checked (and converted, e.g. to `Redacted`); throws ShapeError. */
  readonly read: (x: unknown) => T;
  /** The value as JSON data; absent means the value is JSON data already. (Bivariant, so a table may mix field types.) */
  readonly plain?: { bivariant(v: T): unknown }['bivariant'] | undefined;
  /** `omit`: the key may be absent (and stays absent); `fill`: an absent key reads as `fill()`. */
  readonly absent?: 'omit' | 'fill' | undefined;
  readonly fill?: (() => T) | undefined;
}

type Fields = Record<string, Field<unknown>>;
type Out<F> = F extends Field<infer T> ? T : never;
type OmitKeys<S> = { [K in keyof S]: S[K] extends { absent: 'omit' } ? K : never }[keyof S];
type AbsentKeys<S> = { [K in keyof S]: S[K] extends { absent: 'omit' | 'fill' } ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & {};

/** The type a table reads into. */
export type Infer<S extends Fields> = Flat<
  { -readonly [K in Exclude<keyof S, OmitKeys<S>>]: Out<S[K]> } & {
    -readonly [K in OmitKeys<S>]?: Out<S[K]> | undefined;
  }
>;
/** The type a caller may hand in: keys with a fill may be left out. */
export type InferIn<S extends Fields> = Flat<
  { readonly [K in Exclude<keyof S, AbsentKeys<S>>]: Out<S[K]> } & {
    readonly [K in AbsentKeys<S>]?: Out<S[K]> | undefined;
  }
>;

export interface ObjField<S extends Fields> extends Field<Infer<S>> {
  readonly fields: S;
}

const isObj = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};

/** Rethrows a ShapeError one level down the path. */
function under(e: unknown, key: string | number): never {
  if (e instanceof ShapeError) e.path.unshift(key);
  throw e;
}

export function str(o: { re?: RegExp; min?: number; max?: number; ok?: (s: string) => boolean } = {}): Field<string> {
  const { re, min = 0, max = Infinity, ok } = o;
  return {
    read: (x) => {
      if (typeof x !== 'string') return fail('expected string');
      if (x.length > max) return fail('too long');
      if (x.length < min) return fail('too short');
      if ((re !== undefined && !re.test(x)) || (ok !== undefined && !ok(x))) return fail('not in the expected form');
      return x;
    },
  };
}

/** A safe integer in [min, max]. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Field<number> {
  return {
    read: (x) => {
      if (typeof x !== 'number') return fail('expected number');
      if (!Number.isSafeInteger(x)) return fail('expected integer');
      if (x < min) return fail('too small');
      if (x > max) return fail('too large');
      return x;
    },
  };
}

export function oneOf<const L extends readonly (string | number)[]>(values: L): Field<L[number]> {
  const set: ReadonlySet<unknown> = new Set(values);
  return { read: (x) => (set.has(x) ? (x as L[number]) : fail('not an allowed value')) };
}

export function nullable<T>(f: Field<T>): Field<T | null> {
  const { read, plain } = f;
  return { read: (x) => (x === null ? null : read(x)), plain: plain && ((v) => (v === null ? null : plain(v))) };
}

/** May be absent from its object (and is then left out when written). */
export function optional<T>(f: Field<T>): Field<T> & { absent: 'omit' } {
  return { read: f.read, plain: f.plain, absent: 'omit' };
}

/** Absent (or `undefined`) reads as `fill()`. */
export function filled<T>(f: Field<T>, fill: () => NoInfer<T>): Field<T> & { absent: 'fill' } {
  return { read: f.read, plain: f.plain, absent: 'fill', fill };
}

/** Converts on read (e.g. a secret into `Redacted`, a name cleaned) and, if given, back on write. */
export function convert<T, U>(f: Field<T>, to: (v: T) => U, back?: (v: U) => unknown): Field<U> {
  const { read } = f;
  return { read: (x) => to(read(x)), plain: back };
}

/** The same table with its keys in canonical (sorted) order: for shapes whose written form is canonical JSON. */
export function sortedKeys<S extends Fields>(fields: S): S {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as S;
}

/** A further condition with its fixed reason. */
export function refine<T>(f: Field<T>, ok: (v: T) => boolean, reason: string): Field<T> {
  const { read } = f;
  return {
    read: (x) => {
      const v = read(x);
      return ok(v) ? v : fail(reason);
    },
    plain: f.plain,
  };
}

export function array<T>(item: Field<T>, max = Infinity): Field<T[]> {
  const { read, plain } = item;
  return {
    read: (x) => {
      if (!Array.isArray(x)) return fail('expected array');
      if (x.length > max) return fail('too long');
      const out = new Array<T>(x.length);
      let i = 0;
      try {
        for (; i < x.length; i++) out[i] = read(x[i]);
      } catch (e) {
        under(e, i);
      }
      return out;
    },
    plain: plain && ((v) => v.map(plain)),
  };
}

/** A JSON object with keys matching `key`, at most `max` of them; the keys never show in an error. */
export function record<T>(key: RegExp, value: Field<T>, max = Infinity): Field<Record<string, T>> {
  const { read, plain } = value;
  return {
    read: (x) => {
      if (!isObj(x)) return fail('expected object');
      const out: Record<string, T> = {};
      let n = 0;
      for (const k in x) {
        if (!Object.hasOwn(x, k)) continue;
        if (++n > max) return fail('too many entries');
        if (k === '__proto__' || !key.test(k)) under(new ShapeError([], 'not an allowed key'), '?');
        try {
          out[k] = read(x[k]);
        } catch (e) {
          under(e, '?');
        }
      }
      return out;
    },
    plain: plain && ((v) => Object.fromEntries(Object.entries(v).map(([k, e]) => [k, plain(e)]))),
  };
}

/** Free-form JSON data (an object), kept as it is. */
export const anyObject: Field<Record<string, unknown>> = {
  read: (x) => (isObj(x) ? x : fail('expected object')),
};

/**
 * A strict object: exactly the table's keys (those marked `omit` or `fill` may be absent), read
 * into a new object in table order. `check` sees the read object; it throws a ShapeError for a
 * rule across fields.
 */
export function object<const S extends Fields>(fields: S, check?: (v: Infer<S>) => void): ObjField<S> {
  const entries = Object.entries(fields).map(([k, f]) => ({ k, ...f }));
  const known: ReadonlySet<string> = new Set(entries.map((e) => e.k));
  return {
    fields,
    read: (x) => {
      if (!isObj(x)) return fail('expected object');
      for (const k in x) if (Object.hasOwn(x, k) && !known.has(k)) return fail('an unknown field');
      const out: Record<string, unknown> = {};
      let k = '';
      try {
        for (const e of entries) {
          k = e.k;
          const v = x[k];
          if (v !== undefined) out[k] = e.read(v);
          else if (e.absent === 'fill') out[k] = (e.fill as () => unknown)();
          else if (e.absent !== 'omit') fail('missing');
        }
      } catch (err) {
        under(err, k);
      }
      const v = out as Infer<S>;
      check?.(v);
      return v;
    },
    plain: (v) => {
      const out: Record<string, unknown> = {};
      const o = v as Record<string, unknown>;
      for (const e of entries) {
        const x = o[e.k];
        if (x === undefined && e.absent === 'omit') continue;
        out[e.k] = e.plain && x !== undefined ? e.plain(x) : x;
      }
      return out;
    },
  };
}

/** Reads `x` with `f`: the value, or the ShapeError. */
export function readShape<T>(f: Field<T>, x: unknown): { ok: true; value: T } | { ok: false; error: ShapeError } {
  try {
    return { ok: true, value: f.read(x) };
  } catch (e) {
    if (e instanceof ShapeError) return { ok: false, error: e };
    throw e;
  }
}

/** `v` as JSON data, in table order. */
export const plainOf = <T>(f: Field<T>, v: T): unknown => (f.plain ? f.plain(v) : v);

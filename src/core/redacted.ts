import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value that refuses to print itself. `String(x)`, `JSON.stringify(x)`,
 * template literals and `util.inspect` all show `[redacted]`; only an explicit
 * `reveal()` returns the value, so every place that lets a secret out is greppable.
 */
export class Redacted<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  static of<T>(value: T): Redacted<T> {
    return new Redacted(value);
  }

  reveal(): T {
    return this.#value;
  }

  map<U>(fn: (value: T) => U): Redacted<U> {
    return new Redacted(fn(this.#value));
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

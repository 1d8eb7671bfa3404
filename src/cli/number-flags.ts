/**
 * Numeric flags of `add` and `edit` checked where they are parsed: a flag out of range is a usage
 * error (exit 2), as the README's exit-code table says, not bad data (exit 1) as the same value in
 * a URI or an import file is. The value stays a string: makeDraft parses it again, for every source.
 */
import { InvalidArgumentError } from 'commander';
import { MAX_DIGITS, MAX_PERIOD, MIN_DIGITS } from '../core/model.js';

const inRange = (value: string, min: number, max: number): boolean =>
  /^[0-9]{1,16}$/.test(value.trim()) && Number(value) >= min && Number(value) <= max;

export function digitsFlag(value: string): string {
  if (!inRange(value, MIN_DIGITS, MAX_DIGITS))
    throw new InvalidArgumentError(`digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}.`);
  return value;
}

export function periodFlag(value: string): string {
  if (!inRange(value, 1, MAX_PERIOD))
    throw new InvalidArgumentError(`the period must be an integer from 1 to ${MAX_PERIOD} seconds.`);
  return value;
}

export function counterFlag(value: string): string {
  if (!inRange(value, 0, Number.MAX_SAFE_INTEGER))
    throw new InvalidArgumentError('the counter must be a non-negative integer.');
  return value;
}

/**
 * The one duration grammar: `90s`, `15m`, `1h30m`, `12h`, `1d`, `1d12h` (units in the order
 * d h m s, each at most once), and, on command-line flags, bare seconds (`900`). Policy fields
 * (`per`, `approval_ttl`, `max_duration`), AWS durations (`--duration`, `--lifetime`, role
 * `duration=`/`max_duration=`, `--session-duration`), `serve --approval-timeout`,
 * `--passphrase-timeout`, `code --min-remaining` and `policy explain --duration` all read it here,
 * and every duration shown to a person is written by `formatDuration`.
 */
import { fail } from './errors.js';

const UNITS = /^(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,8})s)?$/;
const BARE = /^\d{1,8}$/;
/** Bare seconds with up to three decimals, where a flag takes fractions (`--passphrase-timeout 1.5`). */
const BARE_FRACTION = /^\d{1,8}\.\d{1,3}$/;

/** Longest duration anything accepts: 366 days. */
const MAX_DURATION_SECONDS = 366 * 86_400;

const DURATION_EXAMPLES = '90s, 15m, 1h30m, 12h or 1d';

/** The fixed text of a malformed duration in a policy field (the path names the field). */
export const DURATION_RULE = `expected a duration like ${DURATION_EXAMPLES}`;

export interface DurationSyntax {
  /** Bare digits are seconds (command-line flags): `900`. */
  readonly bare?: boolean;
  /** Bare seconds may have up to three decimals: `1.5`. */
  readonly fraction?: boolean;
}

export interface DurationRange {
  /** Seconds; default 1. */
  readonly min?: number;
  /** Seconds; default MAX_DURATION_SECONDS. */
  readonly max?: number;
}

/** Seconds as written, 0 included, with no range check; undefined when `text` is not a duration. */
export function durationSeconds(text: string, syntax: DurationSyntax = {}): number | undefined {
  if (text.length === 0 || text.length > 32) return undefined;
  if (syntax.bare === true && BARE.test(text)) return Number(text);
  if (syntax.bare === true && syntax.fraction === true && BARE_FRACTION.test(text)) return Number(text);
  const m = UNITS.exec(text);
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(s ?? 0);
}

/** Seconds, or undefined when `text` is not a duration within the range (default 1 s to 366 days). */
export function parseDuration(text: string, o: DurationSyntax & DurationRange = {}): number | undefined {
  const s = durationSeconds(text, o);
  if (s === undefined || s < (o.min ?? 1) || s > (o.max ?? MAX_DURATION_SECONDS)) return undefined;
  return s;
}

/** `0`, `0s`, `0m`…: where a policy accepts it (approval_ttl), zero means "not remembered". */
export function isZeroDuration(text: string | number): boolean {
  if (typeof text === 'number') return text === 0;
  return durationSeconds(text, { bare: true }) === 0;
}

/**
 * The shortest canonical spelling of a number of seconds, e.g. 9000 → `2h30m`, 90000 → `1d1h`,
 * 1.5 → `1.5s`; `0s` for zero or less.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  const ms = Math.round(seconds * 1000);
  let rest = Math.floor(ms / 1000);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  const frac = ms % 1000;
  if (rest > 0 || frac > 0) out += `${frac > 0 ? (rest + frac / 1000).toString() : rest}s`;
  return out === '' ? '0s' : out;
}

export interface DurationFlag extends DurationSyntax, DurationRange {
  /** Why the range is what it is (AWS's limits), said after it. */
  readonly why?: string;
  readonly hint?: string;
}

/**
 * The one error text of a bad duration, malformed or out of range: it names the flag or field
 * and the range, and never echoes the value.
 */
function durationError(name: string, o: DurationFlag = {}): string {
  const min = o.min ?? 1;
  const max = o.max ?? MAX_DURATION_SECONDS;
  const like = `like ${DURATION_EXAMPLES}${o.bare === true ? ', or seconds' : ''}`;
  return `${name}: expected a duration from ${formatDuration(min)} to ${formatDuration(max)} (${like})${o.why === undefined ? '' : `: ${o.why}`}`;
}

/** A duration given by a person (flag, option, environment): seconds, or a usage error naming `name`. */
export function checkDuration(text: string, name: string, o: DurationFlag = {}): number {
  const s = parseDuration(text.trim(), o);
  if (s === undefined) return fail('usage', durationError(name, o), o.hint === undefined ? {} : { hint: o.hint });
  return s;
}

/** A number of seconds already parsed (an MCP request's `duration_seconds`) against a range. */
export function checkDurationRange(seconds: number, name: string, o: DurationFlag = {}): number {
  if (!Number.isSafeInteger(seconds) || seconds < (o.min ?? 1) || seconds > (o.max ?? MAX_DURATION_SECONDS))
    return fail('usage', durationError(name, { ...o, bare: false }));
  return seconds;
}

import { WEEKDAYS, type RuleHours, type Weekday } from './types.js';

/**
 * `hours:` windows. The local weekday and wall-clock time come from Intl.DateTimeFormat in the
 * rule's time zone, so DST is handled by the platform's tz database: on a spring-forward day the
 * skipped hour simply never occurs, on a fall-back day the repeated hour is inside a window twice.
 *
 * A window is [from, to): `from` inclusive, `to` exclusive. When `to` ≤ `from` (e.g. 22:00–06:00,
 * or 08:00–00:00) it crosses midnight, and the part after midnight belongs to the day the window
 * started: with `days: [fri]`, Saturday 03:00 is inside Friday's 22:00–06:00 window.
 */

export const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const HHMM_RULE = 'expected a time as HH:MM (00:00 to 23:59)';
export const TZ_RULE = 'expected an IANA time zone such as Europe/Berlin or UTC';

const TZ_SHAPE = /^[A-Za-z0-9_+\-/]{1,64}$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  if (!TZ_SHAPE.test(tz)) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Minutes since midnight of "HH:MM"; "24:00" (the end of a whole-day window) is 1440. */
const minutesOf = (hhmm: string): number => {
  if (hhmm === '24:00') return 1440;
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
};

const DAY_INDEX: ReadonlyMap<string, number> = new Map([
  ['Sun', 0],
  ['Mon', 1],
  ['Tue', 2],
  ['Wed', 3],
  ['Thu', 4],
  ['Fri', 5],
  ['Sat', 6],
]);

interface LocalTime {
  /** 0 = Sunday. */
  readonly day: number;
  /** Minutes since local midnight. */
  readonly minutes: number;
}

/** Local weekday and time in `tz`, or undefined when `ms` is not a usable instant. */
function localTime(tz: string, ms: number): LocalTime | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return undefined;
  let day = -1;
  let hour = -1;
  let minute = -1;
  for (const part of formatter(tz).formatToParts(ms)) {
    if (part.type === 'weekday') day = DAY_INDEX.get(part.value) ?? -1;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  if (day < 0 || !(hour >= 0 && hour < 24) || !(minute >= 0 && minute < 60)) return undefined;
  return { day, minutes: hour * 60 + minute };
}

/** Precompiled `hours:` block. */
export interface CompiledHours {
  readonly tz: string;
  /** Bit d set when weekday d (0 = Sunday) may start a window. */
  readonly dayMask: number;
  readonly from: number;
  readonly to: number;
}

export function compileHours(h: RuleHours): CompiledHours {
  let dayMask = 0;
  for (const d of h.days) dayMask |= 1 << WEEKDAYS.indexOf(d);
  return { tz: h.tz, dayMask, from: minutesOf(h.from), to: minutesOf(h.to) };
}

interface HoursCheck {
  readonly inside: boolean;
  readonly local?: LocalTime;
  /** The weekday whose window contains the instant, when it is the previous day (after midnight). */
  readonly windowDay?: Weekday;
}

/** Whether instant `ms` falls inside the window. Fails closed on an unusable instant. */
export function checkHours(h: CompiledHours, ms: number): HoursCheck {
  const local = localTime(h.tz, ms);
  if (!local) return { inside: false };
  const { day, minutes } = local;
  const dayOk = (d: number): boolean => (h.dayMask & (1 << d)) !== 0;
  if (h.from < h.to) {
    return { inside: minutes >= h.from && minutes < h.to && dayOk(day), local };
  }
  // Crosses midnight: [from, 24:00) on a listed day, or [00:00, to) the day after a listed day.
  if (minutes >= h.from) return { inside: dayOk(day), local };
  if (minutes < h.to) {
    const prev = (day + 6) % 7;
    return { inside: dayOk(prev), local, windowDay: WEEKDAYS[prev] ?? 'sun' };
  }
  return { inside: false, local };
}

export const formatMinutes = (m: number): string =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

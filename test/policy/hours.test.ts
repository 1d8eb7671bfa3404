import { describe, expect, test } from 'vitest';
import { evaluate, type Policy } from '../../src/policy/index.js';
import { ctxAt, parse } from './fixtures.js';

/** A policy whose only rule allows `code` on `x` for agent `a` within `hours`. */
const withHours = (hours: string): Policy =>
  parse(`version: 1
agents: { a: {} }
rules:
  - { id: h, agents: [a], accounts: [x], actions: [code], hours: ${hours} }
`);

const at = (p: Policy, iso: string): string => {
  const now = Date.parse(iso);
  expect(Number.isNaN(now)).toBe(false);
  return evaluate(p, { agent: 'a', action: 'code', account: { id: 'x', tags: [] } }, ctxAt(now)).reason;
};

type Case = [instant: string, expected: 'allowed' | 'outside_hours', why: string];

describe('hours: Europe/Berlin office hours across DST', () => {
  const p = withHours('{ days: [mon, tue, wed, thu, fri, sat, sun], from: "08:00", to: "20:00", tz: Europe/Berlin }');
  const CASES: Case[] = [
    // Winter (CET, UTC+1).
    ['2025-01-15T06:59:59Z', 'outside_hours', '07:59:59 CET'],
    ['2025-01-15T07:00:00Z', 'allowed', '08:00 CET'],
    ['2025-01-15T18:59:00Z', 'allowed', '19:59 CET'],
    ['2025-01-15T19:00:00Z', 'outside_hours', '20:00 CET: to is exclusive'],
    // Summer (CEST, UTC+2).
    ['2025-07-15T05:59:00Z', 'outside_hours', '07:59 CEST'],
    ['2025-07-15T06:00:00Z', 'allowed', '08:00 CEST'],
    ['2025-07-15T17:59:00Z', 'allowed', '19:59 CEST'],
    ['2025-07-15T18:00:00Z', 'outside_hours', '20:00 CEST'],
    // Spring forward, Sunday 2025-03-30 (02:00 CET → 03:00 CEST at 01:00Z).
    ['2025-03-30T05:59:00Z', 'outside_hours', '07:59 CEST (a fixed UTC+1 would say 06:59)'],
    ['2025-03-30T06:00:00Z', 'allowed', '08:00 CEST (a fixed UTC+1 would say 07:00, outside)'],
    ['2025-03-30T18:00:00Z', 'outside_hours', '20:00 CEST (a fixed UTC+1 would say 19:00, inside)'],
    // Fall back, Sunday 2025-10-26 (03:00 CEST → 02:00 CET at 01:00Z).
    ['2025-10-26T06:59:00Z', 'outside_hours', '07:59 CET (a fixed UTC+2 would say 08:59)'],
    ['2025-10-26T07:00:00Z', 'allowed', '08:00 CET'],
    ['2025-10-26T18:59:00Z', 'allowed', '19:59 CET'],
    ['2025-10-26T19:00:00Z', 'outside_hours', '20:00 CET'],
  ];
  test.each(CASES)('%s → %s (%s)', (instant, expected) => {
    expect(at(p, instant)).toBe(expected);
  });
});

describe('hours: the hours DST skips or repeats', () => {
  const p = withHours('{ days: [sun], from: "02:00", to: "03:00", tz: Europe/Berlin }');
  const CASES: Case[] = [
    // Spring forward: 02:00–03:00 local never happens.
    ['2025-03-30T00:59:59Z', 'outside_hours', '01:59:59 CET'],
    ['2025-03-30T01:00:00Z', 'outside_hours', '03:00 CEST, straight after 01:59:59'],
    ['2025-03-30T01:30:00Z', 'outside_hours', '03:30 CEST'],
    // Fall back: 02:00–03:00 local happens twice, both inside.
    ['2025-10-26T00:00:00Z', 'allowed', '02:00 CEST, first time'],
    ['2025-10-26T00:59:00Z', 'allowed', '02:59 CEST'],
    ['2025-10-26T01:00:00Z', 'allowed', '02:00 CET, second time'],
    ['2025-10-26T01:59:00Z', 'allowed', '02:59 CET'],
    ['2025-10-26T02:00:00Z', 'outside_hours', '03:00 CET'],
    ['2025-10-25T23:59:00Z', 'outside_hours', '01:59 CEST'],
  ];
  test.each(CASES)('%s → %s (%s)', (instant, expected) => {
    expect(at(p, instant)).toBe(expected);
  });
});

describe('hours: America/New_York weekdays 09:00–17:00', () => {
  const p = withHours('{ days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00", tz: America/New_York }');
  const CASES: Case[] = [
    ['2025-03-07T13:59:00Z', 'outside_hours', 'Fri 08:59 EST'],
    ['2025-03-07T14:00:00Z', 'allowed', 'Fri 09:00 EST'],
    ['2025-03-07T21:59:00Z', 'allowed', 'Fri 16:59 EST'],
    ['2025-03-07T22:00:00Z', 'outside_hours', 'Fri 17:00 EST'],
    ['2025-03-08T15:00:00Z', 'outside_hours', 'Sat 10:00 EST'],
    // DST began Sunday 2025-03-09; Monday is EDT (UTC-4).
    ['2025-03-10T12:59:00Z', 'outside_hours', 'Mon 08:59 EDT'],
    ['2025-03-10T13:00:00Z', 'allowed', 'Mon 09:00 EDT (a fixed UTC-5 would say 08:00)'],
    ['2025-03-10T21:00:00Z', 'outside_hours', 'Mon 17:00 EDT (a fixed UTC-5 would say 16:00)'],
    // The weekday is the local one: Saturday 02:00 UTC is Friday 21:00/22:00 in New York.
    ['2025-06-07T02:00:00Z', 'outside_hours', 'Fri 22:00 EDT'],
    ['2025-06-06T20:30:00Z', 'allowed', 'Fri 16:30 EDT'],
    ['2025-06-09T03:00:00Z', 'outside_hours', 'Sun 23:00 EDT, though Monday in UTC'],
    // DST ended Sunday 2025-11-02.
    ['2025-11-03T14:00:00Z', 'allowed', 'Mon 09:00 EST'],
    ['2025-11-03T13:30:00Z', 'outside_hours', 'Mon 08:30 EST (a fixed UTC-4 would say 09:30)'],
  ];
  test.each(CASES)('%s → %s (%s)', (instant, expected) => {
    expect(at(p, instant)).toBe(expected);
  });
});

describe('hours: a window crossing midnight belongs to the day it starts', () => {
  const p = withHours('{ days: [fri], from: "22:00", to: "06:00", tz: UTC }');
  const CASES: Case[] = [
    ['2025-06-06T21:59:00Z', 'outside_hours', 'Fri 21:59'],
    ['2025-06-06T22:00:00Z', 'allowed', 'Fri 22:00'],
    ['2025-06-06T23:59:59Z', 'allowed', 'Fri 23:59:59'],
    ['2025-06-07T00:00:00Z', 'allowed', 'Sat 00:00, in Friday’s window'],
    ['2025-06-07T05:59:00Z', 'allowed', 'Sat 05:59, in Friday’s window'],
    ['2025-06-07T06:00:00Z', 'outside_hours', 'Sat 06:00'],
    ['2025-06-07T22:30:00Z', 'outside_hours', 'Sat 22:30: Saturday is not listed'],
    ['2025-06-06T03:00:00Z', 'outside_hours', 'Fri 03:00: in Thursday’s window, not listed'],
    ['2025-06-06T12:00:00Z', 'outside_hours', 'Fri noon'],
  ];
  test.each(CASES)('%s → %s (%s)', (instant, expected) => {
    expect(at(p, instant)).toBe(expected);
  });

  test('a window to 00:00 runs until midnight', () => {
    const q = withHours('{ days: [mon, tue, wed, thu, fri, sat, sun], from: "20:00", to: "00:00", tz: UTC }');
    expect(at(q, '2025-06-06T19:59:00Z')).toBe('outside_hours');
    expect(at(q, '2025-06-06T23:59:00Z')).toBe('allowed');
    expect(at(q, '2025-06-07T00:00:00Z')).toBe('outside_hours');
  });

  test('crossing midnight in a DST zone on the fall-back night', () => {
    const q = withHours('{ days: [sat], from: "23:00", to: "04:00", tz: Europe/Berlin }');
    // Saturday 2025-10-25 23:00 CEST = 21:00Z; Sunday 03:59 CET = 02:59Z.
    expect(at(q, '2025-10-25T20:59:00Z')).toBe('outside_hours');
    expect(at(q, '2025-10-25T21:00:00Z')).toBe('allowed');
    expect(at(q, '2025-10-26T01:30:00Z')).toBe('allowed'); // 02:30 CET, the repeated hour
    expect(at(q, '2025-10-26T02:59:00Z')).toBe('allowed');
    expect(at(q, '2025-10-26T03:00:00Z')).toBe('outside_hours');
  });
});

describe('hours: whole days, and unusable instants', () => {
  test('days only: the whole local day', () => {
    const q = withHours('{ days: [sat, sun], tz: Europe/Berlin }');
    expect(at(q, '2025-06-06T21:59:00Z')).toBe('outside_hours'); // Fri 23:59 CEST
    expect(at(q, '2025-06-06T22:00:00Z')).toBe('allowed'); // Sat 00:00 CEST
    expect(at(q, '2025-06-08T21:59:00Z')).toBe('allowed'); // Sun 23:59 CEST
    expect(at(q, '2025-06-08T22:00:00Z')).toBe('outside_hours'); // Mon 00:00 CEST
  });

  test('a time without days means every day', () => {
    const q = withHours('{ from: "08:00", to: "09:00", tz: UTC }');
    for (const day of ['02', '03', '04', '05', '06', '07', '08'])
      expect(at(q, `2025-06-${day}T08:30:00Z`)).toBe('allowed');
  });

  test('NaN, infinite or out-of-range now fails closed', () => {
    const q = withHours('{ days: [mon, tue, wed, thu, fri, sat, sun], tz: UTC }');
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_VALUE, 9e15]) {
      expect(evaluate(q, { agent: 'a', action: 'code', account: { id: 'x', tags: [] } }, ctxAt(now)).reason).toBe(
        'outside_hours',
      );
    }
  });
});

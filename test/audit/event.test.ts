// The event tables (event.ts) are the one definition of an audit event: what a caller may append,
// what a stored line may hold, and (through canonical.ts) how the line is written and MAC'd.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventMac, signEvent } from '../../src/audit/canonical.js';
import { checkInput, parseEventLine, readEvent } from '../../src/audit/event.js';
import { AUDIT_ACTIONS, AUDIT_APPROVALS, AUDIT_DECISIONS, AUDIT_DELIVERIES } from '../../src/audit/index.js';
import { Redacted } from '../../src/core/redacted.js';

const id = fc.stringMatching(/^[a-z0-9][a-z0-9._:@+-]{0,20}$/);
const aws = fc.record({
  role: fc.oneof(fc.constant(null), fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,20}$/)),
  duration: fc.integer({ min: 1, max: 129_600 }),
  expires: fc.oneof(
    fc.constant(null),
    fc.integer({ min: 0, max: 4e12 }).map((t) => new Date(t).toISOString()),
  ),
  delivery: fc.constantFrom(...AUDIT_DELIVERIES),
  session_name: fc.oneof(fc.constant(null), fc.stringMatching(/^[\w+=,.@-]{2,30}$/)),
});
const validInput = fc.record(
  {
    agent: fc.oneof(fc.constant(null), id),
    client: fc.oneof(
      fc.constant(null),
      fc.record({ name: fc.string({ maxLength: 80 }), version: fc.string({ maxLength: 10 }) }),
    ),
    action: fc.constantFrom(...AUDIT_ACTIONS),
    account: fc.oneof(fc.constant(null), id),
    decision: fc.constantFrom(...AUDIT_DECISIONS),
    rule: fc.oneof(fc.constant(null), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,20}$/)),
    reason: fc.stringMatching(/^[a-z][a-z0-9_.:-]{0,20}$/),
    step: fc.oneof(fc.constant(null), fc.nat()),
    approval: fc.oneof(fc.constant(null), fc.constantFrom(...AUDIT_APPROVALS)),
    aws: fc.oneof(fc.constant(null), aws),
    gen: fc.oneof(fc.constant(null), fc.nat()),
    reset: fc.oneof(
      fc.constant(null),
      fc.record({
        seq: fc.nat(),
        mac: fc.oneof(fc.constant(null), fc.stringMatching(/^[0-9a-f]{64}$/)),
        reason: fc.string({ minLength: 1, maxLength: 300 }).filter((s) => /[a-z]/i.test(s)),
      }),
    ),
    origin: fc.oneof(
      fc.constant(null),
      fc.constantFrom(
        'https://github.com',
        'http://127.0.0.1:8080',
        'https://a.example.co.uk:8443',
        'http://[::1]:3000',
      ),
    ),
  },
  { requiredKeys: ['agent', 'action', 'decision', 'reason'] },
);
/** For each caller field, a value the table refuses, and the path the error names. */
const BAD_INPUT: [string, unknown, string][] = [
  ['agent', 'Upper CANARY', 'agent'],
  ['client', { name: 5, version: '1' }, 'client.name'],
  ['action', 'steal', 'action'],
  ['account', 'A B', 'account'],
  ['decision', 'maybe', 'decision'],
  ['rule', '-x', 'rule'],
  ['reason', 'CANARY seed', 'reason'],
  ['step', -1, 'step'],
  ['approval', 'yes', 'approval'],
  ['gen', 1.5, 'gen'],
  ['reset', { seq: -1, mac: null, reason: 'r' }, 'reset.seq'],
  ['origin', 'https://github.com/login?code=123456', 'origin'],
];
const BAD_AWS: [string, unknown][] = [
  ['role', 'bad role!'],
  ['duration', 0],
  ['expires', 'x'],
  ['delivery', 'email'],
  ['session_name', 'a'],
];

const KEY = new Redacted(Buffer.alloc(32, 7));

/** As the writer does: stamped, chained, `reset` and `origin` only on the event that carries one. */
function stamp(input: Record<string, unknown>, seq: number): Record<string, unknown> {
  const { reset, origin, ...checked } = checkInput(input);
  return {
    ...checked,
    ...(reset === null ? {} : { reset }),
    ...(origin === null ? {} : { origin }),
    v: 1,
    seq,
    ts: new Date(1_700_000_000_000 + seq).toISOString(),
    pid: 42,
    prev: 'a'.repeat(64),
  };
}

describe('audit event table', () => {
  it('property: input → checked → signed line → parsed event round-trips, and the MAC verifies', () => {
    fc.assert(
      fc.property(validInput, fc.integer({ min: 1, max: 1e9 }), (i, seq) => {
        const unsigned = stamp(i, seq);
        const { mac, line } = signEvent(KEY, unsigned);
        const back = parseEventLine(line);
        expect(back).toEqual({ ...unsigned, mac });
        // The parsed event keeps the line's (canonical) key order, and its MAC re-derives.
        expect(JSON.stringify(back)).toBe(line);
        expect(eventMac(KEY, back!)).toBe(mac);
        // Cleaning is idempotent: a checked input checks to itself.
        const { reset, ...again } = checkInput(checkInput(i));
        expect({ ...again, reset }).toEqual(checkInput(i));
      }),
      { numRuns: 1000 },
    );
  });

  it('property: a mutated caller field is refused with a message naming its path, never its value', () => {
    const mutated = fc.oneof(
      fc
        .tuple(validInput, fc.constantFrom(...BAD_INPUT))
        .map(([i, [k, v, path]]) => ({ input: { ...i, [k]: v }, path })),
      fc
        .tuple(validInput, aws, fc.constantFrom(...BAD_AWS))
        .map(([i, a, [k, v]]) => ({ input: { ...i, aws: { ...a, [k]: v } }, path: `aws.${k}` })),
      fc
        .tuple(validInput, fc.constantFrom('extra', 'secret', 'CANARY'))
        .map(([i, k]) => ({ input: { ...i, [k]: 'CANARY' }, path: '' })),
    );
    fc.assert(
      fc.property(mutated, ({ input, path }) => {
        let message = '';
        try {
          checkInput(input);
        } catch (e) {
          message = (e as Error).message;
        }
        const where = path === '' ? 'an unexpected field' : `field '${path}'`;
        expect(message).toBe(`audit event rejected: ${where} is not allowed or not valid`);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a stored event with one field mutated, dropped or added is not an event', () => {
    const stored: [string, unknown][] = [
      ['v', 2],
      ['seq', 0],
      ['ts', '2026-01-01T00:00:00+01:00'],
      ['pid', -1],
      ['prev', 'A'.repeat(64)],
      ['mac', 'x'],
      ['client', { name: 'x'.repeat(129), version: '1' }],
      ['reset', { seq: 1, mac: null, reason: ' padded ' }],
      ['origin', 'javascript:alert(1)'],
      ['extra', 1],
      ...BAD_INPUT.filter(([k]) => k !== 'client' && k !== 'reset').map(([k, v]): [string, unknown] => [k, v]),
    ];
    fc.assert(
      fc.property(validInput, fc.constantFrom(...stored), fc.boolean(), (i, [k, v], drop) => {
        const unsigned = stamp(i, 7);
        const e: Record<string, unknown> = { ...unsigned, mac: 'b'.repeat(64) };
        expect(readEvent(e)).toBeDefined();
        if (drop && k !== 'gen' && k !== 'reset' && k !== 'origin' && k !== 'extra') Reflect.deleteProperty(e, k);
        else e[k] = v;
        expect(readEvent(e)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

// The plain checks that keep zod off every append (event.ts) accept only what the zod reference
// schemas (event-schema.ts) accept, normalize the same way, and accept every valid event.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastCheckEvent, fastCheckInput } from '../../src/audit/event.js';
import { auditEventSchema, inputSchema } from '../../src/audit/event-schema.js';
import { AUDIT_ACTIONS, AUDIT_APPROVALS, AUDIT_DECISIONS, AUDIT_DELIVERIES } from '../../src/audit/index.js';

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
  },
  { requiredKeys: ['agent', 'action', 'decision', 'reason'] },
);
const edge = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    0,
    -1,
    1.5,
    NaN,
    Infinity,
    '',
    'x',
    'X',
    'a b',
    'CANARYSEED',
    [],
    {},
    true,
    '2026-01-01T00:00:00Z',
    'not-a-date',
    2 ** 53,
  ),
  fc.string({ maxLength: 10 }),
  fc.integer(),
);
const key = fc.constantFrom(
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
  'reset',
  'extra',
  'secret',
);
const mutated = fc.tuple(validInput, key, edge).map(([i, k, v]) => ({ ...i, [k]: v }));
const mutatedAws = fc
  .tuple(validInput, aws, fc.constantFrom('role', 'duration', 'expires', 'delivery', 'session_name', 'extra'), edge)
  .map(([i, a, k, v]) => ({ ...i, aws: { ...a, [k]: v } }));

function stamp(input: Record<string, unknown>, seq: number): Record<string, unknown> {
  const { reset, ...checked } = fastCheckInput(input)!;
  // As the writer does: `reset` only on the event that carries one.
  return {
    ...checked,
    ...(reset === null ? {} : { reset }),
    v: 1,
    seq,
    ts: new Date(1_700_000_000_000 + seq).toISOString(),
    pid: 42,
    prev: 'a'.repeat(64),
    mac: 'b'.repeat(64),
  };
}

describe('audit fast path against the zod reference', () => {
  it('accepts every valid input, exactly as zod normalizes it', () => {
    fc.assert(
      fc.property(validInput, (i) => {
        const z = inputSchema.safeParse(i);
        expect(z.success).toBe(true);
        expect(fastCheckInput(i)).toEqual(z.data);
      }),
      { numRuns: 1500 },
    );
  });

  it('accepts only what zod accepts (mutated inputs and aws blocks)', () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(mutated, mutatedAws), (i) => {
        const fast = fastCheckInput(i);
        if (fast === undefined) {
          rejected++;
          return;
        }
        const z = inputSchema.safeParse(i);
        expect(z.success).toBe(true);
        expect(fast).toEqual(z.data);
      }),
      { numRuns: 4000 },
    );
    expect(rejected).toBeGreaterThan(500); // not vacuous
  });

  it('reads back every event it writes, and accepts only stored events zod accepts', () => {
    fc.assert(
      fc.property(validInput, fc.integer({ min: 1, max: 1e9 }), (i, seq) => {
        const e = stamp(i, seq);
        expect(fastCheckEvent(e)).toBeDefined();
        expect(auditEventSchema.safeParse(e).success).toBe(true);
      }),
      { numRuns: 1000 },
    );
    const eventKey = fc.constantFrom(
      'v',
      'seq',
      'ts',
      'pid',
      'prev',
      'mac',
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
      'reset',
      'extra',
    );
    fc.assert(
      fc.property(validInput, eventKey, edge, (i, k, v) => {
        const e = { ...stamp(i, 7), [k]: v };
        if (fastCheckEvent(e) !== undefined) expect(auditEventSchema.safeParse(e).success).toBe(true);
      }),
      { numRuns: 4000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { perTurn } from '../../src/core/per-turn.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('perTurn', () => {
  it('answers once per turn of the event loop, and again in the next turn', async () => {
    let calls = 0;
    const f = perTurn(() => ++calls);
    expect([f(), f(), await Promise.resolve().then(f)]).toEqual([1, 1, 1]);
    await nextTurn();
    expect([f(), f()]).toEqual([2, 2]);
    expect(calls).toBe(2);
  });

  it('does not remember a throw', () => {
    let calls = 0;
    const f = perTurn(() => {
      calls++;
      if (calls === 1) throw new Error('first');
      return calls;
    });
    expect(() => f()).toThrow('first');
    expect(f()).toBe(2);
    expect(f()).toBe(2);
  });
});

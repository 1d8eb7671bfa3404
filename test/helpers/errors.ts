import { expect } from 'vitest';
import { TotpMcpError } from '../../src/core/errors.js';

/** The project error a promise rejects with (fails the test if it resolves or throws anything else). */
export async function rejection(p: Promise<unknown>): Promise<TotpMcpError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TotpMcpError);
    return e as TotpMcpError;
  }
  throw new Error('expected a rejection');
}

import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

export async function runServe(_rt: Runtime, _o: { agent?: string; debug?: boolean }): Promise<void> {
  await Promise.resolve();
  fail('internal', 'serve: being built');
}

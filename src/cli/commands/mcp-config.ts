import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

export async function runMcpConfig(_rt: Runtime, _o: { client: string; agent: string }): Promise<void> {
  await Promise.resolve();
  fail('internal', 'mcp-config: being built');
}

import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

export interface ImportOptions {
  format: string;
  passwordStdin?: boolean;
  tag?: string[];
  dryRun?: boolean;
  onConflict: string;
}

export async function runImport(_rt: Runtime, _source: string, _o: ImportOptions): Promise<void> {
  await Promise.resolve();
  fail('internal', 'import: being built');
}

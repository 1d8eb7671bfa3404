import { exportUris } from '../../app/accounts.js';
import { fail } from '../../core/errors.js';
import { promptConfirm } from '../prompt.js';
import type { Runtime } from '../runtime.js';

export interface ExportOptions {
  uri?: boolean;
  qr?: string;
  google?: boolean;
  aegis?: string;
  encrypt?: boolean;
  passwordStdin?: boolean;
  backup?: string;
  recipient?: string[];
  yes?: boolean;
}

export async function runExport(rt: Runtime, ids: string[], o: ExportOptions): Promise<void> {
  if (!o.uri) fail('usage', 'choose a format: --uri');
  const uris = await exportUris(rt.ctx, ids);
  rt.io.err(`warning: the ${uris.length} URI(s) below contain the secrets themselves. Anyone who sees them can make codes.\n`);
  if (!o.yes && rt.io.interactive && !(await promptConfirm('Print them?'))) fail('usage', 'not exported');
  for (const { uri } of uris) rt.io.out(`${uri.reveal()}\n`);
}

import { changeRecipients, listRecipients } from '../../app/home.js';
import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

export async function runRecipients(rt: Runtime, verb: 'list' | 'add' | 'remove', keys: string[]): Promise<void> {
  if (verb === 'list') {
    const list = await listRecipients(rt.ctx);
    rt.io.out(list.length ? `${list.join('\n')}\n` : '');
    if (!list.length) rt.io.err('no recipients: this vault is encrypted with a passphrase only\n');
    return;
  }
  const current = await listRecipients(rt.ctx);
  if (verb === 'remove') {
    const unknown = keys.filter((k) => !current.includes(k.trim()));
    if (unknown.length) fail('not_found', `${unknown.length} of the given recipients are not in recipients.txt`);
  }
  const next = await changeRecipients(rt.ctx, verb === 'add' ? keys : [], verb === 'remove' ? keys : []);
  rt.io.out(`the vault is now encrypted to ${next.length} recipient(s)\n`);
  if (verb === 'remove') {
    rt.io.err('note: a removed recipient can still read any copy of the vault made before now: rotate the seeds they could see\n');
  }
}

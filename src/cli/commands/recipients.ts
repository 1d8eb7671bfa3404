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
  let add = verb === 'add' ? keys : [];
  if (verb === 'add') {
    // A recipient already there changes nothing: say so, and do not re-encrypt (no new generation,
    // no backup, no rewritten file) for a no-op.
    const present = add.filter((k) => current.includes(k.trim()));
    add = add.filter((k) => !current.includes(k.trim()));
    if (present.length)
      rt.io.err(
        `${keys.length === 1 ? 'that recipient is' : `${present.length} of the given recipients ${present.length === 1 ? 'is' : 'are'}`} already in recipients.txt\n`,
      );
    if (!add.length) {
      rt.io.out(`nothing changed: the vault stays encrypted to ${current.length} recipient(s)\n`);
      return;
    }
  }
  const next = await changeRecipients(rt.ctx, add, verb === 'remove' ? keys : []);
  rt.io.out(`the vault is now encrypted to ${next.length} recipient(s)\n`);
  if (verb === 'remove') {
    rt.io.err(
      'note: a removed recipient can still read any copy of the vault made before now: rotate the seeds they could see\n',
    );
  }
}

import { editAccount, type EditChanges } from '../../app/edit.js';
import { printable } from '../format.js';
import type { Runtime } from '../runtime.js';

export interface EditOptions extends EditChanges {
  force?: boolean;
}

export async function runEdit(rt: Runtime, id: string, o: EditOptions): Promise<void> {
  const { force, ...changes } = o;
  const r = await editAccount(rt.ctx, id, changes, { force: force === true });
  if (r.changed.length === 0) {
    rt.io.out(`${id}: nothing changed\n`);
    return;
  }
  // Names are quoted (they may be empty or hold spaces); numbers and algorithm names are not.
  const show = (field: string, v: string | number): string =>
    field === 'issuer' || field === 'label' ? JSON.stringify(printable(String(v))) : String(v);
  rt.io.out(
    `edited ${id}: ${r.changed.map((c) => `${c.field} ${show(c.field, c.from)} → ${show(c.field, c.to)}`).join(', ')}\n`,
  );
  if (r.counterBack) rt.io.err(`warning: the HOTP counter of ${id} moved back: codes already used are valid again\n`);
}

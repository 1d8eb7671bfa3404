/** `totp-mcp aws retire ACCOUNT [--keep-account] [--yes]`: deactivate and delete the device, then the account. */
import { awsRetire } from '../../app/aws-devices.js';
import { fail } from '../../core/errors.js';
import { json } from '../format.js';
import type { Runtime } from '../runtime.js';
import { deviceCommandDeps, type DeviceCommandDeps } from './aws-device-deps.js';

export interface Options {
  keepAccount?: boolean | undefined;
  yes?: boolean | undefined;
  json?: boolean | undefined;
}

export async function run(id: string, opts: Options, deps: DeviceCommandDeps): Promise<void> {
  if (!opts.yes) {
    if (!deps.prompter.interactive) fail('usage', 'retire deletes the MFA device in AWS: pass --yes off a terminal');
    const what = opts.keepAccount ? 'and drop its aws block' : 'and remove the account from the vault';
    if (!(await deps.prompter.confirm(`Deactivate and delete ${id}'s MFA device in AWS ${what}?`)))
      fail('usage', 'cancelled: nothing was changed');
  }
  const r = await awsRetire(deps.ctx, id, { keepAccount: opts.keepAccount === true });
  deps.io.out(
    opts.json
      ? json({ account: id, ...r })
      : `retired ${r.serial}: deactivated and deleted in AWS; ${r.kept_account ? `account ${id} kept without its aws block` : `account ${id} removed`}\n`,
  );
}

export async function runCli(rt: Runtime, id: string, opts: Options): Promise<void> {
  await run(id, opts, deviceCommandDeps(rt));
}

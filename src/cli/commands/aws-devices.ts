/** `totp-mcp aws devices ACCOUNT [--json]`: the user's MFA devices, which one this vault holds, the slots left. */
import { awsDevices } from '../../app/aws-devices.js';
import { json, printable } from '../format.js';
import type { Runtime } from '../runtime.js';
import { deviceCommandDeps, type DeviceCommandDeps } from './aws-device-deps.js';

export interface Options {
  json?: boolean | undefined;
}

export async function run(id: string, opts: Options, deps: DeviceCommandDeps): Promise<void> {
  const r = await awsDevices(deps.ctx, id);
  if (opts.json) {
    deps.io.out(json(r));
    return;
  }
  const lines = [`IAM user ${r.user}: ${r.devices.length} MFA device(s), ${r.slots_left} of 8 slots left`];
  for (const d of r.devices)
    lines.push(
      `  ${d.this_vault ? '*' : ' '} ${printable(d.serial)}  ${d.kind}  enabled ${d.enabled ?? '?'}${d.this_vault ? '  (this vault)' : ''}`,
    );
  deps.io.out(`${lines.join('\n')}\n`);
}

export async function runCli(rt: Runtime, id: string, opts: Options): Promise<void> {
  await run(id, opts, deviceCommandDeps(rt));
}

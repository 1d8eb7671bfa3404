/** `totp-mcp aws resync ACCOUNT`: ResyncMFADevice with two fresh consecutive codes. */
import { awsResync } from '../../app/aws-devices.js';
import { json } from '../format.js';
import type { Runtime } from '../runtime.js';
import { deviceCommandDeps, progressTo, type DeviceCommandDeps } from './aws-device-deps.js';

export interface Options {
  json?: boolean | undefined;
}

export async function run(id: string, opts: Options, deps: DeviceCommandDeps): Promise<void> {
  const r = await awsResync(deps.ctx, id, { progress: progressTo(deps) });
  deps.io.out(opts.json ? json({ account: id, ...r }) : `resynchronised ${r.serial} for ${id}\n`);
}

export async function runCli(rt: Runtime, id: string, opts: Options): Promise<void> {
  await run(id, opts, deviceCommandDeps(rt));
}

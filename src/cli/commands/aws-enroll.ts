/** `totp-mcp aws enroll ACCOUNT --user NAME …`: a new virtual MFA device, its seed straight into the vault. */
import { awsEnroll } from '../../app/aws-devices.js';
import { fail } from '../../core/errors.js';
import { json } from '../format.js';
import { deviceCommandDeps, progressTo, readSecretKey, type DeviceCommandDeps } from './aws-device-deps.js';
import type { Runtime } from '../runtime.js';

export interface Options {
  user: string;
  deviceName?: string | undefined;
  source?: string | undefined;
  accessKeyId?: string | undefined;
  region?: string | undefined;
  role?: string[] | undefined;
  showQr?: boolean | undefined;
  json?: boolean | undefined;
}

export async function run(id: string, opts: Options, deps: DeviceCommandDeps): Promise<void> {
  // Asked before anything is created: a refusal then leaves nothing behind.
  if (opts.showQr) {
    if (!deps.prompter.interactive)
      fail('usage', '--show-qr needs a terminal: the QR code holds the seed, and a pipe or a log would keep it');
    const yes = await deps.prompter.confirm(
      'The QR code shows the device’s seed on this screen (for a backup in a phone app). Anyone who sees or records it can make codes. Show it?',
    );
    if (!yes) fail('usage', 'cancelled: nothing was enrolled');
  }
  const r = await awsEnroll(
    deps.ctx,
    id,
    {
      user: opts.user,
      deviceName: opts.deviceName,
      source: opts.source,
      accessKeyId: opts.accessKeyId,
      readSecret: () => readSecretKey(deps, opts.accessKeyId ?? ''),
      region: opts.region,
      roles: opts.role,
    },
    { progress: progressTo(deps) },
  );
  if (opts.json) deps.io.out(json(r));
  else
    deps.io.out(
      `enrolled ${r.account}: virtual MFA device ${r.serial} (${r.device_name}) enabled for IAM user ${r.user}; its seed is in the vault only\n`,
    );
  if (opts.showQr) {
    const { exportQr } = await import('../../app/export.js');
    const { qr } = await exportQr(deps.ctx, id, deps.io.color ? 'ansi' : 'utf8');
    deps.io.err('warning: this QR code holds the seed; clear the screen once it is scanned\n');
    deps.io.err(qr.reveal());
  }
}

export async function runCli(rt: Runtime, id: string, opts: Options): Promise<void> {
  await run(id, opts, deviceCommandDeps(rt));
}

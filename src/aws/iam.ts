/**
 * IAM on @aws-sdk/client-iam: the only module that imports it, loaded lazily (`loadIam()`) by the
 * device commands. IAM is global: requests are signed for us-east-1 and go to IAM's global
 * endpoint unless the SDK's own settings name another (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL, a
 * profile's endpoint_url). No SDK retries: a retried Enable/Resync would resend spent codes.
 * Failures come out as `iamFailed(failure)` (the STS failure shape: code, message, whether IAM answered).
 */
import {
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  IAMClient,
  ListMFADevicesCommand,
  ResyncMFADeviceCommand,
} from '@aws-sdk/client-iam';
import { Redacted } from '../core/redacted.js';
import { type IamApi, iamFailed, type MfaDeviceInfo } from './iam-api.js';
import type { SigningKeys } from './sts-api.js';
import { sdkSetup, toFailure } from './sts.js';

async function run<T>(keys: SigningKeys, call: (iam: IAMClient) => Promise<T>): Promise<T> {
  const { handler, config } = sdkSetup('us-east-1', keys);
  const iam = new IAMClient(config);
  try {
    return await call(iam);
  } catch (e) {
    throw iamFailed(toFailure(e, handler));
  } finally {
    iam.destroy();
  }
}

export const sdkIam: IamApi = {
  createVirtualMfaDevice: (keys, name) =>
    run(keys, async (iam) => {
      const r = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
      const d = r.VirtualMFADevice;
      const raw = d?.Base32StringSeed;
      if (!d?.SerialNumber || !raw || raw.length === 0)
        throw iamFailed({
          stsCode: 'IncompleteResponse',
          awsMessage: 'IAM returned no device or no seed',
          status: 200,
          answered: true,
          serverDate: null,
        });
      // The blob holds the base32 text itself; the bytes are wiped once copied into the Redacted.
      const seed = new Redacted(Buffer.from(raw).toString('latin1'));
      raw.fill(0);
      if (d.QRCodePNG) d.QRCodePNG.fill(0);
      return { serial: d.SerialNumber, seed };
    }),
  enableMfaDevice: (keys, user, serial, c1, c2) =>
    run(keys, async (iam) => {
      await iam.send(
        new EnableMFADeviceCommand({
          UserName: user,
          SerialNumber: serial,
          AuthenticationCode1: c1.reveal(),
          AuthenticationCode2: c2.reveal(),
        }),
      );
    }),
  resyncMfaDevice: (keys, user, serial, c1, c2) =>
    run(keys, async (iam) => {
      await iam.send(
        new ResyncMFADeviceCommand({
          UserName: user,
          SerialNumber: serial,
          AuthenticationCode1: c1.reveal(),
          AuthenticationCode2: c2.reveal(),
        }),
      );
    }),
  listMfaDevices: (keys, user) =>
    run(keys, async (iam) => {
      const out: MfaDeviceInfo[] = [];
      let marker: string | undefined;
      do {
        const r = await iam.send(new ListMFADevicesCommand({ UserName: user, ...(marker && { Marker: marker }) }));
        for (const m of r.MFADevices ?? [])
          out.push({ serial: m.SerialNumber ?? '', enabled: m.EnableDate ? m.EnableDate.getTime() : null });
        marker = r.IsTruncated ? r.Marker : undefined;
      } while (marker);
      return out;
    }),
  deactivateMfaDevice: (keys, user, serial) =>
    run(keys, async (iam) => {
      await iam.send(new DeactivateMFADeviceCommand({ UserName: user, SerialNumber: serial }));
    }),
  deleteVirtualMfaDevice: (keys, serial) =>
    run(keys, async (iam) => {
      await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
    }),
};

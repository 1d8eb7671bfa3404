/**
 * The IAM calls of `aws enroll / resync / devices / retire`, as an interface: iam.ts implements it
 * on @aws-sdk/client-iam, loaded only by those commands.
 */
import { TotpMcpError } from '../core/errors.js';
import type { Redacted } from '../core/redacted.js';
import type { SigningKeys, StsFailure } from './sts-api.js';

/**
 * An IAM call that failed, thrown with the failure (same shape as STS's) as its cause, so the
 * device commands can say which step failed and why (app/aws-devices.ts maps it).
 */
export function iamFailed(failure: StsFailure): TotpMcpError {
  return new TotpMcpError('io', 'an IAM call failed', { reason: 'iam_failure', cause: failure });
}

/** The failure of an IAM call, or undefined for any other error. */
export const iamFailureOf = (e: unknown): StsFailure | undefined =>
  e instanceof TotpMcpError && e.reason === 'iam_failure' ? (e.cause as StsFailure) : undefined;

export interface MfaDeviceInfo {
  serial: string;
  /** ms since the epoch, or null when IAM gave none. */
  enabled: number | null;
}

export interface IamApi {
  /** The new device's serial and seed (base32, as IAM returns it once). */
  createVirtualMfaDevice(keys: SigningKeys, name: string): Promise<{ serial: string; seed: Redacted }>;
  enableMfaDevice(keys: SigningKeys, user: string, serial: string, code1: Redacted, code2: Redacted): Promise<void>;
  resyncMfaDevice(keys: SigningKeys, user: string, serial: string, code1: Redacted, code2: Redacted): Promise<void>;
  listMfaDevices(keys: SigningKeys, user: string): Promise<MfaDeviceInfo[]>;
  deactivateMfaDevice(keys: SigningKeys, user: string, serial: string): Promise<void>;
  deleteVirtualMfaDevice(keys: SigningKeys, serial: string): Promise<void>;
}

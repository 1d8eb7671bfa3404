/**
 * The IAM calls of `aws enroll / resync / devices / retire`, as an interface: iam.ts implements it
 * on @aws-sdk/client-iam, loaded only by those commands.
 */
import type { Redacted } from '../core/redacted.js';
import type { SigningKeys } from './sts-api.js';

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

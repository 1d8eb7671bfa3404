/**
 * The STS calls totp-mcp makes, as an interface: sts.ts implements it on @aws-sdk/client-sts and
 * is loaded only when a call must be made (a session served from the cache never loads the SDK).
 */
import type { Redacted } from '../core/redacted.js';
import type { Credentials } from './session.js';

/** Long-term (or, for chained calls, session) keys that sign a request. */
export interface SigningKeys {
  access_key_id: string;
  secret_access_key: Redacted;
  session_token?: Redacted | undefined;
}

export interface MfaInput {
  serial: string;
  code: Redacted;
}

export interface StsTarget {
  /** The signing region (and regional endpoint). */
  region: string;
}

export interface IssuedCredentials extends Credentials {
  expires: number;
}

export interface StsApi {
  getSessionToken(t: StsTarget, keys: SigningKeys, p: { duration: number; mfa: MfaInput }): Promise<IssuedCredentials>;
  assumeRole(
    t: StsTarget,
    keys: SigningKeys,
    p: {
      roleArn: string;
      sessionName: string;
      sourceIdentity: string | null;
      externalId: string | undefined;
      duration: number;
      mfa: MfaInput | null;
    },
  ): Promise<IssuedCredentials & { arn: string; account_id: string }>;
  getCallerIdentity(t: StsTarget, keys: SigningKeys): Promise<{ arn: string; account_id: string }>;
  /** The Date header of the last response STS sent (ms), for the clock-skew check; null if none. */
  lastServerDate?(): number | null;
}

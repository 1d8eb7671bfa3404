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

/**
 * What a failed STS call ended with, as seen on the wire: data for the retry policy and for the
 * message a person and an agent get (aws/errors.ts), never shown as-is.
 */
export interface StsFailure {
  /** The STS error code (`AccessDenied`, `ValidationError`, …), or a network errno. */
  readonly stsCode: string;
  /** AWS's message, for mapping (may quote an ARN; never shown as-is). */
  readonly awsMessage: string;
  readonly status: number | null;
  /** An HTTP response came back: the request reached STS (an MFA code sent in it is spent). */
  readonly answered: boolean;
  /** The response's Date header (ms), for clock-skew hints. */
  readonly serverDate: number | null;
  /** The SDK's error, kept as the cause of the mapped error (shown only with --debug). */
  readonly cause?: unknown;
}

/**
 * An STS call's outcome. A failure is a value, not a throw: the caller retries it (throttling, a
 * rejected code) or maps it once into the error a person or an agent sees.
 */
export type StsResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: StsFailure };

export interface StsApi {
  getSessionToken(
    t: StsTarget,
    keys: SigningKeys,
    p: { duration: number; mfa: MfaInput },
  ): Promise<StsResult<IssuedCredentials>>;
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
  ): Promise<StsResult<IssuedCredentials & { arn: string; account_id: string }>>;
  getCallerIdentity(t: StsTarget, keys: SigningKeys): Promise<StsResult<{ arn: string; account_id: string }>>;
  /** The Date header of the last response STS sent (ms), for the clock-skew check; null if none. */
  lastServerDate?(): number | null;
}

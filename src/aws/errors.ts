/**
 * STS failures, mapped to messages that say what is wrong and what to do. The
 * SDK's error is kept as `cause` (shown only with --debug); our messages never quote a key.
 */
import { TotpMcpError } from '../core/errors.js';
import type { StsFailure } from './sts-api.js';

/** Why an AWS step failed: the `reason` of the error, which the minting code branches on. */
export type AwsReason =
  | 'mfa_code_rejected'
  | 'mfa_codes_rejected_twice'
  | 'mfa_serial_invalid'
  | 'mfa_incomplete'
  | 'mfa_code_format'
  | 'source_is_session'
  | 'invalid_key'
  | 'bad_secret'
  | 'clock'
  | 'chaining_limit'
  | 'over_role_max'
  | 'assume_denied'
  | 'access_denied'
  | 'expired'
  | 'throttled'
  | 'region_disabled'
  | 'unreachable'
  | 'source_unavailable'
  | 'source_loop'
  | 'sts_error'
  | 'step_wait'
  | 'config';

/**
 * An AWS failure, as a person and an agent see it (`aws_error`, with its hint): STS could not be
 * reached or kept refusing (`io`), or refused what it was sent (`invalid`).
 */
export const awsError = (
  reason: AwsReason,
  message: string,
  options: { hint?: string; cause?: unknown } = {},
): TotpMcpError =>
  new TotpMcpError(reason === 'unreachable' || reason === 'throttled' ? 'io' : 'invalid', message, {
    ...options,
    kind: 'aws_error',
    reason,
  });

/** The AWS classification of an error, when it is an AWS failure. */
export const awsReason = (e: unknown): AwsReason | undefined =>
  e instanceof TotpMcpError && e.kind === 'aws_error' ? (e.reason as AwsReason) : undefined;

/** The error code without the SDK's `Exception` suffix (`ExpiredTokenException` → `ExpiredToken`). */
const bare = (code: string): string => code.replace(/Exception$/, '');

export interface MapContext {
  call: 'GetSessionToken' | 'AssumeRole' | 'GetCallerIdentity';
  serial?: string | undefined;
  roleArn?: string | undefined;
  endpoint?: string | undefined;
  /** Local clock at the time of the call (ms). */
  now?: number | undefined;
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

/** Classifies an STS failure; `mfa_code_rejected` is retried once by the caller. */
export function classify(e: StsFailure): AwsReason {
  const code = bare(e.stsCode);
  const m = e.awsMessage;
  if (!e.answered || NETWORK.has(code)) return 'unreachable';
  if (code === 'AccessDenied') {
    if (/invalid MFA one time pass code/i.test(m)) return 'mfa_code_rejected';
    if (/unable to validate MFA code/i.test(m)) return 'mfa_serial_invalid';
    if (/must provide both MFA serial number and one time pass code/i.test(m)) return 'mfa_incomplete';
    if (/Cannot call GetSessionToken with session credentials/i.test(m)) return 'source_is_session';
    if (/not authorized to perform: sts:AssumeRole/i.test(m)) return 'assume_denied';
    return 'access_denied';
  }
  if (code === 'ValidationError') {
    if (/tokenCode/i.test(m)) return 'mfa_code_format';
    if (/1 hour session limit for roles assumed by role chaining/i.test(m)) return 'chaining_limit';
    if (/MaxSessionDuration/i.test(m)) return 'over_role_max';
    return 'sts_error';
  }
  if (code === 'InvalidClientTokenId') return 'invalid_key';
  if (code === 'SignatureDoesNotMatch') return /Signature expired/i.test(m) ? 'clock' : 'bad_secret';
  if (code === 'RequestExpired') return 'clock';
  if (code === 'ExpiredToken') return 'expired';
  if (code === 'Throttling' || code === 'ThrottlingException' || code === 'TooManyRequests' || e.status === 429)
    return 'throttled';
  if (code === 'RegionDisabled') return 'region_disabled';
  if (e.status !== null && e.status >= 500) return 'throttled'; // transient: same back-off
  return 'sts_error';
}

const skewNote = (e: StsFailure, now: number | undefined): string => {
  if (e.serverDate === null || now === undefined) return '';
  const skew = Math.round((now - e.serverDate) / 1000);
  return Math.abs(skew) >= 10
    ? ` This computer's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} AWS's.`
    : '';
};

/** The message a person (or an agent) sees for an STS failure. */
export function mapStsError(e: StsFailure, ctx: MapContext): TotpMcpError {
  const reason = classify(e);
  // The SDK's error (shown only with --debug).
  const cause = e.cause === undefined ? {} : { cause: e.cause };
  const serial = ctx.serial ?? 'the MFA device';
  switch (reason) {
    case 'mfa_code_rejected':
      return awsError(
        reason,
        `AWS rejected the MFA code (${ctx.call}): it was wrong, or already used by another tool in this 30-second step`,
        cause,
      );
    case 'mfa_serial_invalid':
      return awsError(
        reason,
        `AWS cannot validate MFA codes for ${serial}: the serial is not an MFA device of the IAM user whose keys signed the request`,
        {
          ...cause,
          hint: 'check the device ARN in IAM → Users → Security credentials (it names the device, which may differ from the user), and that --source gives that user’s keys',
        },
      );
    case 'mfa_incomplete':
      return awsError(reason, 'AWS needs both the MFA serial and a code in the same request', cause);
    case 'mfa_code_format':
      return awsError(reason, 'AWS refused the MFA code’s format: it takes six digits', {
        ...cause,
        hint: 'AWS virtual MFA devices are 6-digit SHA1 TOTP; check the account’s digits and algorithm',
      });
    case 'source_is_session':
      return awsError(
        reason,
        'the source credentials are temporary (session) credentials: GetSessionToken needs an IAM user’s long-term access key',
        {
          ...cause,
          hint: 'point --source at long-term keys (AKIA…): --source vault, or a profile holding the user’s own keys',
        },
      );
    case 'invalid_key':
      return awsError(
        reason,
        'AWS does not recognise the access key id (deleted, deactivated, from another partition, or mistyped)',
        { ...cause, hint: 'check the key in IAM and run aws setup again' },
      );
    case 'bad_secret':
      return awsError(
        reason,
        'AWS says the request signature does not match: the secret access key is wrong for this access key id',
        cause,
      );
    case 'clock':
      return awsError(
        reason,
        `AWS refused the request's timestamp: this computer's clock is off by more than 15 minutes.${skewNote(e, ctx.now)}`,
        {
          ...cause,
          hint: 'synchronise the clock (NTP); TOTP codes also need it right to within a few seconds',
        },
      );
    case 'chaining_limit':
      return awsError(
        reason,
        'AWS caps roles assumed from a session (role chaining, including from GetSessionToken) at 1 hour',
        {
          ...cause,
          hint: 'ask for at most 1h, or for more than 1h so that totp-mcp assumes the role directly with MFA',
        },
      );
    case 'over_role_max':
      return awsError(reason, `the requested duration is over the MaxSessionDuration of ${ctx.roleArn ?? 'the role'}`, {
        ...cause,
        hint: 'ask for less, or raise the role’s maximum session duration in IAM and record it with aws setup --role NAME=ARN,max_duration=…',
      });
    case 'assume_denied':
      return awsError(reason, `this user may not assume ${ctx.roleArn ?? 'the role'}`, {
        ...cause,
        hint: "the role's trust policy must allow sts:AssumeRole (and sts:SetSourceIdentity, as totp-mcp sends the agent's name; or set the role's source_identity=off), with MFA if it requires it, and the external id if it sets one",
      });
    case 'access_denied':
      return awsError(reason, `AWS denied ${ctx.call} (AccessDenied)`, cause);
    case 'expired':
      return awsError(reason, 'the session used to sign the request has expired', cause);
    case 'throttled':
      return awsError(
        reason,
        `STS kept refusing ${ctx.call} with ${e.status === null || e.status < 500 ? 'Throttling (Rate exceeded)' : `HTTP ${e.status}`} after retries with back-off`,
        {
          ...cause,
          hint: 'wait and run again; set a region on the account (aws setup --region) to use a regional STS endpoint, which has its own limit',
        },
      );
    case 'region_disabled':
      return awsError(reason, 'STS is not activated in this region for the account', {
        ...cause,
        hint: 'activate it in IAM → Account settings, or set another region',
      });
    case 'unreachable':
      return awsError(reason, `cannot reach STS${ctx.endpoint ? ` at ${ctx.endpoint}` : ''} (${e.stsCode})`, {
        ...cause,
        hint: 'check the network, the region, and AWS_ENDPOINT_URL_STS if set',
      });
    default:
      return awsError(
        'sts_error',
        `STS refused ${ctx.call}: ${bare(e.stsCode)
          .replace(/[^\w.-]/g, '')
          .slice(0, 64)}${e.status === null ? '' : ` (HTTP ${e.status})`}`,
        cause,
      );
  }
}

/** After two fresh codes in a row were rejected: tell a seed/clock problem from a consumed code. */
export function twiceRejected(
  serial: string,
  steps: readonly number[],
  lastError: StsFailure,
  now: number,
): TotpMcpError {
  return awsError(
    'mfa_codes_rejected_twice',
    `AWS rejected the MFA codes of two consecutive steps (${steps.join(', ')}) for ${serial}, both unused by totp-mcp before: the seed in the vault does not belong to this MFA device, or this computer's clock is off by 30 s or more.${skewNote(lastError, now)} (A wrong serial gets a different answer from AWS.)`,
    {
      cause: lastError.cause,
      hint: "compare 'totp-mcp code ID' with the code the device or app shows; if they differ, fix the clock (NTP) or re-add the seed; if they match, another tool may be spending each code first",
    },
  );
}

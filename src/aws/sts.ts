/**
 * STS on @aws-sdk/client-sts: the only module that imports it, and loaded lazily (`loadSts()`),
 * so that a credential_process answered from the cache never pays for the SDK.
 *
 * - The SDK's own retries are off (maxAttempts 1): a retried request would resend the same MFA
 *   code, which AWS answers as a wrong one. mint.ts retries with back-off and a fresh step.
 * - The endpoint follows the SDK's own settings (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, a
 *   profile's endpoint_url); otherwise the regional endpoint of the account's region.
 * - Every failure comes back as a value (StsFailure, not thrown) that says whether STS answered
 *   (an HTTP response came back, so an MFA code in it is spent) and the server's Date (for
 *   clock-skew hints).
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Redacted } from '../core/redacted.js';
import type { IssuedCredentials, SigningKeys, StsApi, StsFailure, StsResult, StsTarget } from './sts-api.js';

/** A handler that remembers whether a response came back, and its Date header. */
class WatchingHandler extends NodeHttpHandler {
  answered = false;
  serverDate: number | null = null;

  override async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const r = await super.handle(...args);
    this.answered = true;
    const date = r.response.headers['date'];
    const t = date === undefined ? Number.NaN : Date.parse(date);
    this.serverDate = Number.isNaN(t) ? null : t;
    return r;
  }
}

/** How every AWS SDK client here is built (STS and IAM alike): one attempt, bounded waits, the given keys. */
export function sdkSetup(region: string, keys: SigningKeys) {
  const handler = new WatchingHandler({
    connectionTimeout: 5_000,
    requestTimeout: 15_000,
    throwOnRequestTimeout: true,
  });
  const config = {
    region,
    maxAttempts: 1,
    requestHandler: handler,
    credentials: {
      accessKeyId: keys.access_key_id,
      secretAccessKey: keys.secret_access_key.reveal(),
      ...(keys.session_token !== undefined && { sessionToken: keys.session_token.reveal() }),
    },
  };
  return { handler, config };
}

function client(t: StsTarget, keys: SigningKeys): { sts: STSClient; handler: WatchingHandler } {
  const { handler, config } = sdkSetup(t.region, keys);
  return { sts: new STSClient(config), handler };
}

interface SdkError {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function toFailure(e: unknown, handler: WatchingHandler): StsFailure {
  const x = (typeof e === 'object' && e !== null ? e : {}) as SdkError;
  const status = typeof x.$metadata?.httpStatusCode === 'number' ? x.$metadata.httpStatusCode : null;
  const answered = handler.answered || status !== null;
  const netCode = typeof x.code === 'string' ? x.code : undefined;
  const name = typeof x.Code === 'string' ? x.Code : typeof x.name === 'string' ? x.name : 'Error';
  const code = !answered && netCode !== undefined ? netCode : name;
  return {
    stsCode: code,
    awsMessage: typeof x.message === 'string' ? x.message : '',
    status,
    answered,
    serverDate: handler.serverDate,
    cause: e,
  };
}

let lastServerDate: number | null = null;

/** STS answered 200 without credentials. */
const INCOMPLETE: StsFailure = {
  stsCode: 'IncompleteResponse',
  awsMessage: 'STS returned no credentials',
  status: 200,
  answered: true,
  serverDate: null,
};

/** `call` gives null for an answer without credentials. */
async function run<T>(
  t: StsTarget,
  keys: SigningKeys,
  call: (sts: STSClient) => Promise<T | null>,
): Promise<StsResult<T>> {
  const { sts, handler } = client(t, keys);
  try {
    const value = await call(sts);
    return value === null ? { ok: false, failure: INCOMPLETE } : { ok: true, value };
  } catch (e) {
    return { ok: false, failure: toFailure(e, handler) };
  } finally {
    if (handler.serverDate !== null) lastServerDate = handler.serverDate;
    sts.destroy();
  }
}

function issued(
  c:
    | {
        AccessKeyId?: string | undefined;
        SecretAccessKey?: string | undefined;
        SessionToken?: string | undefined;
        Expiration?: Date | undefined;
      }
    | undefined,
): IssuedCredentials | null {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) return null;
  return {
    access_key_id: c.AccessKeyId,
    secret_access_key: new Redacted(c.SecretAccessKey),
    session_token: new Redacted(c.SessionToken),
    expires: c.Expiration.getTime(),
  };
}

const accountOf = (arn: string): string => /^arn:[\w-]+:(?:sts|iam)::(\d{12}):/.exec(arn)?.[1] ?? '';

export const sdkSts: StsApi = {
  lastServerDate: () => lastServerDate,
  getSessionToken: (t, keys, p) =>
    run(t, keys, async (sts) => {
      const r = await sts.send(
        new GetSessionTokenCommand({
          DurationSeconds: p.duration,
          SerialNumber: p.mfa.serial,
          TokenCode: p.mfa.code.reveal(),
        }),
      );
      return issued(r.Credentials);
    }),
  assumeRole: (t, keys, p) =>
    run(t, keys, async (sts) => {
      const r = await sts.send(
        new AssumeRoleCommand({
          RoleArn: p.roleArn,
          RoleSessionName: p.sessionName,
          DurationSeconds: p.duration,
          ...(p.sourceIdentity !== null && { SourceIdentity: p.sourceIdentity }),
          ...(p.externalId !== undefined && { ExternalId: p.externalId }),
          ...(p.mfa !== null && { SerialNumber: p.mfa.serial, TokenCode: p.mfa.code.reveal() }),
        }),
      );
      const arn = r.AssumedRoleUser?.Arn ?? '';
      const got = issued(r.Credentials);
      return got && { ...got, arn, account_id: accountOf(arn) };
    }),
  getCallerIdentity: (t, keys) =>
    run(t, keys, async (sts) => {
      const r = await sts.send(new GetCallerIdentityCommand({}));
      return { arn: r.Arn ?? '', account_id: r.Account ?? accountOf(r.Arn ?? '') };
    }),
};

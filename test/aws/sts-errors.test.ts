// Every STS error AWS documents for these calls, as the local endpoint sends it, through the real
// @aws-sdk/client-sts, mapped to a message that says what is wrong and what to do. The endpoint's
// own rules (reuse answered as a wrong code, chaining cap, role maximum, trust, session keys) are
// exercised for real where they apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, mapStsError, type AwsReason } from '../../src/aws/errors.js';
import { sdkSts } from '../../src/aws/sts.js';
import type { SigningKeys, StsFailure, StsResult } from '../../src/aws/sts-api.js';
import { Redacted } from '../../src/core/redacted.js';
import {
  ADMIN_ROLE,
  BAD_SIGNATURE,
  CHAINING,
  DEPLOY_ROLE,
  EXPIRED,
  GST_WITH_SESSION,
  INVALID_TOKEN,
  MFA_BOTH,
  MFA_INVALID,
  MFA_UNVALIDATED,
  OVER_MAX,
  refTotp,
  startSts,
  TEST_ACCOUNT,
  TEST_KEY_ID,
  TEST_SECRET,
  TEST_SEED,
  TEST_SERIAL,
  type StsServer,
} from '../helpers/sts-server.js';

let sts: StsServer;
let t = Date.now();
const t0 = { region: 'eu-west-1' };
const keys: SigningKeys = { access_key_id: TEST_KEY_ID, secret_access_key: new Redacted(TEST_SECRET) };

beforeAll(async () => {
  sts = await startSts({
    now: () => t,
    roles: [
      { arn: DEPLOY_ROLE, requireMfa: true },
      { arn: ADMIN_ROLE, maxSessionDuration: 7200, requireMfa: true, trusted: ['arn:aws:iam::123456789012:user/bob'] },
    ],
  });
  process.env['AWS_ENDPOINT_URL_STS'] = sts.url;
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
});
afterAll(async () => {
  await sts.close();
});

const step = (): number => Math.floor(t / 30_000);
const code = (s = step()): Redacted => new Redacted(refTotp(TEST_SEED, s));
const nextStep = (): void => {
  t += 30_000;
};

/** The adapter never throws for an STS failure: it says so in its result. */
async function failure(p: Promise<StsResult<unknown>>): Promise<StsFailure> {
  const r = await p;
  if (r.ok) throw new Error('expected a failure');
  return r.failure;
}

async function value<T>(p: Promise<StsResult<T>>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(`expected a success, got ${r.failure.stsCode}`);
  return r.value;
}

function expectMapped(
  e: StsFailure,
  kind: AwsReason,
  message: RegExp,
  ctx: Partial<Parameters<typeof mapStsError>[1]> = {},
): void {
  expect(classify(e)).toBe(kind);
  const m = mapStsError(e, {
    call: 'GetSessionToken',
    serial: TEST_SERIAL,
    roleArn: DEPLOY_ROLE,
    endpoint: sts.url,
    now: Date.now(),
    ...ctx,
  });
  expect([m.kind, m.reason]).toEqual(['aws_error', kind]);
  expect(`${m.message} ${m.hint ?? ''}`).toMatch(message);
  expect(m.message).not.toContain(TEST_SECRET);
}

describe('the reference error table, end to end through the SDK', () => {
  it('a wrong code, and a reused one, get the very same AccessDenied; both map to "rejected"', async () => {
    nextStep();
    const good = code();
    const wrong = new Redacted(String((Number(good.reveal()) + 1) % 1_000_000).padStart(6, '0'));
    const e1 = await failure(
      sdkSts.getSessionToken(t0, keys, { duration: 900, mfa: { serial: TEST_SERIAL, code: wrong } }),
    );
    await value(sdkSts.getSessionToken(t0, keys, { duration: 900, mfa: { serial: TEST_SERIAL, code: good } }));
    const e2 = await failure(
      sdkSts.getSessionToken(t0, keys, { duration: 900, mfa: { serial: TEST_SERIAL, code: good } }),
    );
    expect([e1.stsCode, e1.awsMessage.trim(), e1.status]).toEqual(['AccessDenied', MFA_INVALID.trim(), 403]);
    expect([e2.stsCode, e2.awsMessage, e2.status]).toEqual([e1.stsCode, e1.awsMessage, e1.status]);
    expect(e1.answered).toBe(true);
    expect(e1.serverDate).not.toBeNull();
    expectMapped(e1, 'mfa_code_rejected', /rejected the MFA code .*wrong, or already used by another tool/);
  });

  it('a serial that is not the user’s device: "unable to validate", mapped to a serial problem', async () => {
    nextStep();
    const e = await failure(
      sdkSts.getSessionToken(t0, keys, {
        duration: 900,
        mfa: { serial: 'arn:aws:iam::123456789012:mfa/alice', code: code() },
      }),
    );
    expect(e.awsMessage).toBe(MFA_UNVALIDATED);
    expectMapped(e, 'mfa_serial_invalid', /not an MFA device of the IAM user .*device ARN in IAM/);
  });

  it('serial without code', async () => {
    sts.failNext('GetSessionToken', 403, 'AccessDenied', MFA_BOTH);
    expectMapped(
      await failure(sdkSts.getSessionToken(t0, keys, { duration: 900, mfa: { serial: TEST_SERIAL, code: code() } })),
      'mfa_incomplete',
      /both the MFA serial and a code/,
    );
  });

  it('non-digit code: ValidationError on tokenCode', async () => {
    const e = await failure(
      sdkSts.getSessionToken(t0, keys, { duration: 900, mfa: { serial: TEST_SERIAL, code: new Redacted('12ab56') } }),
    );
    expect(e.stsCode).toBe('ValidationError');
    expect(e.awsMessage).toMatch(
      /at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\d\]\*/,
    );
    expectMapped(e, 'mfa_code_format', /six digits/);
  });

  it('GetSessionToken signed with session credentials', async () => {
    nextStep();
    const s = await value(
      sdkSts.getSessionToken(t0, keys, { duration: 3600, mfa: { serial: TEST_SERIAL, code: code() } }),
    );
    const e = await failure(
      sdkSts.getSessionToken(t0, { ...s }, { duration: 900, mfa: { serial: TEST_SERIAL, code: code(step() + 1) } }),
    );
    expect(e.awsMessage).toBe(GST_WITH_SESSION);
    expectMapped(
      e,
      'source_is_session',
      /temporary \(session\) credentials: GetSessionToken needs an IAM user’s long-term access key/,
    );
  });

  it('an unknown key, a wrong secret', async () => {
    const e = await failure(
      sdkSts.getCallerIdentity(t0, {
        access_key_id: 'AKIAUNKNOWNKEY000000',
        secret_access_key: new Redacted(TEST_SECRET),
      }),
    );
    expect([e.stsCode, e.awsMessage]).toEqual(['InvalidClientTokenId', INVALID_TOKEN]);
    expectMapped(e, 'invalid_key', /does not recognise the access key id/);
    const f = await failure(
      sdkSts.getCallerIdentity(t0, { access_key_id: TEST_KEY_ID, secret_access_key: new Redacted('x'.repeat(40)) }),
    );
    expect([f.stsCode, f.awsMessage]).toEqual(['SignatureDoesNotMatch', BAD_SIGNATURE]);
    expectMapped(f, 'bad_secret', /secret access key is wrong/);
  });

  it('role chaining over 1 h, over the role maximum, a trust policy that refuses', async () => {
    nextStep();
    const s = await value(
      sdkSts.getSessionToken(t0, keys, { duration: 3600, mfa: { serial: TEST_SERIAL, code: code() } }),
    );
    const base = {
      roleArn: DEPLOY_ROLE,
      sessionName: 'totp-mcp.t',
      sourceIdentity: 'totp-mcp.t',
      externalId: undefined,
      mfa: null,
    };
    const chain = await failure(sdkSts.assumeRole(t0, s, { ...base, duration: 7200 }));
    expect(chain.awsMessage).toBe(CHAINING);
    expectMapped(chain, 'chaining_limit', /at 1 hour.*more than 1h so that totp-mcp assumes the role directly/, {
      call: 'AssumeRole',
    });
    nextStep();
    const over = await failure(
      sdkSts.assumeRole(t0, keys, { ...base, duration: 7200, mfa: { serial: TEST_SERIAL, code: code() } }),
    );
    expect(over.awsMessage).toBe(OVER_MAX);
    expectMapped(over, 'over_role_max', /over the MaxSessionDuration of arn:aws:iam::123456789012:role\/deploy/, {
      call: 'AssumeRole',
    });
    const trust = await failure(sdkSts.assumeRole(t0, s, { ...base, roleArn: ADMIN_ROLE, duration: 3600 }));
    expect(trust.awsMessage).toBe(
      `User: arn:aws:iam::${TEST_ACCOUNT}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${ADMIN_ROLE}`,
    );
    expectMapped(
      trust,
      'assume_denied',
      /may not assume .*trust policy must allow sts:AssumeRole .*SetSourceIdentity/,
      { call: 'AssumeRole', roleArn: ADMIN_ROLE },
    );
    // A role that requires MFA refuses long-term keys without a code.
    const noMfa = await failure(sdkSts.assumeRole(t0, keys, { ...base, duration: 3600 }));
    expect(noMfa.awsMessage).toMatch(/is not authorized to perform: sts:AssumeRole/);
  });

  it('an expired session', async () => {
    nextStep();
    const s = await value(
      sdkSts.getSessionToken(t0, keys, { duration: 900, mfa: { serial: TEST_SERIAL, code: code() } }),
    );
    t += 901_000;
    const e = await failure(sdkSts.getCallerIdentity(t0, s));
    expect([e.stsCode, e.awsMessage, e.status]).toEqual(['ExpiredToken', EXPIRED, 400]);
    expectMapped(e, 'expired', /has expired/);
  });

  it('a host clock too far off for SigV4', async () => {
    sts.failNext(
      'GetCallerIdentity',
      403,
      'SignatureDoesNotMatch',
      'Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T002500Z - 15 min.)',
    );
    expectMapped(
      await failure(sdkSts.getCallerIdentity(t0, keys)),
      'clock',
      /clock is off by more than 15 minutes.*NTP/,
    );
  });

  it('throttling, a 5xx, and an endpoint that does not answer', async () => {
    sts.failNext('GetCallerIdentity', 400, 'Throttling', 'Rate exceeded');
    const e = await failure(sdkSts.getCallerIdentity(t0, keys));
    expect([e.stsCode, e.awsMessage, e.status]).toEqual(['Throttling', 'Rate exceeded', 400]);
    expectMapped(e, 'throttled', /Throttling \(Rate exceeded\) after retries with back-off.*regional STS endpoint/);
    sts.failNext('GetCallerIdentity', 503, 'ServiceUnavailable', 'Service is unable to handle request.');
    expect(classify(await failure(sdkSts.getCallerIdentity(t0, keys)))).toBe('throttled');
    const url = process.env['AWS_ENDPOINT_URL_STS'];
    process.env['AWS_ENDPOINT_URL_STS'] = 'http://127.0.0.1:9';
    try {
      const down = await failure(sdkSts.getCallerIdentity(t0, keys));
      expect(down.answered).toBe(false);
      expectMapped(down, 'unreachable', /cannot reach STS at .* \(ECONNREFUSED\)/);
    } finally {
      process.env['AWS_ENDPOINT_URL_STS'] = url;
    }
  });

  it('signs for the account’s region (regional endpoint) and sends no SDK retry of an MFA call', async () => {
    nextStep();
    sts.calls.length = 0;
    sts.failNext('GetSessionToken', 500, 'InternalFailure', 'An internal error occurred');
    await failure(
      sdkSts.getSessionToken({ region: 'ap-southeast-2' }, keys, {
        duration: 900,
        mfa: { serial: TEST_SERIAL, code: code() },
      }),
    );
    expect(sts.calls).toHaveLength(1); // maxAttempts 1: a retry would resend the same code
    expect(sts.calls[0]!.region).toBe('ap-southeast-2');
  });
});

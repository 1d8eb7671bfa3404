// Issue 12 item 1: an approval stands for exactly what the person was asked about. A remembered
// approval is keyed by agent × account × action (an AWS session's role, duration, delivery) ×
// deciding rule × policy pin, and a new pin forgets it; the 2026-07-28 signed requestState binds
// the same tuple plus the tool and its arguments, so an answer cannot be replayed onto another call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { startSts, type StsServer } from '../helpers/sts-server.js';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  modernMeta,
  rawServe,
  TEST_POLICY,
  writePolicy,
  type Connected,
  type Era,
} from './helpers.js';

let sts: StsServer;
let h: AwsHome;

const AWS_APPROVAL_POLICY = `version: 1
agents:
  claude: {}
rules:
  - id: claude-prod-code
    agents: [claude]
    accounts: [prod]
    actions: [list, code]
    approval: confirm
    approval_ttl: 10m
  - id: claude-prod-aws
    agents: [claude]
    accounts: [prod]
    actions: [aws_session]
    aws: { roles: [deploy, admin], max_duration: 12h, delivery: [profile] }
    approval: confirm
  - id: claude-user-aws
    agents: [claude]
    accounts: [user]
    actions: [aws_session]
    aws: { max_duration: 1h, delivery: [profile] }
    approval: confirm
    approval_ttl: 10m
`;

beforeAll(async () => {
  sts = await startSts({ period: 5 });
  h = awsHome({ stsUrl: sts.url, period: 5, policy: AWS_APPROVAL_POLICY });
});
afterAll(async () => {
  await sts.close();
  expectAllStdoutClean();
});

const yes = () => ({ action: 'accept', content: { confirm: true } }) as const;
const approvals = (home: string, action: string, account: string) =>
  auditEvents(home)
    .filter((e) => e.agent !== null && e.action === action && e.account === account)
    .map((e) => [e.decision, e.approval]);

describe.each(['legacy', 'modern'] as Era[])('a remembered approval stands for one subject only (%s era)', (era) => {
  let c: Connected;
  afterAll(async () => {
    await c.close();
  });

  it('the code of prod, remembered under a TTL rule, does not unlock an AWS session on prod whose rule asks every time', async () => {
    const before = {
      code: approvals(h.home, 'code', 'prod').length,
      aws: approvals(h.home, 'aws_session', 'prod').length,
    };
    c = await connect(h.home, { agent: 'claude', era, env: h.env, elicit: yes });
    expect((await call(c, 'get_totp_code', { account: 'prod', min_remaining_seconds: 0 })).structured.code).toMatch(
      /^\d{6}$/,
    );
    expect((await call(c, 'get_totp_code', { account: 'prod', min_remaining_seconds: 0 })).structured.code).toMatch(
      /^\d{6}$/,
    );
    expect(c.asked).toEqual(['Agent "claude" asks for the code of prod. Allow?']);
    const s = await call(c, 'get_aws_session', { account: 'prod', role: 'deploy' });
    expect(s.isError, s.text).toBe(false);
    expect(s.structured.profile).toBe('totp-mcp-prod-deploy');
    // Asked again, and the question names the action: an AWS session, its role, its duration.
    expect(c.asked).toHaveLength(2);
    expect(c.asked[1]).toBe(
      'Agent "claude" asks for an AWS session on prod: role deploy, for the default duration (at most 12 h), written to an AWS profile. Allow?',
    );
    // No TTL on the AWS rule: every session is asked for.
    expect((await call(c, 'get_aws_session', { account: 'prod', role: 'deploy' })).isError).toBe(false);
    expect(c.asked).toHaveLength(3);
    expect(approvals(h.home, 'code', 'prod').slice(before.code)).toEqual([
      ['allow', 'confirmed'],
      ['allow', 'remembered'],
    ]);
    expect(approvals(h.home, 'aws_session', 'prod').slice(before.aws)).toEqual([
      ['allow', 'confirmed'],
      ['allow', 'confirmed'],
    ]);
  });

  it('a remembered AWS session approval does not stand for another duration', async () => {
    const before = approvals(h.home, 'aws_session', 'user').length;
    const asked = c.asked.length;
    expect((await call(c, 'get_aws_session', { account: 'user', duration_seconds: 900 })).isError).toBe(false);
    expect((await call(c, 'get_aws_session', { account: 'user', duration_seconds: 900 })).isError).toBe(false);
    expect(c.asked.slice(asked)).toEqual([
      'Agent "claude" asks for an AWS session on user: the MFA user\'s own session, for 15 min, written to an AWS profile. Allow?',
    ]);
    expect((await call(c, 'get_aws_session', { account: 'user', duration_seconds: 1800 })).isError).toBe(false);
    expect(c.asked.slice(asked)).toHaveLength(2);
    expect(c.asked.at(-1)).toMatch(/for 30 min/);
    expect(approvals(h.home, 'aws_session', 'user').slice(before)).toEqual([
      ['allow', 'confirmed'],
      ['allow', 'remembered'],
      ['allow', 'confirmed'],
    ]);
  });
});

const TTL_POLICY = `${TEST_POLICY}  - id: bot-ttl
    agents: [bot]
    accounts: [ttl]
    actions: [list, code]
    approval: confirm
    approval_ttl: 10m
`;

describe.each(['legacy', 'modern'] as Era[])('a new policy pin forgets remembered approvals (%s era)', (era) => {
  it('after `policy apply` (an edit, then removing the TTL) the running server asks again', async () => {
    const home = homeWithPolicy(TTL_POLICY, [['ttl', 'otpauth://totp/T:ttl?secret=JBSWY3DPEHPK3PXP']]);
    const c = await connect(home, { agent: 'bot', era, elicit: yes });
    const code = async () => {
      const r = await call(c, 'get_totp_code', { account: 'ttl', min_remaining_seconds: 0 });
      expect(r.isError, r.text).toBe(false);
    };
    try {
      await code();
      await code();
      expect(c.asked).toHaveLength(1);
      // Any edit the owner applies is a new pin: what was remembered is forgotten.
      writePolicy(home, `${TTL_POLICY}# reviewed\n`);
      await code();
      expect(c.asked).toHaveLength(2);
      await code();
      expect(c.asked).toHaveLength(2);
      // The owner removes the TTL and applies: every call asks again.
      writePolicy(home, TTL_POLICY.replace('    approval_ttl: 10m\n', ''));
      await code();
      await code();
      expect(c.asked).toHaveLength(4);
    } finally {
      await c.close();
    }
    expect(approvals(home, 'code', 'ttl')).toEqual([
      ['allow', 'confirmed'],
      ['allow', 'remembered'],
      ['allow', 'confirmed'],
      ['allow', 'remembered'],
      ['allow', 'confirmed'],
      ['allow', 'confirmed'],
    ]);
    expectAuditVerifies(home);
  });
});

describe('a signed answer cannot be replayed onto another call (2026-07-28 wire)', () => {
  it('an accept for the code of prod never mints an AWS session, nor one with another role, duration or arguments', async () => {
    const s = rawServe(h.home, ['serve', '--agent', 'claude'], h.env);
    const caps = { elicitation: { form: {} } };
    const accept = { confirm: { action: 'accept', content: { confirm: true } } };
    const stsBefore = sts.calls.length;
    const awsBefore = approvals(h.home, 'aws_session', 'prod').length;
    const codeBefore = approvals(h.home, 'code', 'prod').length;
    let id = 100;
    const send = async (name: string, args: Record<string, unknown>, requestState?: string) => {
      const n = ++id;
      s.send({
        id: n,
        method: 'tools/call',
        params: {
          name,
          arguments: args,
          _meta: modernMeta(caps),
          ...(requestState === undefined ? {} : { inputResponses: accept, requestState }),
        },
      });
      return (await s.response(n)).result;
    };
    const codeArgs = { account: 'prod', min_remaining_seconds: 0 };
    const q1 = await send('get_totp_code', codeArgs);
    expect(q1.resultType).toBe('input_required');
    expect(q1.inputRequests.confirm.params.message).toBe('Agent "claude" asks for the code of prod. Allow?');
    const codeState: string = q1.requestState;

    // The code's answer, replayed onto get_aws_session on the same account: asked again.
    const replay = await send('get_aws_session', { account: 'prod', role: 'deploy' }, codeState);
    expect(replay.resultType).toBe('input_required');
    expect(replay.structuredContent).toBeUndefined();
    expect(replay.inputRequests.confirm.params.message).toMatch(
      /^Agent "claude" asks for an AWS session on prod: role deploy/,
    );
    const awsState: string = replay.requestState;
    // The AWS answer for role deploy, replayed with another role, another duration, or onto the code.
    for (const [name, args] of [
      ['get_aws_session', { account: 'prod', role: 'admin' }],
      ['get_aws_session', { account: 'prod', role: 'deploy', duration_seconds: 7200 }],
      ['get_totp_code', codeArgs],
    ] as const) {
      const r = await send(name, args, awsState);
      expect(r.resultType, `${name} ${JSON.stringify(args)}`).toBe('input_required');
      expect(r.structuredContent).toBeUndefined();
    }
    // The code's answer with other arguments: asked again too.
    expect((await send('get_totp_code', { account: 'prod', min_remaining_seconds: 5 }, codeState)).resultType).toBe(
      'input_required',
    );
    // Nothing was released, nothing reached STS.
    expect(sts.calls.length).toBe(stsBefore);
    expect(approvals(h.home, 'aws_session', 'prod').slice(awsBefore)).toEqual([]);
    expect(approvals(h.home, 'code', 'prod').slice(codeBefore)).toEqual([]);

    // Each genuine answer, to its own question, with its own arguments, is taken (once).
    const session = await send('get_aws_session', { account: 'prod', role: 'deploy' }, awsState);
    expect(session.structuredContent?.profile).toBe('totp-mcp-prod-deploy');
    const code = await send('get_totp_code', codeArgs, codeState);
    expect(code.structuredContent?.code).toMatch(/^\d{6}$/);
    // Once: the AWS rule has no TTL, so the same state again is a new question.
    expect((await send('get_aws_session', { account: 'prod', role: 'deploy' }, awsState)).resultType).toBe(
      'input_required',
    );
    expect((await s.end()).code).toBe(0);
    expect(approvals(h.home, 'aws_session', 'prod').slice(awsBefore)).toEqual([['allow', 'confirmed']]);
    expect(approvals(h.home, 'code', 'prod').slice(codeBefore)).toEqual([['allow', 'confirmed']]);
    expectAuditVerifies(h.home);
  });
});

// Approval through MCP elicitation (inputRequired), in both eras: accept, decline, cancel, an
// accept that does not confirm, a client without the capability, a remembered approval that
// expires, and answers the server never asked for.
import { afterAll, describe, expect, it } from 'vitest';
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
  type Era,
} from './helpers.js';

const POLICY = `${TEST_POLICY}  - id: bot-ttl
    agents: [bot]
    accounts: [ttl]
    actions: [list, code]
    approval: confirm
    approval_ttl: 2s
`;
const TTL_URI = 'otpauth://totp/T:ttl?secret=JBSWY3DPEHPK3PXP';
const QUESTION = 'Agent "bot" asks for the code of confirm. Allow?';

afterAll(() => {
  expectAllStdoutClean();
});

describe.each(['legacy', 'modern'] as Era[])('approval by elicitation, %s era', (era) => {
  const home = homeWithPolicy(POLICY, [['ttl', TTL_URI]]);

  it('accept with confirm: true gives the code; the question names the agent and the account', async () => {
    const c = await connect(home, {
      agent: 'bot',
      era,
      elicit: () => ({ action: 'accept', content: { confirm: true } }),
    });
    try {
      const r = await call(c, 'get_totp_code', { account: 'confirm', min_remaining_seconds: 0 });
      expect(r.isError, r.text).toBe(false);
      expect(r.structured.code).toMatch(/^\d{6}$/);
      expect(c.asked).toEqual([QUESTION]);
      // No TTL on this rule: the next call asks again.
      expect((await call(c, 'get_totp_code', { account: 'confirm', min_remaining_seconds: 0 })).isError).toBe(false);
      expect(c.asked).toHaveLength(2);
      // Accounts without `approval: confirm` never ask.
      expect((await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).isError).toBe(
        false,
      );
      expect(c.asked).toHaveLength(2);
    } finally {
      await c.close();
    }
  });

  it.each([
    [
      'decline',
      { action: 'decline' } as const,
      'approval_declined: the person declined the request',
      'approval_declined',
    ],
    [
      'cancel',
      { action: 'cancel' } as const,
      'approval_declined: the person cancelled the request',
      'approval_cancelled',
    ],
    [
      'accept without confirming',
      { action: 'accept', content: { confirm: false } } as const,
      'approval_declined: the person declined the request',
      'approval_declined',
    ],
  ])('%s is refused, with a stable error, and recorded', async (_what, answer, text, reason) => {
    const c = await connect(home, { agent: 'bot', era, elicit: () => answer });
    try {
      const r = await call(c, 'get_totp_code', { account: 'confirm' });
      expect(r).toMatchObject({ isError: true, text });
      expect(r.structured).toBeUndefined();
      expect(c.asked).toHaveLength(1);
    } finally {
      await c.close();
    }
    const last = auditEvents(home)
      .filter((e) => e.agent !== null && e.account === 'confirm')
      .at(-1);
    expect(last).toMatchObject({ decision: 'deny', rule: 'bot-confirm', reason });
  });

  it('a client that cannot elicit gets a denial that says so, never a silent allow', async () => {
    const c = await connect(home, { agent: 'bot', era });
    try {
      const r = await call(c, 'get_totp_code', { account: 'confirm' });
      expect(r).toMatchObject({ isError: true });
      expect(r.text).toMatch(
        /^approval_declined: this account needs the person to confirm, and this client cannot ask/,
      );
    } finally {
      await c.close();
    }
    expect(
      auditEvents(home)
        .filter((e) => e.agent !== null && e.account === 'confirm')
        .at(-1),
    ).toMatchObject({ decision: 'deny', reason: 'approval_unavailable', approval: 'unavailable' });
  });

  it('a remembered approval (approval_ttl: 2s) is reused without asking, then expires and is asked again', async () => {
    const c = await connect(home, {
      agent: 'bot',
      era,
      elicit: () => ({ action: 'accept', content: { confirm: true } }),
    });
    try {
      expect((await call(c, 'get_totp_code', { account: 'ttl', min_remaining_seconds: 0 })).isError).toBe(false);
      expect((await call(c, 'get_totp_code', { account: 'ttl', min_remaining_seconds: 0 })).isError).toBe(false);
      expect(c.asked).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 2200));
      expect((await call(c, 'get_totp_code', { account: 'ttl', min_remaining_seconds: 0 })).isError).toBe(false);
      expect(c.asked).toHaveLength(2);
    } finally {
      await c.close();
    }
    const approvals = auditEvents(home)
      .filter((e) => e.agent !== null && e.account === 'ttl')
      .slice(-3)
      .map((e) => e.approval);
    expect(approvals).toEqual(['confirmed', 'remembered', 'confirmed']);
    // A remembered approval belongs to one server process: a new one asks again.
    const again = await connect(home, {
      agent: 'bot',
      era,
      elicit: () => ({ action: 'accept', content: { confirm: true } }),
    });
    try {
      expect((await call(again, 'get_totp_code', { account: 'ttl', min_remaining_seconds: 0 })).isError).toBe(false);
      expect(again.asked).toHaveLength(1);
    } finally {
      await again.close();
    }
    expectAuditVerifies(home);
  });
});

describe('answers the server did not ask for (2026-07-28 wire)', () => {
  it('an accept sent with the first call, or with a state minted for another account, is ignored: the server asks', async () => {
    const home = homeWithPolicy(POLICY, [['ttl', TTL_URI]]);
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    const forged = { confirm: { action: 'accept', content: { confirm: true } } };
    const caps = { elicitation: { form: {} } };
    // (The state is bound to the call's arguments too: the genuine answer below repeats them.)
    s.send({
      id: 1,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'confirm', min_remaining_seconds: 0 },
        inputResponses: forged,
        _meta: modernMeta(caps),
      },
    });
    const first = await s.response(1);
    expect(first.result?.resultType).toBe('input_required');
    expect(first.result.structuredContent).toBeUndefined();
    expect(first.result.inputRequests.confirm.method).toBe('elicitation/create');
    const state: string = first.result.requestState;
    expect(state).toBeTypeOf('string');
    // The state names `confirm`: replayed for `ttl` it is ignored (asked again), never a code.
    s.send({
      id: 2,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'ttl' },
        inputResponses: forged,
        requestState: state,
        _meta: modernMeta(caps),
      },
    });
    expect((await s.response(2)).result?.resultType).toBe('input_required');
    // A tampered state is refused by the SDK.
    s.send({
      id: 3,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'confirm' },
        inputResponses: forged,
        requestState: `${state.slice(0, -2)}AA`,
        _meta: modernMeta(caps),
      },
    });
    expect((await s.response(3)).error?.code).toBe(-32602);
    // The genuine answer to the genuine question is taken, once.
    s.send({
      id: 4,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'confirm', min_remaining_seconds: 0 },
        inputResponses: forged,
        requestState: state,
        _meta: modernMeta(caps),
      },
    });
    const ok = await s.response(4);
    expect(ok.result?.structuredContent?.code).toMatch(/^\d{6}$/);
    s.send({
      id: 5,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'confirm' },
        inputResponses: forged,
        requestState: state,
        _meta: modernMeta(caps),
      },
    });
    expect((await s.response(5)).result?.resultType).toBe('input_required');
    const end = await s.end();
    expect(end.code).toBe(0);
    const confirms = auditEvents(home).filter((e) => e.agent === 'bot');
    expect(confirms.map((e) => [e.account, e.decision, e.approval])).toEqual([['confirm', 'allow', 'confirmed']]);
  });
});

// Issue 12 item 11: a 2025-era client that answers the approval question (elicitation/create)
// with a JSON-RPC error, with a malformed result, or not at all. Each request is audited
// (approval error / timeout) and answered with a fixed `approval_declined: …` text that quotes
// nothing the client sent. A raw client over the real `serve` process: we write the JSON-RPC lines.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import {
  auditEvents,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  serverEnv,
  stdoutCaptures,
  type Loose,
} from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

/** Text the client puts in its answers: it must never come back to the agent. */
const CLIENT_TEXT = 'CLIENTSAYS-7f3e-do-not-echo';
const ERROR_TEXT = 'approval_declined: the client did not return a usable answer to the approval request';
const TIMEOUT_TEXT = 'approval_declined: the person did not answer the approval request in time';

/** A 2025-era session written by hand: we see the server's own requests and answer them (or not). */
function legacySession(home: string, extraArgs: string[] = []) {
  const child = spawn(process.execPath, [CLI, 'serve', '--agent', 'bot', ...extraArgs], {
    env: { PATH: process.env['PATH'] ?? '', ...serverEnv(home) },
    cwd: dirname(home),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  stdoutCaptures.push(chunks);
  const messages: Loose[] = [];
  const waiting: { test: (m: Loose) => boolean; resolve: (m: Loose) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    buffered += d.toString('utf8');
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const m: Loose = JSON.parse(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
      messages.push(m);
      for (const w of waiting.splice(0))
        if (w.test(m)) w.resolve(m);
        else waiting.push(w);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      resolve(code);
    }),
  );
  const next = (test: (m: Loose) => boolean): Promise<Loose> =>
    new Promise((resolve) => {
      const found = messages.find(test);
      if (found) resolve(found);
      else waiting.push({ test, resolve });
    });
  const send = (m: Record<string, unknown>): void => {
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
  };
  return {
    send,
    /** The response to our request `id`. */
    response: (id: number) => next((m) => m.id === id && m.method === undefined && ('result' in m || 'error' in m)),
    /** The server's next elicitation/create request not yet taken. */
    elicitation: (() => {
      let taken = 0;
      return async (): Promise<Loose> => {
        const n = taken++;
        return next(
          (m) =>
            m.method === 'elicitation/create' &&
            messages.filter((x) => x.method === 'elicitation/create').indexOf(m) === n,
        );
      };
    })(),
    async init(): Promise<void> {
      send({
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: { elicitation: {} },
          clientInfo: { name: 'raw-2025', version: '1' },
        },
      });
      await next((m) => m.id === 1 && 'result' in m);
      send({ method: 'notifications/initialized' });
    },
    async end(): Promise<{ code: number | null; stderr: string }> {
      child.stdin.end();
      return { code: await exited, stderr };
    },
  };
}

/** What the client answers to the server's elicitation/create request `id`. */
const ANSWERS: [name: string, answer: (id: number) => Record<string, unknown>][] = [
  ['a JSON-RPC error', (id) => ({ id, error: { code: -32603, message: CLIENT_TEXT, data: { detail: CLIENT_TEXT } } })],
  ['an error with a code of its own', (id) => ({ id, error: { code: 4242, message: `${CLIENT_TEXT}\nsecond line` } })],
  ['a result with an unknown action', (id) => ({ id, result: { action: CLIENT_TEXT } })],
  ['a result without an action', (id) => ({ id, result: { content: { confirm: true } } })],
  [
    'an accept whose content does not fit the form',
    (id) => ({ id, result: { action: 'accept', content: { confirm: CLIENT_TEXT } } }),
  ],
];

describe('a failed approval round (2025-era client, raw wire)', () => {
  it.each(ANSWERS)(
    'answered with %s: approval_declined in the fixed form, one audit event (approval: error), nothing echoed',
    async (_what, answer) => {
      const home = homeWithPolicy();
      const s = legacySession(home);
      await s.init();
      s.send({
        id: 10,
        method: 'tools/call',
        params: { name: 'get_totp_code', arguments: { account: 'confirm', min_remaining_seconds: 0 } },
      });
      const q = await s.elicitation();
      expect(q.params.message).toBe('Agent "bot" asks for the code of confirm. Allow?');
      s.send(answer(q.id as number));
      const r = await s.response(10);
      expect(r.result).toMatchObject({ isError: true, content: [{ type: 'text', text: ERROR_TEXT }] });
      expect(JSON.stringify(r)).not.toContain(CLIENT_TEXT);
      expect(r.result.structuredContent).toBeUndefined();
      // The session carries on: an ordinary call still works.
      s.send({
        id: 11,
        method: 'tools/call',
        params: { name: 'get_totp_code', arguments: { account: 'github:alice', min_remaining_seconds: 0 } },
      });
      expect((await s.response(11)).result.structuredContent.code).toMatch(/^\d{6}$/);
      const end = await s.end();
      expect(end.code).toBe(0);
      expect(end.stderr).not.toContain(CLIENT_TEXT);
      const events = auditEvents(home).filter((e) => e.agent !== null && e.account === 'confirm');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        agent: 'bot',
        action: 'code',
        decision: 'deny',
        rule: 'bot-confirm',
        reason: 'approval_error',
        approval: 'error',
        step: null,
      });
      expect(JSON.stringify(auditEvents(home))).not.toContain(CLIENT_TEXT);
      expectAuditVerifies(home);
    },
  );

  it('never answered: after the approval timeout, approval_declined in the fixed form and one audit event (approval: timeout)', async () => {
    const home = homeWithPolicy();
    const s = legacySession(home, ['--approval-timeout', '2s']);
    await s.init();
    const t0 = Date.now();
    s.send({
      id: 10,
      method: 'tools/call',
      params: { name: 'get_totp_code', arguments: { account: 'confirm', min_remaining_seconds: 0 } },
    });
    const q = await s.elicitation();
    expect(q.params.message).toBe('Agent "bot" asks for the code of confirm. Allow?');
    // No answer. The server gives up on its own, tells the client so, and answers the call.
    const r = await s.response(10);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(20_000);
    expect(r.result).toMatchObject({ isError: true, content: [{ type: 'text', text: TIMEOUT_TEXT }] });
    // A late answer changes nothing.
    s.send({ id: q.id, result: { action: 'accept', content: { confirm: true } } });
    s.send({
      id: 11,
      method: 'tools/call',
      params: { name: 'get_totp_code', arguments: { account: 'github:alice', min_remaining_seconds: 0 } },
    });
    expect((await s.response(11)).result.structuredContent.code).toMatch(/^\d{6}$/);
    expect((await s.end()).code).toBe(0);
    const events = auditEvents(home).filter((e) => e.agent !== null && e.account === 'confirm');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      agent: 'bot',
      action: 'code',
      decision: 'deny',
      rule: 'bot-confirm',
      reason: 'approval_timeout',
      approval: 'timeout',
    });
    expectAuditVerifies(home);
  }, 30_000);

  it('the client goes away while the question is open: the request is still recorded (approval: error), and the server exits 0', async () => {
    const home = homeWithPolicy();
    const s = legacySession(home);
    await s.init();
    s.send({
      id: 10,
      method: 'tools/call',
      params: { name: 'get_totp_code', arguments: { account: 'confirm', min_remaining_seconds: 0 } },
    });
    await s.elicitation();
    expect((await s.end()).code).toBe(0);
    const events = auditEvents(home).filter((e) => e.agent !== null && e.account === 'confirm');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ decision: 'deny', reason: 'approval_error', approval: 'error' });
    expectAuditVerifies(home);
  });

  it('--approval-timeout takes 1s to 10m and refuses anything else (usage, exit 2)', async () => {
    const home = homeWithPolicy();
    for (const bad of ['0s', '11m', '5', 'soon', '-1s', '1h']) {
      const s = legacySession(home, ['--approval-timeout', bad]);
      const end = await s.end();
      expect(end.code, bad).toBe(2);
      expect(end.stderr).toMatch(/--approval-timeout: expected a duration from 1s to 10m/);
    }
  });
});

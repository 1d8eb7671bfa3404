// End to end over stdio, in both protocol eras: a 2025 client (`initialize`), a dual-era client
// (`auto`: probes server/discover on a throwaway sibling process first) and a 2026-07-28 pin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import {
  auditEvents,
  call,
  connect,
  ERAS,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  type Connected,
  type Loose,
} from './helpers.js';

const TOOLS = ['describe_access', 'get_aws_session', 'get_totp_code', 'list_accounts'];

afterAll(() => {
  expectAllStdoutClean();
});

describe.each(ERAS)('MCP end to end, %s era', (era) => {
  let home: string;
  let c: Connected;
  beforeAll(async () => {
    home = homeWithPolicy(undefined, [['github:slow', 'otpauth://totp/S:slow?secret=JBSWY3DPEHPK3PXP&period=15']]);
    c = await connect(home, { agent: 'bot', era, clientInfo: { name: `e2e-${era}`, version: '9.9.9' } });
  });
  afterAll(async () => {
    await c.close();
  });

  it('negotiates the expected era', () => {
    expect(c.client.getProtocolEra()).toBe(era === 'legacy' ? 'legacy' : 'modern');
    expect(c.client.getServerVersion()).toMatchObject({ name: 'totp-mcp' });
  });

  it('lists the four tools with titles, honest annotations and input and output schemas', async () => {
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      expect(t.description?.length, t.name).toBeGreaterThan(100);
      expect(t.description, t.name).toMatch(/never returns/i);
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.inputSchema.type).toBe('object');
    }
    expect(byName['list_accounts']!.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName['describe_access']!.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName['get_totp_code']!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: false,
    });
    expect(byName['get_aws_session']!.annotations).toMatchObject({
      readOnlyHint: false,
      idempotentHint: false,
      openWorldHint: true,
    });
    const account = (byName['get_totp_code']!.inputSchema.properties as Loose).account;
    expect(account).toMatchObject({ type: 'string', maxLength: 64, pattern: '^[a-z0-9][a-z0-9._:@+-]{0,63}$' });
    expect(byName['get_totp_code']!.inputSchema.required).toEqual(['account']);
    expect((byName['get_totp_code']!.inputSchema.properties as Loose).min_remaining_seconds).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 15,
    });
    expect((byName['get_aws_session']!.inputSchema.properties as Loose).delivery.enum).toEqual(['profile', 'inline']);
    expect(Object.keys(byName['describe_access']!.inputSchema.properties ?? {})).toEqual([]);
  });

  it('list_accounts shows only the accounts this agent may list, with structured content and a text copy', async () => {
    const r = await call(c, 'list_accounts');
    expect(r.isError).toBe(false);
    expect(r.structured).toEqual({
      accounts: [
        {
          id: 'github:alice',
          issuer: 'X',
          label: 'y',
          type: 'totp',
          actions: ['list', 'code'],
          approval_required: false,
        },
        {
          id: 'github:slow',
          issuer: 'S',
          label: 'slow',
          type: 'totp',
          actions: ['list', 'code'],
          approval_required: false,
        },
      ],
    });
    expect(JSON.parse(r.text)).toEqual(r.structured);
    expect((await call(c, 'list_accounts', { tag: 'bank' })).structured).toEqual({ accounts: [] });
  });

  it('get_totp_code returns {account, code, step, expires_at, remaining_seconds}, the same code the owner sees', async () => {
    const r = await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 5 });
    expect(r.isError, r.text).toBe(false);
    const out = r.structured;
    expect(Object.keys(out).sort()).toEqual(['account', 'code', 'expires_at', 'remaining_seconds', 'step']);
    expect(out.account).toBe('github:alice');
    expect(out.code).toMatch(/^\d{6}$/);
    expect(out.remaining_seconds).toBeGreaterThanOrEqual(5);
    expect(Date.parse(out.expires_at)).toBe((Number(out.step) + 1) * 30_000);
    expect(JSON.parse(r.text)).toEqual(out);
    const owner = cli(home, ['code', 'github:alice', '--at', String(out.step * 30), '--json']);
    expect(JSON.parse(owner.stdout).code).toBe(out.code);
  });

  it('describe_access shows this agent’s rules and what is left of its limits, never another agent’s', async () => {
    const r = await call(c, 'describe_access');
    expect(r.isError, r.text).toBe(false);
    expect(r.structured.agent).toBe('bot');
    expect(r.structured.known).toBe(true);
    expect(r.structured.description).toBe('a test agent');
    expect(r.structured.rules.map((x: Loose) => x.id)).toEqual(['no-bank', 'bot-github', 'bot-limited', 'bot-confirm']);
    expect(r.structured.rules.find((x: Loose) => x.id === 'bot-confirm').approval).toBe('confirm');
    expect(r.structured.limits).toEqual([
      { rule: 'bot-limited', account: 'limited', count: 5, per_seconds: 3600, remaining: 5 },
    ]);
    await call(c, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 });
    expect((await call(c, 'describe_access')).structured.limits[0].remaining).toBe(4);
  });

  it('get_aws_session validates its input, applies policy, and says not_configured for an account without AWS settings', async () => {
    expect(await call(c, 'get_aws_session', { account: 'github:alice' })).toMatchObject({
      isError: true,
      text: 'denied: no policy rule allows this',
    });
    expect(await call(c, 'get_aws_session', { account: 'github:bank' })).toMatchObject({
      isError: true,
      text: 'denied: no policy rule allows this',
    });
    const bad = await call(c, 'get_aws_session', { account: 'github:alice', delivery: 'exec' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/^Input validation error/);
  });

  it('honours cancellation: a call waiting for a fresh code stops, releases nothing, and the server carries on', async () => {
    // Period 15 s and min_remaining_seconds 15: the call always waits for the next step. Start it
    // well inside a step, so that its wait outlasts the 300 ms before the abort.
    const left = 15_000 - (Date.now() % 15_000);
    if (left < 2_000) await new Promise((r) => setTimeout(r, left + 50));
    const ac = new AbortController();
    const pending = c.client.callTool(
      { name: 'get_totp_code', arguments: { account: 'github:slow', min_remaining_seconds: 15 } },
      { signal: ac.signal },
    );
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect
      .poll(
        () =>
          auditEvents(home)
            .filter((e) => e.agent !== null && e.account === 'github:slow')
            .map((e) => [e.decision, e.reason]),
        { timeout: 5_000 },
      )
      .toEqual([['error', 'error_internal']]);
    expect((await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).isError).toBe(false);
  });

  it('an unknown tool is a JSON-RPC error (-32602), not a result', async () => {
    await expect(c.client.callTool({ name: 'get_seed', arguments: {} })).rejects.toMatchObject({ code: -32602 });
  });

  it('records every call in the audit log with the client as it described itself, and the chain verifies', () => {
    const events = auditEvents(home).filter((e) => e.agent === 'bot');
    expect(events.length).toBeGreaterThanOrEqual(8);
    for (const e of events) expect(e.client).toEqual({ name: `e2e-${era}`, version: '9.9.9' });
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['list', 'code', 'describe', 'aws_session']));
    expectAuditVerifies(home);
  });
});

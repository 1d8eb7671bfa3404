// get_aws_session end to end: a real `totp-mcp serve` over stdio, minting against the local STS
// endpoint (test/helpers/sts-server.ts): profile delivery writes a named profile and returns no
// secret; inline returns keys only where policy allows it; denials and errors are stable codes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { startSts, TEST_SECRET, type StsServer } from '../helpers/sts-server.js';
import { expectNoCanary } from '../helpers/canary.js';
import { auditEvents, call, connect, expectAllStdoutClean, type Connected } from './helpers.js';

let sts: StsServer;
let h: AwsHome;
const open: Connected[] = [];

beforeAll(async () => {
  // A 5 s TOTP period: the second mint on the same MFA device waits for a fresh step, briefly.
  sts = await startSts({ period: 5 });
  h = awsHome({ stsUrl: sts.url, period: 5 });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await sts.close();
  expectAllStdoutClean();
});

async function as(agent: string): Promise<Connected> {
  const c = await connect(h.home, { agent, env: h.env });
  open.push(c);
  return c;
}

describe('get_aws_session over MCP (local STS endpoint)', () => {
  it('profile delivery: writes the named profile, returns its name, the ARN and the expiry, never a key', async () => {
    const c = await as('claude');
    const r = await call(c, 'get_aws_session', { account: 'prod', role: 'deploy' });
    expect(r.isError, r.text).toBe(false);
    expect(r.structured).toMatchObject({
      account: 'prod',
      delivery: 'profile',
      profile: 'totp-mcp-prod-deploy',
      role: 'deploy',
      account_id: expect.stringMatching(/^\d{12}$/),
      expiration: expect.any(String),
    });
    expect(r.structured.credentials).toBeUndefined();
    expect(r.text).not.toMatch(/ASIA|aws_secret_access_key|session_token/i);
    expect(r.text).not.toContain(TEST_SECRET);
    const file = readFileSync(h.env['AWS_SHARED_CREDENTIALS_FILE']!, 'utf8');
    expect(file).toMatch(/\[totp-mcp-prod-deploy\]\n(#[^\n]*\n)*aws_access_key_id = ASIA/);
    expect(sts.mfaCalls.length).toBeGreaterThanOrEqual(1);
    const ev = auditEvents(h.home)
      .filter((e) => e.action === 'aws_session' && e.decision === 'allow')
      .at(-1);
    expect(ev).toMatchObject({
      agent: 'claude',
      account: 'prod',
      rule: 'claude-prod',
      aws: { role: 'deploy', delivery: 'profile' },
    });
  });

  it('policy caps: inline not allowed, a role not allowed, a duration over the cap are denied', async () => {
    const c = await as('claude');
    expect(await call(c, 'get_aws_session', { account: 'prod', role: 'deploy', delivery: 'inline' })).toMatchObject({
      isError: true,
      text: 'denied: the policy does not allow this delivery (rule claude-prod)',
    });
    expect(await call(c, 'get_aws_session', { account: 'prod', role: 'admin' })).toMatchObject({
      isError: true,
      text: 'denied: the policy does not allow this role (rule claude-prod)',
    });
    expect(await call(c, 'get_aws_session', { account: 'prod', role: 'deploy', duration_seconds: 7200 })).toMatchObject(
      { isError: true, text: 'denied: the requested duration is over the policy cap (rule claude-prod)' },
    );
    expect(await call(c, 'get_aws_session', { account: 'user' })).toMatchObject({
      isError: true,
      text: 'denied: no policy rule allows this',
    });
  });

  it('inline delivery where policy allows it returns the keys, and only there', async () => {
    const c = await as('capped');
    const r = await call(c, 'get_aws_session', { account: 'user', delivery: 'inline' });
    expect(r.isError, r.text).toBe(false);
    expect(r.structured.credentials).toMatchObject({
      access_key_id: expect.stringMatching(/^ASIA/),
      secret_access_key: expect.any(String),
      session_token: expect.any(String),
    });
    expect(r.structured.profile).toBeUndefined();
    // The audit event never holds them.
    const log = readFileSync(`${h.home}/state/audit.log`, 'utf8');
    expect(log).not.toContain(r.structured.credentials.secret_access_key);
    expect(log).not.toContain(r.structured.credentials.session_token);
    expectNoCanary('audit log', log);
  });
});

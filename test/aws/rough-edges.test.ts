// Issue 16, the AWS rough edges a new user hits: each one against the local STS endpoint, with the
// real CLI and a real MCP session.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliAsync } from '../helpers/cli.js';
import { awsHome, cloneAwsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { startSts, TEST_KEY_ID, TEST_SECRET, TEST_SERIAL, type StsServer } from '../helpers/sts-server.js';
import { call, connect, type Connected } from '../mcp/helpers.js';

const servers: StsServer[] = [];
const sessions: Connected[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

async function fresh(
  opts: { period?: number; region?: string; now?: () => number } = {},
): Promise<{ h: AwsHome; sts: StsServer }> {
  const sts = await startSts({
    ...(opts.period !== undefined && { period: opts.period }),
    ...(opts.now !== undefined && { now: opts.now }),
  });
  servers.push(sts);
  const h = awsHome({
    stsUrl: sts.url,
    ...(opts.period !== undefined && { period: opts.period }),
    ...(opts.region !== undefined && { region: opts.region }),
  });
  return { h, sts };
}

async function mcp(h: AwsHome, agent: string): Promise<Connected> {
  const c = await connect(h.home, { agent, env: h.env });
  sessions.push(c);
  return c;
}

const PRINT_REGION = 'process.stdout.write(JSON.stringify([process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION]))';

describe('issue 16: AWS rough edges', () => {
  it('serve-credentials -- CMD: the child gets the account’s region in AWS_REGION and AWS_DEFAULT_REGION (as exec does)', async () => {
    const { h } = await fresh({ region: 'eu-west-1' });
    const r = await cliAsync(
      h.home,
      [
        'aws',
        'serve-credentials',
        'prod',
        '--role',
        'deploy',
        '--agent',
        'terraform',
        '--',
        process.execPath,
        '-e',
        PRINT_REGION,
      ],
      { env: h.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['eu-west-1', 'eu-west-1']);
  }, 60_000);

  it('get_aws_session delivery profile: the written profile carries the account’s region', async () => {
    const { h } = await fresh({ region: 'eu-west-1' });
    const c = await mcp(h, 'claude');
    const r = await call(c, 'get_aws_session', { account: 'prod', role: 'deploy' });
    expect(r.isError, r.text).toBe(false);
    const file = readFileSync(h.env['AWS_SHARED_CREDENTIALS_FILE']!, 'utf8');
    expect(file).toMatch(/\[totp-mcp-prod-deploy\]\n(?:[^[\n][^\n]*\n)*region = eu-west-1\n/);
  }, 60_000);

  it('aws setup prints credential_process lines with --home when the home is not the default, and such a line works from a shell without TOTP_MCP_HOME', async () => {
    const { h } = await fresh();
    const r = cli(h.home, ['aws', 'setup', 'prod', '--mfa-serial', TEST_SERIAL], { env: h.env });
    expect(r.code, r.stderr).toBe(0);
    const line = /\[profile prod-deploy\]\ncredential_process = (.+)\n/.exec(r.stdout)?.[1];
    expect(line, r.stdout).toContain(` --home ${h.home} `);
    // Terraform runs it from another shell: no TOTP_MCP_HOME, HOME elsewhere.
    const [node, ...args] = line!.split(' ');
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(node!, args, {
        env: { PATH: process.env['PATH'], HOME: '/nonexistent', NO_COLOR: '1', ...h.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => {
        resolve({ status, stdout, stderr });
      });
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/) });
  }, 60_000);

  it('a wrong secret access key is found by GetCallerIdentity before any MFA code is spent; good keys are checked once for their lifetime', async () => {
    const { h, sts } = await fresh({ period: 5 });
    const set = (secret: string): void => {
      const r = cli(h.home, ['aws', 'setup', 'prod', '--mfa-serial', TEST_SERIAL, '--access-key-id', TEST_KEY_ID], {
        input: secret,
        env: h.env,
      });
      expect(r.code, r.stderr).toBe(0);
    };
    set(`${TEST_SECRET.slice(0, -4)}XXXX`);
    const bad = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'],
      {
        env: h.env,
      },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/signature does not match: the secret access key is wrong/);
    expect(sts.mfaCalls).toHaveLength(0);
    expect(sts.count('GetCallerIdentity')).toBe(1);
    const ledgers = existsSync(join(h.home, 'state', 'aws'))
      ? readdirSync(join(h.home, 'state', 'aws')).filter((f) => f.endsWith('.ledger.json'))
      : [];
    expect(ledgers).toEqual([]);

    set(TEST_SECRET);
    const longTermChecks = (): number =>
      sts.calls.filter((c) => c.action === 'GetCallerIdentity' && c.accessKeyId === TEST_KEY_ID).length;
    const ok = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'],
      {
        env: h.env,
      },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(longTermChecks()).toBe(2);
    // Another MFA call with the same keys (a 2 h admin session: AssumeRole with MFA): no new check.
    const again = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'admin', '--duration', '2h', '--agent', 'terraform'],
      { env: h.env },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(sts.mfaCalls.length).toBe(2);
    expect(longTermChecks()).toBe(2);
  }, 90_000);

  it('list_accounts: an agent whose rules allow only aws_session sees its accounts', async () => {
    const { h } = await fresh();
    const c = await mcp(h, 'terraform');
    const r = await call(c, 'list_accounts');
    expect(r.isError, r.text).toBe(false);
    const ids = (r.structured as { accounts: { id: string; actions: string[] }[] }).accounts.map((a) => [
      a.id,
      a.actions,
    ]);
    expect(ids).toEqual([
      ['prod', ['aws_session']],
      ['user', ['aws_session']],
    ]);
  }, 60_000);

  it('no role under a rule that lists roles: "this rule needs a role"; an unknown role: "this account has no role named …"', async () => {
    const { h } = await fresh();
    const c = await mcp(h, 'claude');
    expect(await call(c, 'get_aws_session', { account: 'prod' })).toMatchObject({
      isError: true,
      text: expect.stringMatching(/^denied: this rule needs a role \(rule claude-prod\)/),
    });
    expect(await call(c, 'get_aws_session', { account: 'prod', role: 'nope' })).toMatchObject({
      isError: true,
      text: "denied: this account has no role named 'nope' (rule claude-prod)",
    });
    // A role the account has but the rule does not list is still the policy's refusal.
    expect(await call(c, 'get_aws_session', { account: 'prod', role: 'admin' })).toMatchObject({
      isError: true,
      text: 'denied: the policy does not allow this role (rule claude-prod)',
    });
    const cp = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'nope', '--agent', 'terraform'],
      {
        env: h.env,
      },
    );
    expect(cp.code).not.toBe(0);
    expect(cp.stderr).toMatch(/this account has no role named 'nope'/);
  }, 60_000);

  it('clock skew over 10 s against STS’s Date header: a warning on stderr and in doctor; named when AWS rejects two fresh codes', async () => {
    const { h, sts } = await fresh({ period: 5 });
    sts.dateOffsetMs = 42_000;
    const r = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'],
      {
        env: h.env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ Version: 1 });
    expect(r.stderr).toMatch(/warning: this computer's clock is 4[12] s behind AWS's/);
    const doc = cli(h.home, ['doctor']);
    expect(doc.stdout).toMatch(/clock.*4[12] s behind AWS's/);

    // AWS's clock 90 s ahead: both fresh codes are wrong for it, and the error says why.
    const far = await fresh({ period: 5, now: () => Date.now() + 90_000 });
    far.sts.dateOffsetMs = 90_000;
    const g = cloneAwsHome(far.h);
    const rej = await cliAsync(
      g.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'],
      {
        env: g.env,
      },
    );
    expect(rej.code).not.toBe(0);
    expect(rej.stderr).toMatch(/rejected the MFA codes of two consecutive steps/);
    expect(rej.stderr).toMatch(/clock is (89|90|91) s behind AWS's/);
  }, 90_000);
});

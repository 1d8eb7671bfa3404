// One error model, end to end: an AWS failure keeps its kind, message and hint on its way to an
// agent (a real `totp-mcp serve` over stdio) and to a person (the CLI), and a refusal of an unusable
// policy keeps its hint too. Before, serve re-wrapped AWS failures and the agent path rebuilt policy
// refusals, and both dropped the hint (and the cause).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAsync } from '../helpers/cli.js';
import { awsHome, cloneAwsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { MFA_UNVALIDATED, startSts, TEST_SERIAL, type StsServer } from '../helpers/sts-server.js';
import { auditEvents, call, connect, expectAllStdoutClean, type Connected } from './helpers.js';

let sts: StsServer;
let base: AwsHome;
const open: Connected[] = [];

const MESSAGE = `AWS cannot validate MFA codes for ${TEST_SERIAL}: the serial is not an MFA device of the IAM user whose keys signed the request`;
const HINT =
  'check the device ARN in IAM → Users → Security credentials (it names the device, which may differ from the user), and that --source gives that user’s keys';

beforeAll(async () => {
  sts = await startSts();
  base = awsHome({ stsUrl: sts.url });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await sts.close();
  expectAllStdoutClean();
});

describe('errors keep their kind and hint on the way out', () => {
  it('an AWS failure through serve (MCP): aws_error, the fixed message, and its hint', async () => {
    const h = cloneAwsHome(base);
    const c = await connect(h.home, { agent: 'claude', env: h.env });
    open.push(c);
    sts.failNext('*', 403, 'AccessDenied', MFA_UNVALIDATED);
    const r = await call(c, 'get_aws_session', { account: 'prod', role: 'deploy' });
    expect(r).toMatchObject({ isError: true, text: `aws_error: ${MESSAGE}\nhint: ${HINT}` });
    // Audited as an error with the code the CLI's exit code follows (unchanged).
    const ev = auditEvents(h.home)
      .filter((e) => e.action === 'aws_session')
      .at(-1);
    expect(ev).toMatchObject({ agent: 'claude', decision: 'error', reason: 'error_invalid' });
  });

  it('the same AWS failure through the CLI (credential_process: one line): the message, the hint, exit 1', async () => {
    const h = cloneAwsHome(base);
    sts.failNext('*', 403, 'AccessDenied', MFA_UNVALIDATED);
    const r = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'],
      { env: h.env },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`totp-mcp: ${MESSAGE} (hint: ${HINT})\n`);
    expect(r.code).toBe(1);
  });

  it('a policy changed without apply: denied with what the owner should do, over MCP and in the CLI', async () => {
    const h = cloneAwsHome(base);
    appendFileSync(join(h.home, 'policy.yaml'), '# edited\n');
    const calls = sts.count();
    const c = await connect(h.home, { agent: 'claude', env: h.env });
    open.push(c);
    const message = 'policy.yaml differs from the applied (pinned) policy: every agent request is denied';
    const hint = "review the change, then run 'totp-mcp policy apply'";
    expect(await call(c, 'get_aws_session', { account: 'prod', role: 'deploy' })).toMatchObject({
      isError: true,
      text: `denied: ${message}\nhint: ${hint}`,
    });
    const r = await cliAsync(
      h.home,
      ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'],
      { env: h.env },
    );
    expect([r.stderr, r.code]).toEqual([`totp-mcp: ${message} (hint: ${hint})\n`, 3]);
    expect(sts.count()).toBe(calls);
  });
});

// Issue 16: AWS virtual MFA devices end to end, with the real CLI against a local IAM + STS endpoint
// (test/helpers/sts-server.ts: SigV4 checked, two consecutive codes to enable and resync, each code
// once per device, eight devices per user).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliAsync, newHome, type Run } from '../helpers/cli.js';
import { startSts, TEST_ACCOUNT, TEST_KEY_ID, TEST_SECRET, type StsServer } from '../helpers/sts-server.js';

const servers: StsServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A recognisable seed (valid base32) that must never leave the vault. */
const SEED_CANARY = 'CANARYSEEDQQQQQQCANARYSEEDQQQQQQCANARYSE';
const ALICE = `arn:aws:iam::${TEST_ACCOUNT}:user/alice`;

const POLICY = `version: 1
agents:
  terraform: {}
rules:
  - id: ci
    agents: [terraform]
    accounts: [ci]
    actions: [aws_session]
`;

async function setup(): Promise<{ home: string; env: Record<string, string>; sts: StsServer; runs: Run[] }> {
  const sts = await startSts();
  servers.push(sts);
  sts.nextSeed = SEED_CANARY;
  const home = newHome();
  writeFileSync(join(home, 'policy.yaml'), POLICY, { mode: 0o600 });
  expect(cli(home, ['policy', 'apply']).code).toBe(0);
  const env = {
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_IAM: sts.url,
    AWS_CONFIG_FILE: join(home, '..', 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, '..', 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return { home, env, sts, runs: [] };
}

const ENROLL = ['aws', 'enroll', 'ci', '--user', 'alice', '--source', 'vault', '--access-key-id', TEST_KEY_ID];

/** Every file under `dir`, as text (the vault is encrypted; everything else must not hold the seed). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(readFileSync(p).toString('latin1'));
  }
  return out;
}

function expectNoSeed(f: { home: string; runs: Run[] }): void {
  for (const r of f.runs) {
    expect(r.stdout).not.toContain(SEED_CANARY.slice(0, 16));
    expect(r.stderr).not.toContain(SEED_CANARY.slice(0, 16));
  }
  for (const text of filesUnder(f.home)) expect(text).not.toContain(SEED_CANARY.slice(0, 16));
}

describe('aws enroll / resync / devices / retire (local IAM + STS)', () => {
  it('enroll → credential-process with the new device → resync → devices → retire; the seed canary appears nowhere', async () => {
    const f = await setup();
    const run = async (args: string[], input = ''): Promise<Run> => {
      const r = await cliAsync(f.home, args, { env: f.env, input });
      f.runs.push(r);
      return r;
    };
    const enrolled = await run([...ENROLL, '--json'], TEST_SECRET);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const serial = `arn:aws:iam::${TEST_ACCOUNT}:mfa/totp-mcp-ci`;
    expect(JSON.parse(enrolled.stdout)).toMatchObject({
      account: 'ci',
      serial,
      user: 'alice',
      device_name: 'totp-mcp-ci',
    });
    expect(f.sts.devices.get(serial)).toMatchObject({ user: ALICE, seed: SEED_CANARY });
    expect(f.sts.devices.get(serial)!.enabled).not.toBeNull();

    // Terraform's path: a session signed with the new device's code (the enrolment's steps are spent).
    const cp = await run(['aws', 'credential-process', '--account', 'ci', '--agent', 'terraform']);
    expect(cp.code, cp.stderr).toBe(0);
    expect(JSON.parse(cp.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/) });
    const gst = f.sts.calls.filter((c) => c.action === 'GetSessionToken');
    expect(gst.at(-1)).toMatchObject({ ok: true, mfa: true });
    expect(f.sts.rejectedCodes).toHaveLength(0);

    const rs = await run(['aws', 'resync', 'ci']);
    expect(rs.code, rs.stderr).toBe(0);
    expect(f.sts.calls.filter((c) => c.action === 'ResyncMFADevice').map((c) => c.ok)).toEqual([true]);

    const dev = await run(['aws', 'devices', 'ci', '--json']);
    expect(dev.code, dev.stderr).toBe(0);
    const list = JSON.parse(dev.stdout) as { devices: { serial: string; this_vault: boolean }[]; slots_left: number };
    expect(list.devices.map((d) => [d.serial, d.this_vault])).toEqual([
      [`arn:aws:iam::${TEST_ACCOUNT}:mfa/alice-phone`, false],
      [serial, true],
    ]);
    expect(list.slots_left).toBe(6);

    const off = await run(['aws', 'retire', 'ci']);
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/pass --yes off a terminal/);
    const gone = await run(['aws', 'retire', 'ci', '--yes']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(f.sts.devices.has(serial)).toBe(false);
    expect(cli(f.home, ['list', '--json']).stdout).not.toMatch(/"ci"/);

    const events = cli(f.home, ['audit', 'tail', '-n', '50', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; account: string; reason: string; agent: string | null });
    expect(events.filter((e) => e.agent === null && e.account === 'ci').map((e) => `${e.action}:${e.reason}`)).toEqual([
      'account_add:aws_enroll',
      'account_update:aws_resync',
      'account_remove:aws_retire',
    ]);
    f.runs.push({ code: 0, signal: null, stdout: JSON.stringify(events), stderr: '' });
    expectNoSeed(f);
  }, 240_000);

  it('a failure at EnableMFADevice leaves no device and no account, and says which step failed', async () => {
    const f = await setup();
    f.sts.failNext(
      'EnableMFADevice',
      403,
      'AccessDenied',
      `User: ${ALICE} is not authorized to perform: iam:EnableMFADevice on resource: user alice`,
    );
    const r = await cliAsync(f.home, ENROLL, { env: f.env, input: TEST_SECRET });
    f.runs.push(r);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/EnableMFADevice failed: the keys' user may not call iam:EnableMFADevice/);
    expect(f.sts.devices.size).toBe(0);
    expect(f.sts.calls.map((c) => c.action)).toContain('DeleteVirtualMFADevice');
    expect(cli(f.home, ['list', '--json']).stdout).not.toMatch(/"ci"/);
    expectNoSeed(f);
  }, 60_000);

  it('the eighth device limit: a clear error, nothing left behind', async () => {
    const f = await setup();
    for (let i = 0; i < 7; i++)
      f.sts.devices.set(`arn:aws:iam::${TEST_ACCOUNT}:mfa/other-${i}`, {
        name: `other-${i}`,
        seed: 'JBSWY3DPEHPK3PXP',
        user: ALICE,
        enabled: Date.now(),
      });
    const r = await cliAsync(f.home, ENROLL, { env: f.env, input: TEST_SECRET });
    f.runs.push(r);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/user alice already has 8 MFA devices, the most AWS allows/);
    expect(r.stderr).toMatch(/retire one first/);
    expect(f.sts.devices.size).toBe(7);
    expect(cli(f.home, ['list', '--json']).stdout).not.toMatch(/"ci"/);
    expectNoSeed(f);
  }, 60_000);

  it('--show-qr off a terminal is refused before anything is created (the QR code holds the seed)', async () => {
    const f = await setup();
    const r = await cliAsync(f.home, [...ENROLL, '--show-qr'], { env: f.env, input: TEST_SECRET });
    f.runs.push(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--show-qr needs a terminal/);
    expect(f.sts.count('CreateVirtualMFADevice')).toBe(0);
    expectNoSeed(f);
  }, 60_000);

  it('keys of another user than --user are refused before anything is created', async () => {
    const f = await setup();
    const r = await cliAsync(
      f.home,
      ['aws', 'enroll', 'ci', '--user', 'bob', '--source', 'vault', '--access-key-id', TEST_KEY_ID],
      {
        env: f.env,
        input: TEST_SECRET,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/these keys are IAM user alice's, not bob's/);
    expect(f.sts.count('CreateVirtualMFADevice')).toBe(0);
  }, 60_000);
});

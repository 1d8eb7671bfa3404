// Minting in-process, on a virtual clock shared with the local STS endpoint (so waiting for the
// next TOTP step, expiry and refresh take no real time), with the real @aws-sdk/client-sts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentService } from '../../src/app/agent.js';
import { TotpMcpError } from '../../src/core/errors.js';
import {
  agentAwsSession,
  awsSetup,
  getAwsSession,
  ownerAwsSession,
  type AwsDeps,
  type AwsEnv,
  type AwsRequest,
} from '../../src/app/aws.js';
import { AppContext } from '../../src/app/context.js';
import { readAudit } from '../../src/audit/index.js';
import { readLedger, ledgerPathFor, cachePathFor, serialKey } from '../../src/aws/index.js';
import { cli, tempDir } from '../helpers/cli.js';
import {
  AWS_POLICY,
  awsHome,
  cloneAwsHome,
  VirtualClock,
  type AwsHome,
  AWS_SETUP_PROD,
} from '../helpers/sts-fixture.js';
import {
  MFA_INVALID,
  startSts,
  TEST_KEY_ID,
  TEST_SECRET,
  TEST_SEED,
  TEST_SERIAL,
  type StsServer,
} from '../helpers/sts-server.js';
import { Redacted } from '../../src/core/redacted.js';

const PERIOD = 30_000;

let sts: StsServer;
let clock: VirtualClock;
let template: AwsHome;

beforeAll(async () => {
  // Start in the middle of a step, like most real requests.
  clock = new VirtualClock(Math.floor(Date.now() / PERIOD) * PERIOD + 10_000);
  sts = await startSts({ now: clock.now });
  process.env['AWS_ENDPOINT_URL_STS'] = sts.url;
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  template = awsHome({ stsUrl: sts.url });
});
afterAll(async () => {
  await sts.close();
});

interface Fixture {
  home: string;
  ctx: AppContext;
  env: AwsEnv;
  deps: AwsDeps;
  sleeps: number[];
  service(agent: string): AgentService;
}

function fixture(): Fixture {
  const h = cloneAwsHome(template);
  const ctx = new AppContext(h.home, clock, {});
  const env: AwsEnv = {
    sharedCredentialsFile: h.env['AWS_SHARED_CREDENTIALS_FILE']!,
    region: undefined,
    stsEndpoint: sts.url,
    execMarker: undefined,
    resolvingSource: false,
  };
  const sleeps: number[] = [];
  const deps: AwsDeps = {
    env,
    sleep: async (ms) => {
      sleeps.push(ms);
      await clock.sleep(ms);
    },
  };
  return { home: h.home, ctx, env, deps, sleeps, service: (agent) => new AgentService(ctx, agent) };
}

const rc = { client: { name: 'test', version: '1' } };
const stepNow = (): number => Math.floor(clock.now() / PERIOD);
const deploy: AwsRequest = { account: 'prod', role: 'deploy', delivery: 'credential_process' };

function resetCalls(): void {
  sts.calls.length = 0;
}

describe('minting (in-process, virtual clock)', () => {
  let f: Fixture;
  beforeAll(() => {
    f = fixture();
  });

  it('chains a role from one MFA session, caches both, and serves later requests from the cache', async () => {
    resetCalls();
    const svc = f.service('terraform');
    const a = await agentAwsSession(svc, rc, deploy, f.deps);
    expect(a.session.arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/totp-mcp.terraform');
    expect(a.session.account_id).toBe('123456789012');
    expect(a.step).toBe(stepNow());
    expect(sts.mfaCalls).toHaveLength(1);
    // Issue 16: the long-term keys are checked (GetCallerIdentity, no MFA) before a code is spent on them.
    expect(sts.calls.map((c) => c.action)).toEqual([
      'GetCallerIdentity',
      'GetSessionToken',
      'GetCallerIdentity',
      'AssumeRole',
    ]);
    expect(sts.calls[0]!.mfa).toBe(false);
    const assume = sts.calls[3]!;
    expect(assume.mfa).toBe(false); // signed by the MFA session: no second code
    expect(assume.sourceIdentity).toBe('totp-mcp.terraform');
    expect(assume.roleSessionName).toBe('totp-mcp.terraform');
    expect(assume.durationSeconds).toBe(3600);

    // Another role, 1 h: chained from the cached MFA session, no code.
    resetCalls();
    const b = await agentAwsSession(svc, rc, { ...deploy, role: 'admin' }, f.deps);
    expect(b.step).toBeNull();
    expect(sts.calls.map((c) => `${c.action}:${c.mfa}`)).toEqual(['AssumeRole:false']);

    // The same again: from the cache, no call at all.
    resetCalls();
    const c = await agentAwsSession(svc, rc, deploy, f.deps);
    expect(c.session.access_key_id).toBe(a.session.access_key_id);
    expect(sts.calls).toHaveLength(0);

    // More than 1 h: AssumeRole with MFA directly (chaining would be capped at 1 h).
    resetCalls();
    clock.advance(PERIOD); // a fresh step
    const d = await agentAwsSession(svc, rc, { ...deploy, role: 'admin', duration_seconds: 4 * 3600 }, f.deps);
    expect(sts.calls.map((x) => `${x.action}:${x.mfa}`)).toEqual(['AssumeRole:true']);
    expect(d.session.expires - clock.now()).toBeGreaterThan(4 * 3600_000 - 5_000);

    // Over the role's maximum: refused before any call, with the reason.
    resetCalls();
    await expect(agentAwsSession(svc, rc, { ...deploy, duration_seconds: 7200 }, f.deps)).rejects.toThrow(
      /MaxSessionDuration of role deploy/,
    );
    expect(sts.calls).toHaveLength(0);

    // Every request was audited with role, duration, expiry, delivery and session name.
    const events = (await readAudit(join(f.home, 'state'))).filter((e) => e.action === 'aws_session');
    expect(events.map((e) => e.decision)).toEqual(['allow', 'allow', 'allow', 'allow', 'error']);
    expect(events[0]!.aws).toMatchObject({
      role: 'deploy',
      duration: 3600,
      delivery: 'credential_process',
      session_name: 'totp-mcp.terraform',
    });
    expect(events[0]!.step).toBe(a.step);
    expect(events[2]!.step).toBeNull();
    await svc.close();
  });

  it('never sends a step twice: a second MFA call in the same step waits for the next one', async () => {
    resetCalls();
    const svc = f.service('terraform');
    clock.advance(PERIOD);
    const before = stepNow();
    await agentAwsSession(svc, rc, { ...deploy, role: 'admin', duration_seconds: 2 * 3600 }, f.deps);
    await agentAwsSession(svc, rc, { ...deploy, role: 'admin', duration_seconds: 3 * 3600 }, f.deps);
    const steps = sts.mfaCalls.map((c) => c.step);
    expect(steps).toEqual([before, before + 1]);
    expect(sts.rejectedCodes).toHaveLength(0);
    expect(f.sleeps.at(-1)).toBeLessThanOrEqual(PERIOD + 100);
    expect(await readLedger(ledgerPathFor(join(f.home, 'state', 'aws'), TEST_SERIAL), TEST_SERIAL)).toBe(before + 1);
    await svc.close();
  });

  it('a code used elsewhere (by another tool) is retried once on the next step, and succeeds', async () => {
    const g = fixture();
    resetCalls();
    clock.advance(PERIOD);
    const s = stepNow();
    sts.markStepUsed(TEST_SERIAL, s); // e.g. the person typed it into the console
    const svc = g.service('terraform');
    const got = await agentAwsSession(svc, rc, deploy, g.deps);
    expect(sts.mfaCalls.map((c) => [c.step, c.error])).toEqual([
      [s, 'AccessDenied'],
      [s + 1, null],
    ]);
    expect(sts.rejectedCodes[0]!.message).toBe(MFA_INVALID);
    expect(got.step).toBe(s + 1);
    await svc.close();
  });

  it('two rejected fresh codes in a row: a message that points at the seed or the clock', async () => {
    const g = fixture();
    // The vault's seed no longer matches the device.
    const other = { ...sts.users[0]!, mfa: { ...sts.users[0]!.mfa, seed: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' } };
    const saved = sts.users[0]!;
    sts.users[0] = other;
    resetCalls();
    clock.advance(PERIOD);
    try {
      const svc = g.service('terraform');
      const err = await agentAwsSession(svc, rc, deploy, g.deps).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(
        /rejected the MFA codes of two consecutive steps .* the seed in the vault does not belong to this MFA device, or this computer's clock is off/,
      );
      expect((err as { hint?: string }).hint).toMatch(/totp-mcp code ID/);
      expect(sts.mfaCalls).toHaveLength(2);
      await svc.close();
    } finally {
      sts.users[0] = saved;
    }
    // A wrong serial gets AWS's other message, mapped apart.
    resetCalls();
    clock.advance(PERIOD);
    const bad = await ownerAwsSession(
      g.ctx,
      { account: 'prod', role: 'deploy', delivery: 'exec' },
      {
        ...g.deps,
        sts: async () => {
          const real = (await import('../../src/aws/sts.js')).sdkSts;
          return {
            ...real,
            getSessionToken: (t, k, p) =>
              real.getSessionToken(t, k, { ...p, mfa: { ...p.mfa, serial: 'arn:aws:iam::123456789012:mfa/not-mine' } }),
          };
        },
      },
    ).catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/cannot validate MFA codes .*not an MFA device of the IAM user/);
    expect(sts.mfaCalls).toHaveLength(1); // not retried: a serial problem is not a timing problem
  });

  it('refreshes at the 15-minute margin, falls back to a still-valid session if a refresh fails, never serves 5 minutes or less', async () => {
    const g = fixture();
    const svc = g.service('terraform');
    clock.advance(PERIOD);
    const first = await agentAwsSession(svc, rc, deploy, g.deps);
    const t0 = clock.now();
    resetCalls();
    clock.t = first.session.expires - 16 * 60_000; // 16 min left: reused
    expect((await agentAwsSession(svc, rc, deploy, g.deps)).session.access_key_id).toBe(first.session.access_key_id);
    expect(sts.calls).toHaveLength(0);
    clock.t = first.session.expires - 14 * 60_000; // 14 min left: refreshed under the lock, from the cached MFA session
    const second = await agentAwsSession(svc, rc, deploy, g.deps);
    expect(second.session.access_key_id).not.toBe(first.session.access_key_id);
    expect(sts.calls.map((c) => `${c.action}:${c.mfa}`)).toEqual(['AssumeRole:false']);
    expect(second.session.expires).toBeGreaterThan(clock.now() + 59 * 60_000);

    // STS throttles every refresh: the old session is served while over 5 minutes remain…
    resetCalls();
    clock.t = second.session.expires - 10 * 60_000;
    sts.failNext('AssumeRole', 400, 'Throttling', 'Rate exceeded', 5);
    const third = await agentAwsSession(svc, rc, deploy, g.deps);
    expect(third.session.access_key_id).toBe(second.session.access_key_id);
    expect(sts.calls.filter((c) => c.error === 'Throttling')).toHaveLength(5); // 1 + 4 retries, with back-off
    // …and never with 5 minutes or less.
    clock.t = second.session.expires - 4 * 60_000;
    sts.failNext('AssumeRole', 400, 'Throttling', 'Rate exceeded', 5);
    await expect(agentAwsSession(svc, rc, deploy, g.deps)).rejects.toThrow(
      /Throttling \(Rate exceeded\) after retries/,
    );
    // The MFA session expires (12 h later): a new one is minted with a new code.
    resetCalls();
    clock.t = t0 + 12 * 3600_000 - 60_000;
    const later = await agentAwsSession(svc, rc, deploy, g.deps);
    expect(sts.calls.map((c) => `${c.action}:${c.mfa}`)).toEqual([
      'GetSessionToken:true',
      'GetCallerIdentity:false',
      'AssumeRole:false',
    ]);
    expect(later.session.expires - clock.now()).toBeGreaterThan(55 * 60_000);
    await svc.close();
  });

  it('backs off with jitter on throttling; a request that never reached STS does not spend its step', async () => {
    const g = fixture();
    const svc = g.service('terraform');
    clock.advance(PERIOD);
    const s = stepNow();
    resetCalls();
    sts.failNext('GetSessionToken', 0, 'NetworkDrop', '', 1); // connection dropped before any answer
    sts.failNext('GetSessionToken', 400, 'Throttling', 'Rate exceeded', 1);
    g.sleeps.length = 0;
    const got = await agentAwsSession(svc, rc, { ...deploy, role: undefined, account: 'user' }, g.deps);
    const gst = sts.calls.filter((c) => c.action === 'GetSessionToken');
    expect(gst.map((c) => c.error)).toEqual(['NetworkDrop', 'Throttling', null]);
    // dropped: retried in the same step (not spent); throttled: answered, so the next try uses the next step
    expect(got.step).toBe(s + 1);
    expect(g.sleeps.length).toBeGreaterThanOrEqual(2);
    expect(g.sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(g.sleeps[0]).toBeLessThanOrEqual(350);
    await svc.close();
  });

  it('a damaged cache file is ignored and rebuilt; cache files hold no key, secret or token in clear', async () => {
    const g = fixture();
    const svc = g.service('terraform');
    clock.advance(PERIOD);
    const a = await agentAwsSession(svc, rc, deploy, g.deps);
    const dir = join(g.home, 'state', 'aws');
    const cacheFile = cachePathFor(dir, TEST_SERIAL);
    const files = readdirSync(dir);
    expect(files.some((x) => x.startsWith(serialKey(TEST_SERIAL)))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(join(dir, file));
      for (const secret of [
        a.session.access_key_id,
        a.session.secret_access_key.reveal(),
        a.session.session_token.reveal(),
        TEST_SECRET,
      ]) {
        expect(bytes.includes(secret), `${file} holds a secret`).toBe(false);
      }
    }
    expect(readFileSync(cacheFile).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    for (const junk of [Buffer.from('not age at all'), Buffer.alloc(0), readFileSync(cacheFile).subarray(0, 200)]) {
      writeFileSync(cacheFile, junk);
      clock.advance(PERIOD);
      resetCalls();
      const again = await agentAwsSession(svc, rc, deploy, g.deps);
      expect(again.session.access_key_id).not.toBe(a.session.access_key_id);
      expect(sts.mfaCalls).toHaveLength(1); // rebuilt: a new MFA session
      expect(readFileSync(cacheFile).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    }
    await svc.close();
  });
});

describe('policy on AWS sessions: each refusal is denied and audited', () => {
  it('role not allowed, duration over the cap, inline not allowed, agent not allowed', async () => {
    const g = fixture();
    resetCalls();
    const cases: [string, AwsRequest, RegExp, string][] = [
      [
        'claude',
        { account: 'prod', role: 'admin', delivery: 'profile' },
        /does not allow this role/,
        'aws_role_not_allowed',
      ],
      [
        'claude',
        { account: 'prod', role: 'deploy', duration_seconds: 7200, delivery: 'profile' },
        /over the policy cap/,
        'aws_duration_over_cap',
      ],
      [
        'claude',
        { account: 'prod', role: 'deploy', delivery: 'inline' },
        /does not allow this delivery/,
        'aws_delivery_not_allowed',
      ],
      [
        'claude',
        { account: 'prod', role: 'deploy', delivery: 'credential_process' },
        /does not allow this delivery/,
        'aws_delivery_not_allowed',
      ],
      [
        'bystander',
        { account: 'prod', role: 'deploy', delivery: 'profile' },
        /no policy rule allows this/,
        'no_matching_rule',
      ],
      ['stranger', { account: 'prod', role: 'deploy', delivery: 'profile' }, /not in the policy/, 'unknown_agent'],
      [
        'terraform',
        { account: 'prod', delivery: 'credential_process' },
        /this rule needs a role/, // issue 16: said precisely
        'aws_role_not_allowed',
      ],
    ];
    for (const [agent, req, message] of cases) {
      const svc = g.service(agent);
      const err = await agentAwsSession(svc, rc, req, g.deps).catch((e: unknown) => e);
      expect(err, `${agent} ${JSON.stringify(req)}`).toBeInstanceOf(TotpMcpError);
      expect((err as TotpMcpError).kind).toBe('denied');
      expect((err as Error).message).toMatch(message);
      await svc.close();
    }
    expect(sts.calls).toHaveLength(0);
    const events = (await readAudit(join(g.home, 'state'))).filter((e) => e.action === 'aws_session');
    expect(events.map((e) => [e.agent, e.decision, e.reason])).toEqual(
      cases.map(([agent, , , reason]) => [agent, 'deny', reason]),
    );

    // The cap also bounds the default: `capped` (30 min) gets a 30-minute session, not the role's hour or the device's 12 h.
    const svc = g.service('capped');
    clock.advance(PERIOD);
    const got = await getAwsSession(svc, rc, { account: 'user', delivery: 'inline' }, g.env, { sleep: clock.sleep });
    await svc.close();
    expect(got.delivery).toBe('inline');
    expect(Date.parse(got.expiration) - clock.now()).toBeLessThanOrEqual(30 * 60_000 + 1000);
    expect(sts.calls.find((c) => c.action === 'GetSessionToken')?.durationSeconds).toBe(1800);
  });
});

describe('get_aws_session (the MCP use-case)', () => {
  it('profile: writes [totp-mcp-<account>-<role>] atomically, keeps the rest of the file, returns no secret', async () => {
    const g = fixture();
    const original =
      '# my credentials\r\n[default]\r\naws_access_key_id = AKIAOTHER\r\naws_secret_access_key = keep-me\r\n\r\n[totp-mcp-prod-deploy]\r\naws_access_key_id = OLD\r\n\r\n[work]  ; trailing comment\r\nregion = eu-west-1\r\n';
    writeFileSync(g.env.sharedCredentialsFile, original, { mode: 0o600 });
    const svc = g.service('claude');
    clock.advance(PERIOD);
    const r = await getAwsSession(svc, rc, { account: 'prod', role: 'deploy' }, g.env, { sleep: clock.sleep });
    await svc.close();
    expect(r).toMatchObject({
      delivery: 'profile',
      profile: 'totp-mcp-prod-deploy',
      account_id: '123456789012',
      arn: 'arn:aws:sts::123456789012:assumed-role/deploy/totp-mcp.claude',
      region: null,
      role: 'deploy',
    });
    expect(JSON.stringify(r)).not.toMatch(/ASIA|FwoG/);
    const text = readFileSync(g.env.sharedCredentialsFile, 'utf8');
    expect(
      text.startsWith(
        '# my credentials\r\n[default]\r\naws_access_key_id = AKIAOTHER\r\naws_secret_access_key = keep-me\r\n\r\n[totp-mcp-prod-deploy]\r\n# written by totp-mcp',
      ),
    ).toBe(true);
    expect(text).toMatch(
      /\[totp-mcp-prod-deploy\]\r\n# written by totp-mcp: expires \S+Z; replaced on the next request\r\naws_access_key_id = ASIA\w+\r\naws_secret_access_key = \S+\r\naws_session_token = \S+\r\n\[work\] {2}; trailing comment\r\nregion = eu-west-1\r\n$/,
    );
    expect(text).not.toMatch(/= OLD/);

    // inline is refused for this agent (policy), and audited
    const svc2 = g.service('claude');
    await expect(
      getAwsSession(svc2, rc, { account: 'prod', role: 'deploy', delivery: 'inline' }, g.env),
    ).rejects.toThrow(/does not allow this delivery/);
    await svc2.close();
  });
});

describe('key sources, vault kinds, cancellation', () => {
  it('a passphrase-only vault: the cache is encrypted to a key kept in the vault (no second scrypt per read)', async () => {
    const root = tempDir();
    const home = join(root, 'home');
    const pass = { TOTP_MCP_PASSPHRASE: 'correct horse battery staple' };
    expect(cli(home, ['init', '--passphrase-only', '--work-factor', '10'], { env: pass }).code).toBe(0);
    expect(cli(home, ['add', 'prod', '--secret-stdin'], { input: TEST_SEED, env: pass }).code).toBe(0);
    const setup = cli(home, [...AWS_SETUP_PROD], { input: TEST_SECRET, env: pass });
    expect(setup.code, setup.stderr).toBe(0);
    writeFileSync(join(home, 'policy.yaml'), AWS_POLICY, { mode: 0o600 });
    expect(cli(home, ['policy', 'apply'], { env: pass }).code).toBe(0);
    const ctx = new AppContext(home, clock, {
      passphrase: () => Promise.resolve(new Redacted(pass.TOTP_MCP_PASSPHRASE)),
    });
    const svc = new AgentService(ctx, 'terraform');
    clock.advance(PERIOD);
    resetCalls();
    const env: AwsEnv = {
      sharedCredentialsFile: join(root, 'credentials'),
      region: undefined,
      stsEndpoint: sts.url,
      execMarker: undefined,
      resolvingSource: false,
    };
    const a = await agentAwsSession(svc, rc, deploy, { env, sleep: clock.sleep });
    const b = await agentAwsSession(svc, rc, deploy, { env, sleep: clock.sleep });
    expect(b.session.access_key_id).toBe(a.session.access_key_id);
    expect(sts.mfaCalls).toHaveLength(1);
    const header = readFileSync(cachePathFor(join(home, 'state', 'aws'), TEST_SERIAL), 'latin1')
      .split('\n')
      .slice(0, 3)
      .join('\n');
    expect(header).toMatch(/^age-encryption\.org\/v1\n-> X25519 /);
    expect(header).not.toMatch(/scrypt/);
    expect(cli(home, ['list', '--json'], { env: pass }).stdout).toMatch(/"cache_identity": "\[redacted\]"/);
    await svc.close();
  });

  it('long-term keys from a shared-config profile, or the default chain; temporary keys are refused', async () => {
    const g = fixture();
    const credsFile = join(g.home, '..', 'lt-credentials');
    writeFileSync(
      credsFile,
      `[lt]\naws_access_key_id = ${TEST_KEY_ID}\naws_secret_access_key = ${TEST_SECRET}\n\n[temp]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${TEST_SECRET}\naws_session_token = abc\n`,
    );
    const saved = { ...process.env };
    process.env['AWS_SHARED_CREDENTIALS_FILE'] = credsFile;
    process.env['AWS_CONFIG_FILE'] = join(g.home, '..', 'no-config');
    try {
      await awsSetup(g.ctx, 'user', { mfaSerial: TEST_SERIAL, source: 'profile:lt' });
      clock.advance(PERIOD);
      resetCalls();
      const owner = await ownerAwsSession(g.ctx, { account: 'user', delivery: 'exec' }, g.deps);
      expect(owner.session.arn).toBe('arn:aws:iam::123456789012:user/alice');
      expect(sts.calls[0]!.accessKeyId).toBe(TEST_KEY_ID);

      await awsSetup(g.ctx, 'user', { mfaSerial: TEST_SERIAL, source: 'profile:temp', sessionDuration: '2h' });
      await expect(ownerAwsSession(g.ctx, { account: 'user', delivery: 'exec' }, g.deps)).rejects.toThrow(
        /temporary \(session\) credentials/,
      );

      await awsSetup(g.ctx, 'user', { mfaSerial: TEST_SERIAL, source: 'default', sessionDuration: '3h' });
      process.env['AWS_ACCESS_KEY_ID'] = TEST_KEY_ID;
      process.env['AWS_SECRET_ACCESS_KEY'] = TEST_SECRET;
      clock.advance(PERIOD);
      const dflt = await ownerAwsSession(g.ctx, { account: 'user', delivery: 'exec' }, g.deps);
      expect(dflt.session.duration).toBe(3 * 3600);
      // the owner's sessions are audited too (agent null)
      const owned = (await readAudit(join(g.home, 'state'))).filter(
        (e) => e.action === 'aws_session' && e.agent === null,
      );
      expect(owned.map((e) => e.decision)).toEqual(['allow', 'error', 'allow']);
    } finally {
      for (const k of [
        'AWS_SHARED_CREDENTIALS_FILE',
        'AWS_CONFIG_FILE',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'TOTP_MCP_AWS_RESOLVING_SOURCE',
      ]) {
        if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = saved[k];
      }
    }
  });

  it('waiting for the next step is cancellable', async () => {
    const g = fixture();
    const svc = g.service('terraform');
    clock.advance(PERIOD);
    await agentAwsSession(svc, rc, { ...deploy, role: 'admin', duration_seconds: 2 * 3600 }, g.deps); // spends this step
    const ac = new AbortController();
    const hanging: AwsDeps = {
      ...g.deps,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            reject(new Error('cancelled'));
          });
        }),
    };
    setTimeout(() => {
      ac.abort();
    }, 50);
    const t0 = Date.now();
    await expect(
      agentAwsSession(
        svc,
        { ...rc, signal: ac.signal },
        { ...deploy, role: 'admin', duration_seconds: 3 * 3600 },
        hanging,
      ),
    ).rejects.toThrow(/cancel/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await svc.close();
  });
});

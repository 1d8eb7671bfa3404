// Fleet mode for AWS (issue 15): two homes that share one vault (two identities, both recipients)
// and one real redis-server, against the local STS endpoint. One MFA-bearing call for a burst on
// both machines, the same keys everywhere, nothing secret in Redis, fail closed when Redis is gone,
// and no step reused after Redis comes back empty.
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32ToBytes } from '../helpers/base32.js';
import { cli, cliAsync, newHome, type Run } from '../helpers/cli.js';
import { haveRedis, RedisServer } from '../helpers/redis.js';
import { awayFromStepEnd, awsHome, cloneAwsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { refTotp, startSts, TEST_SECRET, TEST_SEED, type StsServer } from '../helpers/sts-server.js';

const ci = process.env['CI'] === 'true';
const present = haveRedis();
if (ci && !present) throw new Error('redis-server is required under CI (.ci/run installs it)');

const PERIOD = 5; // short steps keep the waits short; the STS endpoint uses the same
const PASSWORD = 'fleet-pw-Zq81';

const cp = (role: string): string[] => [
  'aws',
  'credential-process',
  '--account',
  'prod',
  '--role',
  role,
  '--agent',
  'terraform',
];

function ok(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what}: ${r.stderr}`);
}

describe.skipIf(!present)('fleet mode: AWS sessions across machines on one redis-server', () => {
  let redis: RedisServer;
  let sts: StsServer;
  let a: AwsHome;
  let b: AwsHome;
  let c: AwsHome;
  const keys = new Set<string>();
  const secrets = new Set<string>();

  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
    sts = await startSts({ period: PERIOD });
    a = awsHome({ stsUrl: sts.url, period: PERIOD });
    // A second machine: its own identity, added to the vault's recipients, sharing the vault.
    const runner = newHome();
    const [theirs] = cli(runner, ['recipients', 'list']).stdout.trim().split('\n');
    ok(cli(a.home, ['recipients', 'add', theirs ?? '']), 'recipients add');
    b = cloneAwsHome(a, sts.url);
    copyFileSync(join(runner, 'identity.txt'), join(b.home, 'identity.txt'));
    c = cloneAwsHome(a, sts.url);
    // Machine A through config.yaml (password in a file), B and C through the environment.
    const pwFile = join(a.home, 'redis-password');
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(
      join(a.home, 'config.yaml'),
      `coordinator: redis://127.0.0.1:${redis.port}/0\ncoordinator_password_file: redis-password\n`,
    );
    b.env['TOTP_MCP_COORDINATOR'] = redis.url;
    c.env['TOTP_MCP_COORDINATOR'] = redis.url;
  });
  afterAll(async () => {
    await redis.close();
    await sts.close();
  });

  it('20 concurrent credential-process on each of two machines in one step: one MFA call in all, no rejected code, the same keys everywhere, only ciphertext in Redis', async () => {
    await awayFromStepEnd(PERIOD * 1000, 3_000);
    const runs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => cliAsync((i % 2 ? b : a).home, cp('deploy'), { env: (i % 2 ? b : a).env })),
    );
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
      keys.add(j.AccessKeyId);
      secrets.add(j.SecretAccessKey).add(j.SessionToken);
    }
    expect(keys.size).toBe(1);
    expect(sts.mfaCalls).toHaveLength(1);
    expect(sts.rejectedCodes).toHaveLength(0);
    // The session cache is in Redis, not in either machine's state.
    for (const h of [a, b])
      expect(readdirSync(join(h.home, 'state', 'aws')).filter((f) => f.endsWith('.sessions.age'))).toEqual([]);

    const dump = redis.dump();
    const seed = Buffer.from(base32ToBytes(TEST_SEED));
    const step = sts.mfaCalls[0]?.step ?? -1;
    const forbidden = [
      TEST_SEED,
      TEST_SECRET,
      seed.toString('hex'),
      seed.toString('base64').replace(/=+$/, ''),
      refTotp(TEST_SEED, step),
      'prod',
      'alice-phone',
      ...keys,
      ...secrets,
    ];
    for (const s of forbidden) expect(dump.includes(s), `Redis holds ${s.slice(0, 4)}…`).toBe(false);
    expect(dump).toContain('age-encryption.org/v1');
  }, 60_000);

  it('Redis stopped: a clear error naming the URL (never the password), no STS call; restarted empty: the next MFA request waits for a step it can prove unused', async () => {
    await redis.stop();
    const before = sts.calls.length;
    const down = await Promise.all([
      cliAsync(a.home, cp('deploy'), { env: a.env }),
      cliAsync(b.home, cp('admin'), { env: b.env }),
    ]);
    for (const r of down) {
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`the fleet coordinator redis://127.0.0.1:${redis.port}/0 cannot be reached`);
      expect(r.stderr).not.toContain(PASSWORD);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    expect(sts.calls.length).toBe(before);

    // A mints on a fresh dataset, then Redis loses everything, and machine C (whose own ledger is
    // empty) asks at once: it must not send A's step again.
    await redis.restart();
    await awayFromStepEnd(PERIOD * 1000, 3_500);
    const first = await cliAsync(a.home, cp('admin'), { env: a.env });
    expect(first.code, first.stderr).toBe(0);
    await redis.restart();
    const second = await cliAsync(c.home, ['aws', 'credential-process', '--account', 'user', '--agent', 'terraform'], {
      env: c.env,
    });
    expect(second.code, second.stderr).toBe(0);
    const steps = sts.mfaCalls.map((x) => x.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(sts.rejectedCodes).toHaveLength(0);
    expect(existsSync(join(c.home, 'state', 'aws'))).toBe(true);
  }, 60_000);
});

// Fleet mode in the app (issue 15): `doctor` reports the coordinator; a configured coordinator that
// cannot be reached refuses what must be single use or counted (a limited rule, HOTP), naming the
// URL and never the password, while list_accounts and describe_access keep answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { haveRedis, RedisServer } from '../helpers/redis.js';
import { auditEvents, call, connect, expectAuditVerifies, homeWithPolicy, TEST_POLICY } from '../mcp/helpers.js';

const ci = process.env['CI'] === 'true';
const present = haveRedis();
if (ci && !present) throw new Error('redis-server is required under CI (.ci/run installs it)');

const PASSWORD = 'doctor-pw-Xk42';
const HOTP = 'otpauth://hotp/X:y?secret=JBSWY3DPEHPK3PXP&counter=7';

describe.skipIf(!present)('fleet mode in doctor and the MCP server', () => {
  let redis: RedisServer;
  let home: string;
  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
    home = homeWithPolicy(TEST_POLICY, [['github:hotp', HOTP]]);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('doctor: the coordinator reachable (version, round trip, prefix, clock offset), then a FAIL naming the URL when it is down', async () => {
    const up = cli(home, ['--coordinator', redis.url, 'doctor']);
    const line = up.stdout.split('\n').find((l) => l.includes('fleet'));
    expect(line).toMatch(
      new RegExp(
        `^ok {2}\\s*fleet\\s+redis://127\\.0\\.0\\.1:${redis.port}/0: Redis \\d+\\.\\d+\\.\\d+, round trip \\d+ ms, prefix totp-mcp:\\{[0-9a-f]{32}\\}:, clock offset -?\\d+ ms$`,
      ),
    );
    expect(`${up.stdout}${up.stderr}`).not.toContain(PASSWORD);
    // Without a coordinator, doctor says nothing about one.
    expect(cli(home, ['doctor']).stdout).not.toMatch(/fleet/);

    await redis.stop();
    try {
      const down = cli(home, ['doctor'], { env: { TOTP_MCP_COORDINATOR: redis.url } });
      expect(down.code).toBe(1);
      expect(down.stdout).toMatch(
        new RegExp(
          `^FAIL\\s+fleet\\s+the fleet coordinator redis://127\\.0\\.0\\.1:${redis.port}/0 cannot be reached`,
          'm',
        ),
      );
      expect(`${down.stdout}${down.stderr}`).not.toContain(PASSWORD);
    } finally {
      await redis.restart();
    }
  });

  it('unreachable coordinator: a limited rule and HOTP refuse with the URL (audited as errors); list_accounts, describe_access and a plain TOTP code keep working', async () => {
    await redis.stop();
    const s = await connect(home, { agent: 'bot', env: { TOTP_MCP_COORDINATOR: redis.url } });
    try {
      const list = await call(s, 'list_accounts');
      expect(list.isError).toBe(false);
      expect(list.text).toContain('limited');
      expect((await call(s, 'describe_access')).isError).toBe(false);
      expect(await call(s, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).toMatchObject({
        isError: false,
      });
      for (const account of ['limited', 'github:hotp']) {
        const r = await call(s, 'get_totp_code', { account, min_remaining_seconds: 0 });
        expect(r.isError).toBe(true);
        expect(r.text).toContain(`the fleet coordinator redis://127.0.0.1:${redis.port}/0 cannot be reached`);
        expect(r.text).not.toContain(PASSWORD);
        expect(r.text).not.toMatch(/\b\d{6}\b/);
      }
      expect(s.stderr()).not.toContain(PASSWORD);
    } finally {
      await s.close();
      await redis.restart();
    }
    const bot = auditEvents(home).filter((e) => e.agent === 'bot' && e.action === 'code');
    expect(bot.map((e) => [e.account, e.decision, e.reason])).toEqual([
      ['github:alice', 'allow', 'allowed'],
      ['limited', 'error', 'error_io'],
      ['github:hotp', 'error', 'error_io'],
    ]);
    // The HOTP counter did not move: the next code (with Redis back) is counter 7's.
    expect(cli(home, ['list', '--json']).stdout).toMatch(/"counter":\s*7/);
    expectAuditVerifies(home);
  });
});

// Fleet mode in the app (issue 15): `doctor` reports the coordinator; a configured coordinator that
// cannot be reached refuses what must be single use or counted (a limited rule, HOTP), naming the
// URL and never the password, while list_accounts and describe_access keep answering.
import { cpSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';
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

  it('an approval given on one machine is honoured by another machine sharing the vault within the TTL, and not for another account', async () => {
    const policy = TEST_POLICY.replace('accounts: [confirm]', 'accounts: [confirm, confirm2]').replace(
      '    approval_via: [client]\n',
      '    approval_via: [client]\n    approval_ttl: 10m\n',
    );
    expect(policy).toContain('approval_ttl: 10m');
    const one = homeWithPolicy(policy, [['confirm2', 'otpauth://totp/X:z?secret=JBSWY3DPEHPK3PXP']]);
    const root = tempDir();
    cpSync(dirname(one), root, { recursive: true });
    const two = join(root, 'home');
    const env = { TOTP_MCP_COORDINATOR: redis.url };
    const a = await connect(one, {
      agent: 'bot',
      env,
      elicit: () => ({ action: 'accept', content: { confirm: true } }),
    });
    try {
      const r = await call(a, 'get_totp_code', { account: 'confirm', min_remaining_seconds: 0 });
      expect(r.isError, r.text).toBe(false);
      expect(a.asked).toHaveLength(1);
    } finally {
      await a.close();
    }
    // The other machine's server cannot ask anyone (no elicitation): only the fleet's memory helps.
    const b = await connect(two, { agent: 'bot', env });
    try {
      const same = await call(b, 'get_totp_code', { account: 'confirm', min_remaining_seconds: 0 });
      expect(same.isError, same.text).toBe(false);
      expect(same.structured.code).toMatch(/^\d{6}$/);
      const other = await call(b, 'get_totp_code', { account: 'confirm2', min_remaining_seconds: 0 });
      expect(other.isError).toBe(true);
      expect(other.text).toMatch(/^approval_declined/);
    } finally {
      await b.close();
    }
    expect(
      auditEvents(two)
        .filter((e) => e.agent === 'bot' && e.action === 'code')
        .map((e) => [e.account, e.decision, e.approval]),
    ).toEqual([
      ['confirm', 'allow', 'remembered'],
      ['confirm2', 'deny', 'unavailable'],
    ]);
    expect(redis.dump()).not.toMatch(/confirm|bot/);
  });

  it('the audit witness: a trail rolled back to an older, self-consistent state passes alone, and is caught by audit verify and doctor against the witness', () => {
    const h = homeWithPolicy();
    const env = { TOTP_MCP_COORDINATOR: redis.url };
    const code = (): void => {
      const r = cli(h, ['code', 'github:alice', '--agent', 'bot']);
      expect(r.code, r.stderr).toBe(0);
    };
    code();
    code();
    const log = join(h, 'state', 'audit.log');
    const headFile = join(h, 'state', 'audit.head');
    const size = statSync(log).size;
    const head = readFileSync(headFile);
    code();
    code();
    code();
    const first = cli(h, ['audit', 'verify'], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // The rollback: the live file cut back (same inode) and the older head put back.
    truncateSync(log, size);
    writeFileSync(headFile, head);
    expect(cli(h, ['audit', 'verify']).code).toBe(0); // the local trail alone cannot tell
    const caught = cli(h, ['audit', 'verify'], { env });
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(
      /FAILED: fleet witness: the audit trail ends at seq \d+, but the fleet witness saw seq \d+ from this home: the trail was cut or rolled back/,
    );
    const doc = cli(h, ['doctor'], { env });
    expect(doc.code).toBe(1);
    expect(doc.stdout).toMatch(/^FAIL\s+witness\s+the audit trail ends at seq/m);
    // The witness was not lowered by the cut trail: still caught on the next look.
    expect(cli(h, ['audit', 'verify'], { env }).code).toBe(1);
  });

  it('a limit of 5 per hour across 3 machines × 10 concurrent code requests: exactly 5 codes', async () => {
    const first = homeWithPolicy();
    const homes = [first];
    for (let i = 0; i < 2; i++) {
      const root = tempDir();
      cpSync(dirname(first), root, { recursive: true });
      homes.push(join(root, 'home'));
    }
    const env = { TOTP_MCP_COORDINATOR: redis.url };
    const servers = await Promise.all(homes.map((h) => connect(h, { agent: 'bot', env })));
    try {
      const results = await Promise.all(
        servers.flatMap((s) =>
          Array.from({ length: 10 }, () => call(s, 'get_totp_code', { account: 'limited', min_remaining_seconds: 0 })),
        ),
      );
      const codes = results.filter((r) => !r.isError);
      expect(codes).toHaveLength(5);
      for (const r of codes) expect(r.structured.code).toMatch(/^\d{6}$/);
      for (const r of results.filter((x) => x.isError)) expect(r.text).toMatch(/^rate_limited/);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
    const allows = homes.flatMap((h) =>
      auditEvents(h).filter((e) => e.agent === 'bot' && e.account === 'limited' && e.decision === 'allow'),
    );
    expect(allows).toHaveLength(5);
  });
});

// Issue 12, AWS items, as an attacker on the same machine would try them against the real CLI and
// the local STS endpoint: a forged session cache (5), a starved credentials endpoint (6), and a
// child of `aws exec` / `serve-credentials` that reads the vault passphrase from its environment (12).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateCache, cacheMacKey, cachePathFor, verifyCache } from '../../src/aws/index.js';
import { startContainerServer } from '../../src/aws/container-server.js';
import { CLI } from '../helpers/build.js';
import { cli, cliAsync, cliEnv, tempDir, type Run } from '../helpers/cli.js';
import { AWS_POLICY, awsHome, cloneAwsHome, type AwsHome, AWS_SETUP_PROD } from '../helpers/sts-fixture.js';
import {
  DEPLOY_ROLE,
  startSts,
  TEST_KEY_ID,
  TEST_SECRET,
  TEST_SEED,
  TEST_SERIAL,
  type StsServer,
} from '../helpers/sts-server.js';
import { requireTool } from '../helpers/tools.js';
import { call, connect as connectMcp } from '../mcp/helpers.js';

const hasAge = requireTool('age', 'age');

let template: AwsHome;
const servers: StsServer[] = [];

beforeAll(() => {
  template = awsHome({ stsUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function fresh(): Promise<{ h: AwsHome; sts: StsServer }> {
  const sts = await startSts();
  servers.push(sts);
  return { h: cloneAwsHome(template, sts.url), sts };
}

const cpArgs = ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'];

// ---- item 5: the session cache is authenticated, not only encrypted ----

const FORGED = {
  id: 'ASIAFORGEDFORGEDXXXX',
  secret: 'forged-secret-ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ',
  token: 'forged-token-YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY',
};

/** A cache as the pre-MAC code wrote it: a role session for terraform and an MFA session, both fresh. */
function forgedCache(now: number): string {
  const common = {
    issued: now - 60_000,
    arn: 'arn:aws:sts::123456789012:assumed-role/deploy/totp-mcp.terraform',
    account_id: '123456789012',
    access_key_id: FORGED.id,
    secret_access_key: FORGED.secret,
    session_token: FORGED.token,
  };
  return JSON.stringify({
    v: 1,
    serial: TEST_SERIAL,
    sessions: [
      {
        ...common,
        kind: 'role',
        role_arn: DEPLOY_ROLE,
        session_name: 'totp-mcp.terraform',
        source_identity: 'totp-mcp.terraform',
        duration: 3600,
        expires: now + 50 * 60_000,
        with_mfa: false,
      },
      {
        ...common,
        kind: 'mfa-session',
        role_arn: null,
        session_name: null,
        source_identity: null,
        duration: 43_200,
        expires: now + 10 * 3600_000,
        with_mfa: true,
        arn: 'arn:aws:iam::123456789012:user/alice',
      },
    ],
  });
}

/** Encrypts `plain` with the real age CLI to the home's public recipients, as any local process can. */
function ageToRecipients(home: string, plain: string, out: string): void {
  const r = spawnSync('age', ['-R', join(home, 'recipients.txt'), '-o', out], { input: plain });
  if (r.status !== 0) throw new Error(`age failed: ${r.stderr.toString()}`);
}

describe('item 5: a forged session cache is never served', () => {
  it.runIf(hasAge)(
    'credential-process ignores a cache age-encrypted to recipients.txt by someone else (old format, or a MAC line it cannot compute) and hands out a fresh STS session',
    async () => {
      const forgeries: [string, (now: number) => string][] = [
        ['no MAC (the pre-MAC format)', (now) => forgedCache(now)],
        [
          'a MAC line with a guessed MAC',
          (now) => `totp-mcp-aws-cache/2 ${Buffer.alloc(32, 7).toString('base64url')}\n${forgedCache(now)}`,
        ],
      ];
      for (const [what, forge] of forgeries) {
        const { h, sts } = await fresh();
        const dir = join(h.home, 'state', 'aws');
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = cachePathFor(dir, TEST_SERIAL);
        ageToRecipients(h.home, forge(Date.now()), file);

        const r = await cliAsync(h.home, [...cpArgs, '--debug'], { env: h.env });
        expect(r.code, `${what}: ${r.stderr}`).toBe(0);
        expect(r.stdout, what).not.toContain(FORGED.id);
        expect(r.stdout, what).not.toContain(FORGED.secret);
        const creds = JSON.parse(r.stdout) as Record<string, string>;
        expect(creds['AccessKeyId'], what).toMatch(/^ASIA[0-9A-F]{16}$/);
        // Fetched from STS, with a fresh MFA code; the forged MFA session signed nothing.
        expect(sts.mfaCalls.length, what).toBe(1);
        expect(
          sts.calls.some((c) => c.accessKeyId === FORGED.id),
          what,
        ).toBe(false);
        // --debug says why, and nothing secret.
        expect(r.stderr, what).toMatch(
          /totp-mcp: the session cache (is not authenticated|does not verify) .*ignored, sessions are fetched again/,
        );
        for (const s of [
          FORGED.secret,
          FORGED.token,
          creds['SecretAccessKey']!,
          creds['SessionToken']!,
          TEST_SECRET,
          TEST_SEED,
        ])
          expect(r.stderr.includes(s), what).toBe(false);

        // The cache was rewritten with a MAC: the next process is served from it, no STS call.
        const again = await cliAsync(h.home, cpArgs, { env: h.env });
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout).AccessKeyId, what).toBe(creds['AccessKeyId']);
        expect(again.stderr).toBe('');
        expect(sts.mfaCalls.length, what).toBe(1);
        expect(readFileSync(file).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      }
    },
  );

  it.runIf(hasAge)('a genuine cache of another vault (another audit key) does not verify here either', async () => {
    const a = await fresh();
    const b = await fresh(); // its own endpoint: a device's used steps are per endpoint
    const other = awsHome({ stsUrl: b.sts.url });
    const mint = await cliAsync(other.home, cpArgs, { env: other.env });
    expect(mint.code, mint.stderr).toBe(0);
    // The other vault's cache, re-encrypted to this home's recipient: only the MAC can tell.
    const plain = spawnSync('age', [
      '-d',
      '-i',
      join(other.home, 'identity.txt'),
      cachePathFor(join(other.home, 'state', 'aws'), TEST_SERIAL),
    ]);
    expect(plain.status).toBe(0);
    const dir = join(a.h.home, 'state', 'aws');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    ageToRecipients(a.h.home, plain.stdout.toString('utf8'), cachePathFor(dir, TEST_SERIAL));
    const before = a.sts.mfaCalls.length;
    const r = await cliAsync(a.h.home, [...cpArgs, '--debug'], { env: a.h.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).AccessKeyId).not.toBe(JSON.parse(mint.stdout).AccessKeyId);
    expect(a.sts.mfaCalls.length).toBe(before + 1);
    expect(r.stderr).toMatch(/does not verify with this vault/);
  });
});

describe('item 5 over MCP: get_aws_session never returns forged keys', () => {
  it.runIf(hasAge)(
    'serve --debug: a forged MFA session in the cache is ignored (stderr says why), inline delivery returns a fresh STS session',
    async () => {
      const { h, sts } = await fresh();
      const dir = join(h.home, 'state', 'aws');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const now = Date.now();
      const forged = JSON.parse(forgedCache(now)) as { sessions: Record<string, unknown>[] };
      const mfa = forged.sessions[1]!;
      // The capped agent's request for `user` (1 h sessions, capped at 30 min): every duration it could ask for.
      forged.sessions = [900, 1800, 3600].map((d) => ({ ...mfa, duration: d, expires: now + (d * 1000 * 4) / 5 }));
      ageToRecipients(h.home, JSON.stringify(forged), cachePathFor(dir, TEST_SERIAL));
      const c = await connectMcp(h.home, { agent: 'capped', env: h.env, args: ['--debug'] });
      try {
        const r = await call(c, 'get_aws_session', { account: 'user', delivery: 'inline' });
        expect(r.isError, r.text).toBe(false);
        expect(r.structured.credentials.access_key_id).toMatch(/^ASIA[0-9A-F]{16}$/);
        expect(JSON.stringify(r.structured)).not.toContain(FORGED.secret);
        expect(sts.mfaCalls.length).toBe(1);
        expect(c.stderr()).toMatch(/the session cache is not authenticated by this vault/);
        expect(c.stderr()).not.toContain(FORGED.secret);
      } finally {
        await c.close();
      }
    },
  );
});

describe('item 5: the MAC of the cache text', () => {
  it('verifies only the text it was computed for, under the key derived from this audit key', () => {
    const auditKey = Buffer.alloc(32, 1);
    const key = cacheMacKey(auditKey);
    expect(key).toHaveLength(32);
    expect(key.equals(auditKey)).toBe(false);
    expect(cacheMacKey(Buffer.alloc(32, 1)).equals(key)).toBe(true);
    const body = forgedCache(1_000_000);
    const text = authenticateCache(body, key);
    expect(verifyCache(text, key)).toEqual({ ok: true, body });
    expect(verifyCache(text.replace('ASIAFORGED', 'ASIAFORGEE'), key)).toEqual({ ok: false, why: 'bad_mac' });
    expect(verifyCache(text, cacheMacKey(Buffer.alloc(32, 2)))).toEqual({ ok: false, why: 'bad_mac' });
    expect(verifyCache(`${text.slice(0, 30)}\n${body}`, key)).toEqual({ ok: false, why: 'bad_mac' });
    expect(verifyCache(body, key)).toEqual({ ok: false, why: 'unauthenticated' });
    expect(verifyCache('', key)).toEqual({ ok: false, why: 'unauthenticated' });
  });
});

// ---- item 12: the child never inherits the vault's passphrase or identity ----

const CANARY_PASSPHRASE = 'canary-passphrase-QQQQ-never-in-a-child';
const printEnv = 'process.stdout.write(JSON.stringify(process.env))';

/** A passphrase-only vault (the passphrase comes from TOTP_MCP_PASSPHRASE) with the AWS account set up. */
function passphraseHome(stsUrl: string): { home: string; env: Record<string, string> } {
  const root = tempDir();
  const home = join(root, 'home');
  const env: Record<string, string> = {
    TOTP_MCP_PASSPHRASE: CANARY_PASSPHRASE,
    AWS_ENDPOINT_URL_STS: stsUrl,
    AWS_CONFIG_FILE: join(root, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const ok = (r: Run, what: string): void => {
    if (r.code !== 0) throw new Error(`${what}: ${r.stderr}`);
  };
  ok(cli(home, ['init', '--passphrase-only', '--work-factor', '10'], { env }), 'init');
  ok(cli(home, ['add', 'prod', '--secret-stdin', '--issuer', 'AWS'], { input: TEST_SEED, env }), 'add');
  ok(cli(home, [...AWS_SETUP_PROD], { input: TEST_SECRET, env }), 'aws setup');
  writeFileSync(join(home, 'policy.yaml'), AWS_POLICY, { mode: 0o600 });
  ok(cli(home, ['policy', 'apply'], { env }), 'policy apply');
  return { home, env };
}

function expectNoVaultSecrets(where: string, childEnv: Record<string, string>, identityFile: string): void {
  const all = JSON.stringify(childEnv);
  expect(all.includes(CANARY_PASSPHRASE), `${where}: the passphrase reached the child`).toBe(false);
  expect(all.includes(identityFile), `${where}: the identity file's path reached the child`).toBe(false);
  expect(all.includes('canary-future'), `${where}: an unknown TOTP_MCP_ variable reached the child`).toBe(false);
  for (const k of ['TOTP_MCP_PASSPHRASE', 'TOTP_MCP_IDENTITY', 'TOTP_MCP_PASSPHRASE_FILE', 'TOTP_MCP_SOMETHING_NEW'])
    expect(childEnv[k], `${where}: ${k}`).toBeUndefined();
}

describe('item 12: aws exec and serve-credentials children do not inherit the vault passphrase', () => {
  it('exec: the child sees the session, the nesting marker, home and agent, never TOTP_MCP_PASSPHRASE / IDENTITY (canary); a nested exec is still refused', async () => {
    const sts = await startSts();
    servers.push(sts);
    const p = passphraseHome(sts.url);
    const identityFile = join(p.home, '..', 'no-such-identity.txt');
    const env = {
      ...p.env,
      TOTP_MCP_AGENT: 'terraform',
      TOTP_MCP_PASSPHRASE_FILE: '/tmp/canary-future-file',
      TOTP_MCP_SOMETHING_NEW: 'canary-future',
    };
    const r = await cliAsync(
      p.home,
      ['aws', 'exec', 'prod', '--role', 'deploy', '--', process.execPath, '-e', printEnv],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const child = JSON.parse(r.stdout) as Record<string, string>;
    expect(child['AWS_ACCESS_KEY_ID']).toMatch(/^ASIA/);
    expectNoVaultSecrets('exec', child, identityFile);
    expect(child['TOTP_MCP_AWS_EXEC']).toBe('prod/deploy');
    expect(child['TOTP_MCP_AGENT']).toBe('terraform');
    expect(child['TOTP_MCP_HOME']).toBe(p.home);
    // Nesting detection still works from inside: the child's own `aws exec` is refused.
    const nested = spawnSync(process.execPath, [CLI, 'aws', 'exec', 'prod', '--', 'true'], {
      env: child,
      encoding: 'utf8',
    });
    expect(nested.status).toBe(2);
    expect(nested.stderr).toMatch(/already inside 'totp-mcp aws exec'/);

    // An X25519 home unlocked through TOTP_MCP_IDENTITY: the identity's path does not reach the child either.
    const h = cloneAwsHome(template, sts.url);
    const moved = join(h.home, '..', 'elsewhere-identity.txt');
    writeFileSync(moved, readFileSync(join(h.home, 'identity.txt')), { mode: 0o600 });
    spawnSync('rm', [join(h.home, 'identity.txt')]);
    const r2 = await cliAsync(
      h.home,
      ['aws', 'exec', 'prod', '--role', 'deploy', '--agent', 'terraform', '--', process.execPath, '-e', printEnv],
      { env: { ...h.env, TOTP_MCP_IDENTITY: moved, TOTP_MCP_PASSPHRASE: CANARY_PASSPHRASE } },
    );
    expect(r2.code, r2.stderr).toBe(0);
    expectNoVaultSecrets('exec (identity)', JSON.parse(r2.stdout) as Record<string, string>, moved);
  });

  it('serve-credentials -- CMD: the child gets the endpoint, never the passphrase (canary)', async () => {
    const sts = await startSts();
    servers.push(sts);
    const p = passphraseHome(sts.url);
    const env = { ...p.env, TOTP_MCP_SOMETHING_NEW: 'canary-future' };
    const r = await cliAsync(
      p.home,
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
        printEnv,
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const child = JSON.parse(r.stdout) as Record<string, string>;
    expect(child['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/credentials$/);
    expectNoVaultSecrets('serve-credentials', child, join(p.home, '..', 'no-such-identity.txt'));
  });
});

describe("item 12: a source profile's credential_process does not inherit the passphrase either", () => {
  it("the AWS SDK runs the source profile's command without TOTP_MCP_PASSPHRASE (canary), with the loop marker", async () => {
    const sts = await startSts();
    servers.push(sts);
    const p = passphraseHome(sts.url);
    const dir = join(p.home, '..');
    const dump = join(dir, 'source-env.json');
    const script = join(dir, 'source.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));\nprocess.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: ${JSON.stringify(TEST_KEY_ID)}, SecretAccessKey: ${JSON.stringify(TEST_SECRET)} }));\n`,
    );
    writeFileSync(p.env['AWS_CONFIG_FILE']!, `[profile lt]\ncredential_process = ${process.execPath} ${script}\n`);
    const setup = cli(p.home, ['aws', 'setup', 'prod', '--mfa-serial', TEST_SERIAL, '--source', 'profile:lt'], {
      env: p.env,
    });
    expect(setup.code, setup.stderr).toBe(0);
    const r = await cliAsync(p.home, cpArgs, { env: { ...p.env, TOTP_MCP_SOMETHING_NEW: 'canary-future' } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).AccessKeyId).toMatch(/^ASIA/);
    const child = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    expectNoVaultSecrets('source credential_process', child, join(dir, 'no-such-identity.txt'));
    expect(child['TOTP_MCP_AWS_RESOLVING_SOURCE']).toBe('1');
  });
});

// ---- item 6: the credentials endpoint cannot be starved without the token ----

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One tokenless GET on a new connection; resolves with the status (0: the connection failed). */
function tokenless(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/credentials', agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
      res.on('error', () => {
        resolve(0);
      });
    });
    req.on('timeout', () => {
      req.destroy();
    });
    req.on('error', () => {
      resolve(0);
    });
    req.end();
  });
}

interface AttackResult {
  failures: string[];
  statuses: Map<number, number>;
  reopened: number;
  refreshMs: number[];
  /** How long the attack ran, in ms. */
  attackMs: number;
  exit: number | null;
  stderr: string;
}

/**
 * `aws serve-credentials` as a real process; `flood` loops of tokenless requests and `slowloris`
 * sockets (a partial header, then silence; reopened when the server drops them) run while the real
 * SDK container provider refreshes 15 times, without retries. Everything stops before it returns.
 */
async function underAttack(h: AwsHome, attack: { flood: number; slowloris: number }): Promise<AttackResult> {
  const server = spawn(
    process.execPath,
    [CLI, 'aws', 'serve-credentials', 'prod', '--role', 'deploy', '--agent', 'terraform'],
    { env: cliEnv(h.home, h.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let stderr = '';
  server.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    server.on('close', (c) => {
      resolve(c);
    }),
  );
  let stop = false;
  const held = new Set<Socket>();
  const statuses = new Map<number, number>();
  let reopened = 0;
  const failures: string[] = [];
  const refreshMs: number[] = [];
  let flood: Promise<void>[] = [];
  let started = 0;
  let attackMs: number;
  try {
    await Promise.race([
      new Promise<void>((resolve) => {
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/AWS_CONTAINER_AUTHORIZATION_TOKEN=\S+\n/.test(out)) resolve();
        });
      }),
      exited.then(() => {
        throw new Error(`serve-credentials exited: ${stderr}`);
      }),
    ]);
    const url = /AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)/.exec(out)![1]!;
    const token = /AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)/.exec(out)![1]!;
    const port = Number(new URL(url).port);

    const slow = (): void => {
      if (stop || reopened > 2_000) return;
      const s = connect({ host: '127.0.0.1', port });
      held.add(s);
      s.on('connect', () => {
        s.write(`GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
      });
      s.on('error', () => undefined);
      s.on('close', () => {
        held.delete(s);
        if (stop) return;
        reopened++;
        slow();
      });
    };
    started = performance.now();
    for (let i = 0; i < attack.slowloris; i++) slow();
    flood = Array.from({ length: attack.flood }, async () => {
      for (let n = 0; !stop && n < 100_000; n++) {
        const status = await tokenless(port);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    });
    await sleep(300);

    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      try {
        const creds = await fromHttp({
          awsContainerCredentialsFullUri: url,
          awsContainerAuthorizationToken: token,
          maxRetries: 0,
        })();
        if (!/^ASIA/.test(creds.accessKeyId)) failures.push(`refresh ${i}: unexpected key`);
      } catch (e) {
        failures.push(`refresh ${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
      refreshMs.push(performance.now() - t0);
      await sleep(150);
    }
    // Long enough for the server to drop slowloris sockets that never finish their headers.
    if (attack.slowloris > 0) await sleep(Math.max(0, 3_000 - 15 * 150));
  } finally {
    stop = true;
    await Promise.all(flood);
    attackMs = started === 0 ? 0 : performance.now() - started;
    for (const s of held) s.destroy();
    server.kill('SIGTERM');
  }
  return { failures, statuses, reopened, refreshMs, attackMs, exit: await exited, stderr };
}

const figures = (r: AttackResult): string => {
  const ms = [...r.refreshMs].sort((a, b) => a - b);
  const n = [...r.statuses.values()].reduce((a, b) => a + b, 0);
  return `${n} tokenless requests in ${(r.attackMs / 1000).toFixed(1)} s (${((n * 1000) / r.attackMs).toFixed(0)}/s, ${JSON.stringify(Object.fromEntries(r.statuses))}), ${r.reopened} slowloris sockets dropped and reopened, refresh median ${ms[7]?.toFixed(0)} ms, max ${ms.at(-1)?.toFixed(0)} ms`;
};

describe('item 6: the loopback credentials endpoint under a tokenless flood and slowloris', () => {
  it("a tokenless flood (8 loops) never spends the token holder's budget: every refresh of the real SDK container provider succeeds, refusals are logged in summary", async () => {
    const { h } = await fresh();
    const r = await underAttack(h, { flood: 8, slowloris: 0 });
    console.log(`tokenless flood: ${figures(r)}`);
    expect(r.exit).toBe(0);
    expect(r.failures).toEqual([]);
    expect(r.statuses.get(401) ?? 0).toBeGreaterThan(200);
    expect([...r.statuses.keys()].filter((s) => s !== 401)).toEqual([]);
    expect(r.stderr.split('\n').filter((l) => l.includes('refused')).length).toBeLessThan(5);
  });

  it('a tokenless flood plus 40 slowloris sockets holding partial headers (reopened when dropped): every refresh succeeds, and the slow sockets are dropped within seconds', async () => {
    const { h } = await fresh();
    const r = await underAttack(h, { flood: 8, slowloris: 40 });
    console.log(`tokenless flood + 40 slowloris: ${figures(r)}`);
    expect(r.exit).toBe(0);
    expect(r.failures).toEqual([]);
    expect(r.statuses.get(401) ?? 0).toBeGreaterThan(200);
    expect([...r.statuses.keys()].filter((s) => s !== 401 && s !== 0)).toEqual([]);
    expect(r.reopened).toBeGreaterThanOrEqual(40);
    expect(r.stderr.split('\n').filter((l) => l.includes('refused')).length).toBeLessThan(5);
  });

  it('more slow sockets than the unauthenticated cap: the oldest are dropped for newcomers, the token holder still gets in (in-process endpoint)', async () => {
    const body = JSON.stringify({
      AccessKeyId: 'ASIATESTTESTTESTTEST',
      SecretAccessKey: 'x',
      Token: 'y',
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const server = await startContainerServer({
      serve: () => Promise.resolve(body),
      maxPending: 16,
      pendingMs: 30_000,
    });
    const port = Number(new URL(server.url).port);
    const open = new Set<Socket>();
    try {
      await Promise.all(
        Array.from(
          { length: 40 },
          () =>
            new Promise<void>((resolve) => {
              const s = connect({ host: '127.0.0.1', port }, () => {
                s.write(`GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
                resolve();
              });
              open.add(s);
              s.on('error', () => undefined);
              s.on('close', () => {
                open.delete(s);
              });
            }),
        ),
      );
      await sleep(200);
      expect(open.size).toBeLessThanOrEqual(16);
      for (let i = 0; i < 3; i++) {
        const creds = await fromHttp({
          awsContainerCredentialsFullUri: server.url,
          awsContainerAuthorizationToken: server.token,
          maxRetries: 0,
        })();
        expect(creds.accessKeyId).toBe('ASIATESTTESTTESTTEST');
      }
    } finally {
      for (const s of open) s.destroy();
      await server.close();
    }
  });

  it('a tokenless request that announces a large body and trickles it is answered 401 and its connection dropped within the deadline', async () => {
    const server = await startContainerServer({
      serve: () => Promise.reject(new Error('not reached')),
      pendingMs: 1_000,
    });
    const port = Number(new URL(server.url).port);
    try {
      const s = connect({ host: '127.0.0.1', port });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => {
        const t0 = Date.now();
        s.on('close', () => {
          resolve(Date.now() - t0);
        });
      });
      s.write(`POST /credentials HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 100000000\r\n\r\n`);
      const trickle = setInterval(() => {
        if (!s.destroyed) s.write('x');
      }, 100);
      const ms = await Promise.race([closed, sleep(5_000).then(() => -1)]);
      clearInterval(trickle);
      s.destroy();
      expect(got).toMatch(/^HTTP\/1\.1 401 /);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(2_500);
      expect(server.stats.get(401)).toBe(1);
    } finally {
      await server.close();
    }
  });
});

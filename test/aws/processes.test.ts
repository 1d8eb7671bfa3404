// The CLI as real processes against the local STS endpoint: a burst of credential_process runs in
// one TOTP step, the real AWS CLI v2 as the consumer, exec, the container endpoint, one-line
// failures, and the canary scan over every output.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachePathFor } from '../../src/aws/index.js';
import { CLI } from '../helpers/build.js';
import { cli, cliAsync, cliEnv, type Run } from '../helpers/cli.js';
import { base32ToBytes } from '../helpers/base32.js';
import { awayFromStepEnd, awsHome, cloneAwsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { startSts, TEST_SECRET, TEST_SEED, TEST_SERIAL, type StsServer } from '../helpers/sts-server.js';
import { requireTool } from '../helpers/tools.js';

const AWS = '/usr/bin/aws';
const hasAws = requireTool(AWS, 'awscli');

let template: AwsHome;
const outputs: [string, Run][] = [];
const servers: StsServer[] = [];

const record = (what: string, r: Run): Run => {
  outputs.push([what, r]);
  return r;
};

beforeAll(() => {
  template = awsHome({ stsUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A home of its own and an STS endpoint of its own (the device's used steps are per endpoint). */
async function fresh(): Promise<{ h: AwsHome; sts: StsServer }> {
  const sts = await startSts();
  servers.push(sts);
  return { h: cloneAwsHome(template, sts.url), sts };
}

function runAsync(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const cpArgs = (role = 'deploy', agent = 'terraform'): string[] => [
  'aws',
  'credential-process',
  '--account',
  'prod',
  '--role',
  role,
  '--agent',
  agent,
];

/** Every way a long-term secret or the seed could leak. */
function forbidden(): string[] {
  const seed = Buffer.from(base32ToBytes(TEST_SEED));
  return [
    TEST_SECRET,
    TEST_SEED,
    TEST_SEED.toLowerCase(),
    seed.toString('hex'),
    seed.toString('base64').replace(/=+$/, ''),
  ];
}

function expectClean(where: string, text: string, extra: string[] = []): void {
  for (const s of [...forbidden(), ...extra]) expect(text.includes(s), `${where} leaks a secret`).toBe(false);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('credential-process as processes', () => {
  it('20 processes in one TOTP step: all succeed on one MFA call, no rejected code; the next 20 come from the cache with no STS call', async () => {
    const { h, sts } = await fresh();
    await awayFromStepEnd(30_000, 6_000);
    const t0 = performance.now();
    const burst = await Promise.all(Array.from({ length: 20 }, () => cliAsync(h.home, cpArgs(), { env: h.env })));
    const burstMs = performance.now() - t0;
    const keys = new Set<string>();
    for (const [i, r] of burst.entries()) {
      record(`burst ${i}`, r);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const j = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(j).sort()).toEqual([
        'AccessKeyId',
        'AccountId',
        'Expiration',
        'SecretAccessKey',
        'SessionToken',
        'Version',
      ]);
      expect(j['Version']).toBe(1);
      expect(j['AccountId']).toBe('123456789012');
      expect(String(j['Expiration'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      keys.add(String(j['AccessKeyId']));
    }
    expect(keys.size).toBe(1);
    expect(sts.mfaCalls).toHaveLength(1);
    expect(sts.rejectedCodes).toHaveLength(0);
    expect(sts.calls.filter((c) => c.action === 'AssumeRole')).toHaveLength(1);

    sts.calls.length = 0;
    const t1 = performance.now();
    const cached = await Promise.all(Array.from({ length: 20 }, () => cliAsync(h.home, cpArgs(), { env: h.env })));
    const cachedMs = performance.now() - t1;
    for (const r of cached) {
      record('cached', r);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).AccessKeyId).toBe([...keys][0]);
    }
    expect(sts.calls).toHaveLength(0);
    console.log(
      `20 concurrent credential-process: ${burstMs.toFixed(0)} ms minting, ${cachedMs.toFixed(0)} ms from the cache`,
    );

    // Every one of the 40 was audited (allow, credential_process), and the chain verifies.
    const tail = cli(h.home, ['audit', 'tail', '-n', '100', '--json']);
    const events = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; decision: string; aws: { delivery: string } | null });
    const aws = events.filter((e) => e.action === 'aws_session');
    expect(aws).toHaveLength(40);
    expect(aws.every((e) => e.decision === 'allow' && e.aws?.delivery === 'credential_process')).toBe(true);
    expect(cli(h.home, ['audit', 'verify']).code).toBe(0);

    // The state folder holds nothing readable: no key, secret or token.
    const creds = JSON.parse(burst[0]!.stdout) as Record<string, string>;
    for (const f of filesUnder(join(h.home, 'state'))) {
      expectClean(f, readFileSync(f, 'latin1'), [
        creds['AccessKeyId']!,
        creds['SecretAccessKey']!,
        creds['SessionToken']!,
      ]);
    }
  });

  it('served from the cache, a credential_process never loads the AWS SDK', async () => {
    const { h } = await fresh();
    const first = record('mint', await cliAsync(h.home, cpArgs(), { env: h.env }));
    expect(first.code, first.stderr).toBe(0);
    const trace = join(h.home, '..', 'imports.txt');
    writeFileSync(trace, '');
    const hook = join(import.meta.dirname, 'fixtures', 'trace-imports.mjs');
    const r = record(
      'traced',
      await runAsync(process.execPath, ['--import', hook, CLI, ...cpArgs()], {
        ...cliEnv(h.home, h.env),
        TRACE_IMPORTS: trace,
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const loaded = [
      ...new Set(
        readFileSync(trace, 'utf8')
          .split('\n')
          .filter((u) => u.startsWith('file:')),
      ),
    ];
    expect(loaded.length).toBeGreaterThan(3);
    for (const url of loaded) {
      const text = readFileSync(new URL(url), 'utf8');
      expect(
        text.includes('AWSSecurityTokenServiceV20110615') || text.includes('@aws-sdk/'),
        `${url} is AWS SDK code`,
      ).toBe(false);
    }
    // and a source profile that itself runs totp-mcp is refused at once, not after a lock timeout
    const loop = record(
      'loop',
      await cliAsync(h.home, cpArgs(), { env: { ...h.env, TOTP_MCP_AWS_RESOLVING_SOURCE: '1' } }),
    );
    expect(loop.code).toBe(1);
    expect(loop.stderr).toMatch(
      /^totp-mcp: started by the AWS SDK while totp-mcp was resolving an account's source profile/,
    );
  });

  it.runIf(hasAws)(
    'the real AWS CLI v2 runs it as credential_process: sts get-caller-identity works end to end',
    async () => {
      const { h, sts } = await fresh();
      writeFileSync(
        h.env['AWS_CONFIG_FILE']!,
        [
          '[profile prod-deploy]',
          `credential_process = ${process.execPath} ${CLI} aws credential-process --account prod --role deploy --agent terraform`,
          'region = eu-west-1',
          '',
          '[profile prod-denied]',
          `credential_process = ${process.execPath} ${CLI} aws credential-process --account prod --role admin --agent claude`,
          'region = eu-west-1',
          '',
        ].join('\n'),
      );
      const env = { ...cliEnv(h.home, h.env), AWS_PAGER: '' };
      const run = (profile: string): Promise<Run> =>
        runAsync(
          AWS,
          ['sts', 'get-caller-identity', '--profile', profile, '--endpoint-url', sts.url, '--output', 'json'],
          env,
        );
      const ok = record('aws cli', await run('prod-deploy'));
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({
        Account: '123456789012',
        Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/totp-mcp.terraform',
      });
      const gci = sts.calls.filter((c) => c.action === 'GetCallerIdentity').at(-1)!;
      expect(gci.accessKeyId).toMatch(/^ASIA/); // the CLI signed with the session from credential_process
      expect(gci.region).toBe('eu-west-1');
      // Denied by policy: the CLI shows our one-line reason.
      const denied = record('aws cli denied', await run('prod-denied'));
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/totp-mcp: the policy does not allow this role \(rule claude-prod\)/);
    },
  );
});

describe('failures: one line, a non-zero exit, nothing secret', () => {
  it('maps bad input and denials to one-line reasons', async () => {
    const { h } = await fresh();
    const cases: [string[], number, RegExp][] = [
      [['aws', 'credential-process', '--account', 'prod', '--role', 'deploy'], 2, /needs --agent NAME/],
      [cpArgs('deploy', 'bystander'), 3, /no policy rule allows this/],
      [cpArgs('nope'), 3, /this account has no role named 'nope' \(rule terraform-prod\)/], // issue 16
      [[...cpArgs(), '--duration', '90x'], 2, /--duration: expected a duration from 1s to 366d/],
      [[...cpArgs(), '--duration', '10'], 2, /the duration: expected a duration from 15m to 1h/],
      [['aws', 'credential-process', '--account', 'NOPE', '--agent', 'terraform'], 2, /invalid account id/],
      [['aws', 'credential-process', '--account', 'ghost', '--agent', 'terraform'], 3, /no policy rule allows this/],
    ];
    for (const [args, code, message] of cases) {
      const r = record(args.join(' '), await cliAsync(h.home, args, { env: h.env }));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
    }
    // STS down: a clear reason, still one line.
    const down = cloneAwsHome(template, 'http://127.0.0.1:9');
    const r = record('sts down', await cliAsync(down.home, cpArgs(), { env: down.env }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^totp-mcp: cannot reach STS at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\) \(hint: .*\)\n$/);
  });

  it('aws setup validates serials (u2f refused with the reason), ARNs, durations, names; the secret never comes from argv', () => {
    const h = cloneAwsHome(template);
    const setup = (args: string[], input = ''): Run =>
      record(`setup ${args.join(' ')}`, cli(h.home, ['aws', 'setup', 'prod', ...args], { input, env: h.env }));
    const cases: [string[], RegExp][] = [
      [
        ['--mfa-serial', 'arn:aws:iam::123456789012:u2f/user/alice/yubikey-ABCDEF'],
        /FIDO security key \(:u2f\/\): AWS accepts security keys only in the console/,
      ],
      [['--mfa-serial', 'arn:aws:iam::123456789012:user/alice'], /user ARN, not an MFA device ARN/],
      [['--mfa-serial', 'arn:aws:iam::12345:mfa/x'], /invalid MFA serial/],
      [['--mfa-serial', TEST_SERIAL, '--role', 'deploy=arn:aws:iam::123456789012:user/deploy'], /invalid role ARN/],
      [['--mfa-serial', TEST_SERIAL, '--role', 'de ploy=arn:aws:iam::123456789012:role/deploy'], /invalid role name/],
      [
        [
          '--mfa-serial',
          TEST_SERIAL,
          '--role',
          'deploy=arn:aws:iam::123456789012:role/deploy,duration=2h,max_duration=1h',
        ],
        /over its max_duration/,
      ],
      [
        ['--mfa-serial', TEST_SERIAL, '--role', 'deploy=arn:aws:iam::123456789012:role/deploy,duration=5m'],
        /from 15m to 12h/,
      ],
      [
        ['--mfa-serial', TEST_SERIAL, '--role', 'deploy=arn:aws:iam::123456789012:role/deploy,max_duration=13h'],
        /1 to 12 hours/,
      ],
      [['--mfa-serial', TEST_SERIAL, '--session-duration', '37h'], /GetSessionToken lasts 15 minutes to 36 hours/],
      [
        ['--mfa-serial', 'arn:aws:iam::123456789012:mfa/root-account-mfa-device', '--session-duration', '2h'],
        /root user lasts at most 1 hour/,
      ],
      [['--mfa-serial', TEST_SERIAL, '--source', 'profile:has space'], /invalid profile name/],
      [['--mfa-serial', TEST_SERIAL, '--source', 'profile:[x]'], /invalid profile name/],
      [['--mfa-serial', TEST_SERIAL, '--source', 'keychain'], /invalid --source/],
      [['--mfa-serial', TEST_SERIAL, '--region', 'mars-1'], /invalid region/],
      [
        ['--mfa-serial', TEST_SERIAL, '--source', 'vault', '--access-key-id', 'ASIAIOSFODNN7EXAMPLE'],
        /temporary credentials/,
      ],
      [
        ['--mfa-serial', TEST_SERIAL, '--source', 'vault', '--access-key-id', 'AKIAIOSFODNN7EXAMPL2'],
        /no secret access key on stdin/,
      ],
      [['--mfa-serial', TEST_SERIAL, '--secret-access-key', TEST_SECRET], /unknown option/],
    ];
    for (const [args, message] of cases) {
      const r = setup(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const bad = setup(
      ['--mfa-serial', TEST_SERIAL, '--source', 'vault', '--access-key-id', 'AKIAIOSFODNN7EXAMPL2'],
      'short',
    );
    expect(bad.stderr).toMatch(/invalid secret access key/);
    // A good update keeps the roles and adds one; the output shows the config lines and no secret.
    const good = setup([
      '--mfa-serial',
      TEST_SERIAL,
      '--region',
      'eu-west-1',
      '--role',
      'audit=arn:aws:iam::123456789012:role/path/audit,external_id=ext-1',
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(
      /role deploy: .*\n.*role admin: .*\n.*role audit: arn:aws:iam::123456789012:role\/path\/audit/,
    );
    expect(good.stdout).toMatch(
      /\[profile prod-audit\]\ncredential_process = \S+ \S+ --home \S+ aws credential-process --account prod --role audit --agent terraform\nregion = eu-west-1/,
    );
    const list = record('list --json', cli(h.home, ['list', '--json']));
    expect(list.stdout).toMatch(/"secret_access_key": "\[redacted\]"/);
  });

  it('a corrupted cache file is ignored and rebuilt by the CLI (mint.test.ts covers more damage, on a virtual clock)', async () => {
    const { h, sts } = await fresh();
    const dir = join(h.home, 'state', 'aws');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(cachePathFor(dir, TEST_SERIAL), 'age-encryption.org/v1\n-> X25519 garbage\n--- nope\n\x00\x01');
    const r = record('rebuilt', await cliAsync(h.home, cpArgs(), { env: h.env }));
    expect(r.code, r.stderr).toBe(0);
    expect(sts.mfaCalls).toHaveLength(1);
    expect(readFileSync(cachePathFor(dir, TEST_SERIAL)).includes('garbage')).toBe(false);
    const again = record('from the rebuilt cache', await cliAsync(h.home, cpArgs(), { env: h.env }));
    expect(JSON.parse(again.stdout).AccessKeyId).toBe(JSON.parse(r.stdout).AccessKeyId);
    expect(sts.mfaCalls).toHaveLength(1);
  });
});

describe('exec and serve-credentials', () => {
  const printEnv = `process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AWS_') || k.startsWith('TOTP_MCP_AWS')))))`;

  it('exec sets the environment as aws-vault does, unsets profile variables, passes the exit code and signals, refuses to nest', async () => {
    const { h } = await fresh();
    const env = {
      ...h.env,
      AWS_PROFILE: 'shadow',
      AWS_DEFAULT_PROFILE: 'shadow',
      AWS_SDK_LOAD_CONFIG: '1',
      AWS_DEFAULT_REGION: 'eu-central-1',
    };
    const r = record(
      'exec env',
      await cliAsync(
        h.home,
        ['aws', 'exec', 'prod', '--role', 'deploy', '--agent', 'terraform', '--', process.execPath, '-e', printEnv],
        { env },
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Record<string, string>;
    expect(e['AWS_ACCESS_KEY_ID']).toMatch(/^ASIA/);
    expect(e['AWS_SECRET_ACCESS_KEY']).toBeTruthy();
    expect(e['AWS_SESSION_TOKEN']).toBe(e['AWS_SECURITY_TOKEN']);
    expect(e['AWS_CREDENTIAL_EXPIRATION']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(e['AWS_REGION']).toBe('eu-central-1');
    expect(e['AWS_DEFAULT_REGION']).toBe('eu-central-1');
    expect(e['AWS_ACCOUNT_ID']).toBe('123456789012');
    expect(e['TOTP_MCP_AWS_EXEC']).toBe('prod/deploy');
    for (const k of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SDK_LOAD_CONFIG']) expect(e[k]).toBeUndefined();
    expectClean('exec stderr', r.stderr, [e['AWS_SECRET_ACCESS_KEY']!, e['AWS_SESSION_TOKEN']!]);

    const code = record(
      'exec exit',
      await cliAsync(
        h.home,
        [
          'aws',
          'exec',
          'prod',
          '--role',
          'deploy',
          '--agent',
          'terraform',
          '--',
          process.execPath,
          '-e',
          'process.exit(7)',
        ],
        { env: h.env },
      ),
    );
    expect(code.code).toBe(7);
    const nested = record(
      'exec nested',
      await cliAsync(h.home, ['aws', 'exec', 'prod', '--role', 'deploy', '--', 'true'], {
        env: { ...h.env, TOTP_MCP_AWS_EXEC: 'prod/deploy' },
      }),
    );
    expect(nested.code).toBe(2);
    expect(nested.stderr).toMatch(/already inside 'totp-mcp aws exec'/);

    // SIGTERM to totp-mcp reaches the child, whose exit code comes back.
    const child = spawn(
      process.execPath,
      [
        CLI,
        'aws',
        'exec',
        'prod',
        '--role',
        'deploy',
        '--agent',
        'terraform',
        '--',
        process.execPath,
        '-e',
        "process.on('SIGTERM', () => { process.stdout.write('got TERM'); process.exit(42); }); process.stdout.write('ready'); setInterval(() => {}, 1000);",
      ],
      {
        env: cliEnv(h.home, h.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
    });
    child.kill('SIGTERM');
    const exit = await new Promise<number | null>((resolve) =>
      child.on('close', (c) => {
        resolve(c);
      }),
    );
    expect(out).toContain('got TERM');
    expect(exit).toBe(42);
  });

  it.runIf(hasAws)(
    'serve-credentials: loopback endpoint with a bearer token that the AWS CLI uses; stops on SIGTERM',
    async () => {
      const { h, sts } = await fresh();
      const server = spawn(
        process.execPath,
        [CLI, 'aws', 'serve-credentials', 'prod', '--role', 'deploy', '--agent', 'terraform'],
        { env: cliEnv(h.home, h.env), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      server.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/AWS_CONTAINER_AUTHORIZATION_TOKEN=\S+\n/.test(out)) resolve();
        });
        server.on('close', () => {
          reject(new Error(err));
        });
      });
      const url = /AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)/.exec(out)![1]!;
      const token = /AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)/.exec(out)![1]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/credentials$/);
      const good = await fetch(url, { headers: { authorization: token } });
      expect(good.status).toBe(200);
      const body = (await good.json()) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(['AccessKeyId', 'AccountId', 'Expiration', 'SecretAccessKey', 'Token']);
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `${token}x` } })).status).toBe(401);
      expect((await fetch(url.replace('/credentials', '/other'), { headers: { authorization: token } })).status).toBe(
        404,
      );

      const aws = record(
        'aws cli via container endpoint',
        await runAsync(AWS, ['sts', 'get-caller-identity', '--endpoint-url', sts.url, '--output', 'json'], {
          PATH: process.env['PATH'],
          HOME: h.awsDir,
          AWS_CONFIG_FILE: h.env['AWS_CONFIG_FILE'],
          AWS_SHARED_CREDENTIALS_FILE: h.env['AWS_SHARED_CREDENTIALS_FILE'],
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONTAINER_CREDENTIALS_FULL_URI: url,
          AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
          AWS_PAGER: '',
        }),
      );
      expect(aws.code, aws.stderr).toBe(0);
      expect(JSON.parse(aws.stdout).Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/totp-mcp.terraform');
      server.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) =>
        server.on('close', (c) => {
          resolve(c);
        }),
      );
      expect(code).toBe(0);
      expectClean('serve stderr', err, [body['SecretAccessKey']!, body['Token']!]);
    },
  );
});

describe('serve-credentials -- CMD', () => {
  it('runs the command against the endpoint (the variables set, keys not in its environment) and passes its exit code', async () => {
    const { h } = await fresh();
    const script = `fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN } }).then((r) => r.json()).then((j) => { process.stdout.write(JSON.stringify({ key: j.AccessKeyId, env: Object.keys(process.env).filter((k) => k.startsWith('AWS_')).sort() })); process.exit(3); });`;
    const r = record(
      'serve -- cmd',
      await cliAsync(
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
          script,
        ],
        { env: { ...h.env, AWS_PROFILE: 'shadow' } },
      ),
    );
    expect(r.code, r.stderr).toBe(3);
    const j = JSON.parse(r.stdout) as { key: string; env: string[] };
    expect(j.key).toMatch(/^ASIA/);
    expect(j.env).toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    expect(j.env).toContain('AWS_CONTAINER_AUTHORIZATION_TOKEN');
    expect(j.env).not.toContain('AWS_ACCESS_KEY_ID');
    expect(j.env).not.toContain('AWS_PROFILE');
  });
});

describe('canary', () => {
  it('no output of any run above holds the long-term secret or the seed', () => {
    expect(outputs.length).toBeGreaterThan(40);
    for (const [what, r] of outputs) {
      expectClean(`stdout of ${what}`, r.stdout);
      expectClean(`stderr of ${what}`, r.stderr);
      expect(r.stderr, what).not.toMatch(/\n\s+at /);
      expect(r.stderr, what).not.toMatch(/NodeVersionSupportWarning|DeprecationWarning/);
    }
  });
});

// Issue 18 item 11, the AWS small ones: `serve-credentials` prints its endpoint as `export` lines (or
// env lines, or JSON) that a shell can eval, and `audit tail` shows an AWS event's role, delivery
// and duration. Real processes against the local STS endpoint.
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliAsync, cliEnv } from '../helpers/cli.js';
import { awsHome, cloneAwsHome, type AwsHome } from '../helpers/sts-fixture.js';
import { startSts, type StsServer } from '../helpers/sts-server.js';

const servers: StsServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function fresh(): Promise<AwsHome> {
  const sts = await startSts();
  servers.push(sts);
  return cloneAwsHome(awsHome({ stsUrl: sts.url }), sts.url);
}

/** Starts serve-credentials, returns what it printed once ready, and a stop function. */
async function serve(h: AwsHome, extra: string[]): Promise<{ out: string; stop: () => Promise<number | null> }> {
  const server = spawn(
    process.execPath,
    [CLI, 'aws', 'serve-credentials', 'prod', '--role', 'deploy', '--agent', 'terraform', ...extra],
    { env: cliEnv(h.home, h.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  server.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/AWS_CONTAINER_AUTHORIZATION_TOKEN.*\n/.test(out)) resolve();
    });
    server.on('close', () => {
      reject(new Error(err));
    });
  });
  return {
    out,
    stop: () => {
      server.kill('SIGTERM');
      return new Promise((resolve) =>
        server.on('close', (c) => {
          resolve(c);
        }),
      );
    },
  };
}

const fetchCreds = async (url: string, token: string): Promise<number> =>
  (await fetch(url, { headers: { authorization: token } })).status;

describe('serve-credentials --format', () => {
  it('default export: `eval "$(…)"` in a shell sets both variables, and they reach the endpoint; env and json print the same pair', async () => {
    const h = await fresh();
    const exp = await serve(h, []);
    try {
      expect(exp.out).toMatch(
        /^export AWS_CONTAINER_CREDENTIALS_FULL_URI=\S+\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN=\S+\n$/,
      );
      const sh = spawnSync(
        'sh',
        [
          '-c',
          'eval "$OUT"; printf "%s\\n%s" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN"',
        ],
        { env: { OUT: exp.out, PATH: process.env['PATH'] }, encoding: 'utf8' },
      );
      const [url, token] = sh.stdout.split('\n');
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/credentials$/);
      expect(await fetchCreds(url!, token!)).toBe(200);
    } finally {
      expect(await exp.stop()).toBe(0);
    }

    const env = await serve(h, ['--format', 'env']);
    try {
      const m = /^AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)\nAWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)\n$/.exec(env.out);
      expect(m, env.out).not.toBeNull();
      expect(await fetchCreds(m![1]!, m![2]!)).toBe(200);
    } finally {
      expect(await env.stop()).toBe(0);
    }

    const json = await serve(h, ['--format', 'json']);
    try {
      const o = JSON.parse(json.out) as Record<string, string>;
      expect(Object.keys(o)).toEqual(['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN']);
      expect(await fetchCreds(o['AWS_CONTAINER_CREDENTIALS_FULL_URI']!, o['AWS_CONTAINER_AUTHORIZATION_TOKEN']!)).toBe(
        200,
      );
    } finally {
      expect(await json.stop()).toBe(0);
    }

    const bad = cli(
      h.home,
      ['aws', 'serve-credentials', 'prod', '--role', 'deploy', '--agent', 'terraform', '--format', 'yaml'],
      { env: h.env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format is export, env or json/);
    const withCmd = await cliAsync(
      h.home,
      [
        'aws',
        'serve-credentials',
        'prod',
        '--role',
        'deploy',
        '--agent',
        'terraform',
        '--format',
        'env',
        '--',
        process.execPath,
        '-e',
        '0',
      ],
      { env: h.env },
    );
    expect(withCmd.code).toBe(2);

    // audit tail shows each AWS session's role, delivery and duration.
    const events = cli(h.home, ['audit', 'tail', '-n', '50', '--json'])
      .stdout.trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { action: string; aws: { role: string; delivery: string; duration: number } | null },
      );
    const session = events.find((e) => e.action === 'aws_session' && e.aws !== null);
    expect(session?.aws).toMatchObject({ role: 'deploy', delivery: 'container' });
    const tail = cli(h.home, ['audit', 'tail', '-n', '50']);
    expect(tail.stdout.split('\n')[0]).toMatch(/\bCLIENT\s+AWS$/);
    const d = session!.aws!.duration;
    const span = d % 3600 === 0 ? `${d / 3600}h` : d % 60 === 0 ? `${d / 60}m` : `${d}s`;
    expect(tail.stdout).toMatch(new RegExp(`aws_session\\s+prod\\s+allow\\s.*\\sdeploy container ${span}\\n`));
  }, 120_000);
});

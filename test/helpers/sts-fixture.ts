/**
 * Homes set up for the AWS tests: an MFA account whose seed the local STS endpoint knows, keys
 * in the vault, roles, and a policy for a few agents. Also a virtual clock for in-process tests.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, newHome, tempDir } from './cli.js';
import { ADMIN_ROLE, DEPLOY_ROLE, TEST_KEY_ID, TEST_SECRET, TEST_SEED, TEST_SERIAL } from './sts-server.js';

/** `aws setup` of account prod for the test device: keys in the vault, role deploy (secret on stdin). */
export const AWS_SETUP_PROD = [
  'aws',
  'setup',
  'prod',
  '--mfa-serial',
  TEST_SERIAL,
  '--source',
  'vault',
  '--access-key-id',
  TEST_KEY_ID,
  '--role',
  `deploy=${DEPLOY_ROLE}`,
] as const;

export const AWS_POLICY = `version: 1
agents:
  terraform: { description: Terraform runs }
  claude: { description: an agent }
  capped: {}
  bystander: {}
rules:
  - id: terraform-prod
    agents: [terraform]
    accounts: [prod]
    actions: [aws_session]
    aws: { roles: [deploy, admin], delivery: [credential_process, exec, container, profile] }
  - id: terraform-user
    agents: [terraform]
    accounts: [user]
    actions: [aws_session]
  - id: claude-prod
    agents: [claude]
    accounts: [prod]
    actions: [aws_session]
    aws: { roles: [deploy], max_duration: 1h, delivery: [profile] }
  - id: capped-prod
    agents: [capped]
    accounts: [prod, user]
    actions: [aws_session]
    aws: { max_duration: 30m, delivery: [profile, inline, credential_process] }
`;

export interface AwsHome {
  home: string;
  /** For the CLI: where the shared AWS files and the endpoint are. */
  env: Record<string, string>;
  awsDir: string;
}

function ok(r: { code: number | null; stderr: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr}`);
}

/**
 * A home with account `prod` (roles deploy ≤ 1 h, admin ≤ 12 h) and `user` (same device, no role),
 * keys in the vault, the policy above applied.
 */
export function awsHome(
  opts: { stsUrl: string; period?: number; policy?: string; region?: string } = { stsUrl: '' },
): AwsHome {
  const home = newHome();
  const awsDir = join(dirname(home), '.aws');
  mkdirSync(awsDir, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {
    AWS_CONFIG_FILE: join(awsDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
    AWS_ENDPOINT_URL_STS: opts.stsUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const period = String(opts.period ?? 30);
  for (const id of ['prod', 'user']) {
    ok(
      cli(home, ['add', id, '--secret-stdin', '--issuer', 'AWS', '--period', period], { input: TEST_SEED }),
      `add ${id}`,
    );
  }
  ok(
    cli(
      home,
      [
        ...AWS_SETUP_PROD,
        '--role',
        `admin=${ADMIN_ROLE},duration=1h,max_duration=12h`,
        ...(opts.region ? ['--region', opts.region] : []),
      ],
      { input: TEST_SECRET, env },
    ),
    'aws setup prod',
  );
  ok(
    cli(
      home,
      [
        'aws',
        'setup',
        'user',
        '--mfa-serial',
        TEST_SERIAL,
        '--source',
        'vault',
        '--access-key-id',
        TEST_KEY_ID,
        '--session-duration',
        '1h',
      ],
      { input: TEST_SECRET, env },
    ),
    'aws setup user',
  );
  writeFileSync(join(home, 'policy.yaml'), opts.policy ?? AWS_POLICY, { mode: 0o600 });
  ok(cli(home, ['policy', 'apply']), 'policy apply');
  return { home, env, awsDir };
}

/** A copy of a set-up home (spawning the CLI six times per home is the slow part of a fixture). */
export function cloneAwsHome(h: AwsHome, stsUrl = h.env['AWS_ENDPOINT_URL_STS'] ?? ''): AwsHome {
  const root = tempDir();
  cpSync(dirname(h.home), root, { recursive: true });
  rmSync(join(root, 'home', 'state', 'aws'), { recursive: true, force: true });
  const awsDir = join(root, '.aws');
  return {
    home: join(root, 'home'),
    awsDir,
    env: {
      ...h.env,
      AWS_CONFIG_FILE: join(awsDir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
      AWS_ENDPOINT_URL_STS: stsUrl,
    },
  };
}

/** A clock the test drives: `sleep` advances it at once. */
export class VirtualClock {
  constructor(public t: number) {}
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.t += ms;
    await Promise.resolve();
  };
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Waits (really) until at least `needMs` remain in the current step of `periodMs`. */
export async function awayFromStepEnd(periodMs: number, needMs: number): Promise<void> {
  const left = periodMs - (Date.now() % periodMs);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 20));
}

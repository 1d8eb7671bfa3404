// AWS figures (issue 5), written to bench/results/aws.json. Run after `npm run build`:
//   node bench/aws.mjs
// - credential-process served from the cache: wall time ÷ `node -e 0` in the same run (target ≤ 2.0),
//   next to `code --agent` (the same policy + audit path, without AWS) to show what is AWS's share;
// - 20 concurrent credential-process in one TOTP step against the local STS endpoint: total wall
//   time (target ≤ 2.0 s), STS calls, MFA-bearing calls, rejected codes.
// The local endpoint is test/helpers/sts-server.ts, bundled here with esbuild.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRunners, loadSts, setUpAwsHome } from './aws-home.mjs';
import { median, round, time } from './stats.mjs';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'totp-bench-aws-'));
// A private copy of the bundle: a rebuild of dist/ during the run cannot pull chunks from under it.
cpSync(join(root, 'dist'), join(work, 'dist'), {
  recursive: true,
  filter: (src) => !src.includes(`${join(root, 'dist', 'lib')}`),
});
const cli = join(work, 'dist', 'totp-mcp.mjs');
const sts = await loadSts(root, work);
const { startSts } = sts;
const { run, runAsync } = cliRunners(cli);

const POLICY = `version: 1
agents:
  terraform: {}
rules:
  - id: terraform-prod
    agents: [terraform]
    accounts: [prod]
    actions: [code, aws_session]
    aws: { roles: [deploy] }
`;

function envFor(dir, stsUrl) {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    TOTP_MCP_HOME: join(dir, 'home'),
    AWS_CONFIG_FILE: join(dir, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, '.aws', 'credentials'),
    AWS_ENDPOINT_URL_STS: stsUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** A home with account prod (role deploy, keys in the vault) and the policy applied. */
function makeHome() {
  const dir = join(work, `t-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(dir, '.aws'), { recursive: true });
  const env = envFor(dir, 'http://127.0.0.1:9');
  setUpAwsHome(run, env, dir, sts, POLICY);
  return dir;
}

function clone(template) {
  const dir = join(work, `c-${Math.random().toString(36).slice(2)}`);
  cpSync(template, dir, { recursive: true });
  rmSync(join(dir, 'home', 'state', 'aws'), { recursive: true, force: true });
  return dir;
}

const cp = ['aws', 'credential-process', '--account', 'prod', '--role', 'deploy', '--agent', 'terraform'];
const results = { machine: { node: process.version, cpus: cpus().length }, at: new Date().toISOString() };
const template = makeHome();

{
  // credential-process from the cache vs node -e 0 (and code --agent: the policy + audit path alone)
  const sts = await startSts();
  const dir = clone(template);
  const env = envFor(dir, sts.url);
  await runAsync(env, cp); // mint once (async: the endpoint lives in this process)
  const base = [];
  const cached = [];
  const agentCode = [];
  for (let i = 0; i < 21; i++) {
    base.push(time(() => spawnSync(process.execPath, ['-e', '0'])));
    cached.push(time(() => run(env, cp)));
    agentCode.push(time(() => run(env, ['code', 'prod', '--agent', 'terraform'])));
  }
  const calls = sts.calls.length;
  await sts.close();
  results.credential_process_cached = {
    node_e0_ms: round(median(base)),
    credential_process_ms: round(median(cached)),
    ratio: round(median(cached) / median(base)),
    target_ratio: 2.0,
    code_agent_ms: round(median(agentCode)),
    code_agent_ratio: round(median(agentCode) / median(base)),
    aws_share_ms: round(median(cached) - median(agentCode)),
    sts_calls_after_first: calls - 3,
  };
  console.log('credential-process from the cache', results.credential_process_cached);
}

{
  // 20 concurrent credential-process in one TOTP step, each round on a fresh home and endpoint
  const rounds = [];
  for (let i = 0; i < 5; i++) {
    const sts = await startSts();
    const env = envFor(clone(template), sts.url);
    const left = 30_000 - (Date.now() % 30_000);
    if (left < 5_000) await new Promise((r) => setTimeout(r, left + 50));
    const step = Math.floor(Date.now() / 30_000);
    const t0 = performance.now();
    const outs = await Promise.all(Array.from({ length: 20 }, () => runAsync(env, cp)));
    const ms = performance.now() - t0;
    const keys = new Set(outs.map((o) => JSON.parse(o).AccessKeyId));
    rounds.push({
      wall_ms: round(ms),
      same_step: Math.floor(Date.now() / 30_000) === step,
      distinct_keys: keys.size,
      sts_calls: sts.calls.length,
      mfa_calls: sts.mfaCalls.length,
      rejected_codes: sts.rejectedCodes.length,
    });
    await sts.close();
  }
  results.burst_20 = { rounds, median_wall_ms: round(median(rounds.map((r) => r.wall_ms))), target_ms: 2000 };
  console.log('20 concurrent credential-process', results.burst_20);
}

rmSync(work, { recursive: true, force: true });
const out = join(root, 'bench', 'results', 'aws.json');
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`written to ${out}`);

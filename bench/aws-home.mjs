// What bench/aws.mjs and bench/fleet.mjs share: the test suite's local STS (bundled from
// test/helpers/sts-server.ts), the CLI run in a child, and a home with an AWS account set up.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The local STS and its test identities, bundled into `work`. */
export async function loadSts(root, work) {
  const outfile = join(work, 'sts-server.mjs');
  await build({
    entryPoints: [join(root, 'test', 'helpers', 'sts-server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'warning',
  });
  return import(outfile);
}

/** `run` waits for the CLI (throws on a non-zero exit); `runAsync` resolves to its stdout. */
export function cliRunners(cli) {
  const run = (env, args, input = '') => {
    const r = spawnSync(process.execPath, [cli, ...args], { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const runAsync = (env, args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
    });
  return { run, runAsync };
}

/** In `dir/home`: account prod (the STS's test device, role deploy, keys in the vault), `policy` applied. */
export function setUpAwsHome(run, env, dir, sts, policy) {
  run(env, ['init']);
  run(env, ['add', 'prod', '--secret-stdin'], sts.TEST_SEED);
  const setup = ['aws', 'setup', 'prod', '--mfa-serial', sts.TEST_SERIAL, '--source', 'vault'];
  setup.push('--access-key-id', sts.TEST_KEY_ID, '--role', `deploy=${sts.DEPLOY_ROLE}`);
  run(env, setup, sts.TEST_SECRET);
  writeFileSync(join(dir, 'home', 'policy.yaml'), policy, { mode: 0o600 });
  run(env, ['policy', 'apply']);
}

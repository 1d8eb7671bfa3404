// The AWS part of the demo: a session minted against a LOCAL STS endpoint (test/helpers/sts-server.ts,
// bundled here with esbuild: AWS itself is never called). Standalone: `node scripts/aws-demo.mjs`
// after `npm run build`; or `const { awsDemo } = await import('./aws-demo.mjs'); await awsDemo();`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'totp-mcp.mjs');
const bold = (s) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[0m` : s);
/** Secrets shown in the demo output are cut: the point is their shape, not their value. */
const mask = (text) =>
  text.replace(/("(?:SecretAccessKey|SessionToken)":")([^"]{6})[^"]*/g, '$1$2…').replace(/(ASIA\w{4})\w+/g, '$1…');

export async function awsDemo() {
  const work = mkdtempSync(join(tmpdir(), 'totp-mcp-aws-demo-'));
  const stsModule = join(work, 'sts-server.mjs');
  await build({
    entryPoints: [join(root, 'test', 'helpers', 'sts-server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: stsModule,
    logLevel: 'warning',
  });
  const { startSts, TEST_SEED, TEST_SERIAL, TEST_KEY_ID, TEST_SECRET, DEPLOY_ROLE } = await import(
    pathToFileURL(stsModule).href
  );
  const sts = await startSts();
  mkdirSync(join(work, '.aws'), { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    TOTP_MCP_HOME: join(work, 'home'),
    NO_COLOR: '1',
    AWS_CONFIG_FILE: join(work, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, '.aws', 'credentials'),
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  const run = (
    args,
    {
      input = '',
      show = true,
      file = process.execPath,
      argv = [cli, ...args],
      label = `totp-mcp ${args.join(' ')}`,
    } = {},
  ) =>
    new Promise((resolve) => {
      if (show) console.log(bold(`\n$ ${label}`));
      const child = spawn(file, argv, { env });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.stdin.end(input);
      child.on('close', (code) => {
        if (show) process.stdout.write(mask(out));
        if (code !== 0 && show) console.log(`(exit ${code})`);
        resolve(code);
      });
    });
  try {
    console.log(
      bold(
        `\nAWS sessions, against a LOCAL STS endpoint at ${sts.url} (a test double that speaks the STS protocol; AWS is not contacted)`,
      ),
    );
    await run(['init'], { show: false });
    await run(['add', 'aws-demo', '--secret-stdin', '--issuer', 'AWS'], { input: TEST_SEED, show: false });
    await run(
      [
        'aws',
        'setup',
        'aws-demo',
        '--mfa-serial',
        TEST_SERIAL,
        '--source',
        'vault',
        '--access-key-id',
        TEST_KEY_ID,
        '--role',
        `deploy=${DEPLOY_ROLE}`,
      ],
      { input: TEST_SECRET },
    );
    writeFileSync(
      join(env.TOTP_MCP_HOME, 'policy.yaml'),
      'version: 1\nagents:\n  terraform: {}\nrules:\n  - id: terraform-aws\n    agents: [terraform]\n    accounts: [aws-demo]\n    actions: [aws_session]\n    aws: { roles: [deploy] }\n',
      { mode: 0o600 },
    );
    await run(['policy', 'apply'], { show: false });
    const cp = ['aws', 'credential-process', '--account', 'aws-demo', '--role', 'deploy', '--agent', 'terraform'];
    await run([...cp, '--explain']);
    await run(cp);
    console.log(`  (the local endpoint saw ${sts.calls.length} calls, ${sts.mfaCalls.length} with an MFA code)`);
    sts.calls.length = 0;
    await run(cp);
    console.log(`  (from the encrypted cache: the local endpoint saw ${sts.calls.length} calls)`);
    if (existsSync('/usr/bin/aws')) {
      writeFileSync(
        env.AWS_CONFIG_FILE,
        `[profile demo-deploy]\ncredential_process = ${process.execPath} ${cli} ${cp.join(' ')}\nregion = eu-west-1\n`,
      );
      await run([], {
        file: '/usr/bin/aws',
        argv: ['sts', 'get-caller-identity', '--profile', 'demo-deploy', '--endpoint-url', sts.url],
        label: `aws sts get-caller-identity --profile demo-deploy --endpoint-url ${sts.url}`,
      });
    }
    await run(['audit', 'tail', '-n', '3']);
  } finally {
    await sts.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await awsDemo();

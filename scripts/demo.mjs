// `npm run demo`: the product on the bundled demo vault (vault/demo), in a scratch copy so the
// repository stays untouched. Every step runs the real CLI as a separate process.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'totp-mcp.mjs');
const home = mkdtempSync(join(tmpdir(), 'totp-mcp-demo-'));
cpSync(join(root, 'vault', 'demo'), home, { recursive: true });
chmodSync(home, 0o700);
for (const f of ['identity.txt', 'policy.yaml', 'vault.age', 'recipients.txt']) chmodSync(join(home, f), 0o600);

const bold = (s) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[0m` : s);
const env = { ...process.env, TOTP_MCP_HOME: home, NO_COLOR: '1' };
delete env.TOTP_MCP_IDENTITY;
delete env.TOTP_MCP_PASSPHRASE;

function run(args, { show = true, input } = {}) {
  if (show) console.log(bold(`\n$ totp-mcp ${args.join(' ')}`));
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', input });
  if (show) process.stdout.write(r.stdout + r.stderr);
  if (r.status !== 0 && show) console.log(`(exit ${r.status})`);
  return r;
}

/** The MCP server as an agent sees it: the SDK's own client over stdio, as Claude Code or Cursor would. */
async function mcpDemo() {
  const { Client } = await import('@modelcontextprotocol/client');
  const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
  console.log(bold('\n$ totp-mcp serve --agent demo-agent      # driven by a real MCP client over stdio'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'serve', '--agent', 'demo-agent'],
    env: { TOTP_MCP_HOME: home },
    stderr: 'inherit',
  });
  const client = new Client(
    { name: 'totp-mcp-demo', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } } },
  );
  // The person's side of an approval: the demo answers yes, as someone clicking "Allow" would.
  client.setRequestHandler('elicitation/create', async (req) => {
    console.log(`  [the client asks the person] ${req.params.message}  → Allow`);
    return { action: 'accept', content: { confirm: true } };
  });
  await client.connect(transport);
  try {
    const tools = await client.listTools();
    console.log(`  tools: ${tools.tools.map((t) => t.name).join(', ')}`);
    const show = async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      const text = r.content.find((b) => b.type === 'text')?.text ?? '';
      console.log(`  ${name} ${JSON.stringify(args)}\n    ${r.isError ? `error → ${text}` : text}`);
    };
    await show('list_accounts', {});
    await show('get_totp_code', { account: 'github:demo' });
    await show('get_totp_code', { account: 'bank:demo' });
    await show('get_totp_code', { account: 'steam:demo' });
    await show('get_totp_code', { account: 'steam:demo' }); // remembered for approval_ttl: not asked again
  } finally {
    await client.close();
  }
}

try {
  console.log(`totp-mcp demo: a scratch copy of vault/demo in ${home}`);
  console.log('(the demo identity is committed on purpose and protects nothing real)');
  const accounts = JSON.parse(run(['list', '--json'], { show: false }).stdout);
  run(['list']);
  console.log(bold('\nLive codes, computed from the age-encrypted vault:'));
  for (const a of accounts) {
    const r = run(['code', a.id, '--json'], { show: false });
    const c = JSON.parse(r.stdout);
    const when =
      c.remaining_seconds === null
        ? `HOTP counter ${c.step} (now advanced and saved)`
        : `expires in ${c.remaining_seconds}s`;
    console.log(`  ${a.id.padEnd(14)} ${c.code.padEnd(10)} ${when}`);
  }
  run(['code', 'github:demo', '--at', '2026-01-01T00:00:00Z']);
  run(['code', 'nope']);

  console.log(bold('\nAgents get only what policy.yaml allows (pinned into the vault by `policy apply`):'));
  run(['policy', 'explain', '--agent', 'demo-agent', '--account', 'bank:demo']);
  run(['code', 'github:demo', '--agent', 'demo-agent']);
  run(['code', 'bank:demo', '--agent', 'demo-agent']);
  run(['code', 'steam:demo', '--agent', 'demo-agent']);
  await mcpDemo();
  console.log(bold('\nEvery agent request is in the MAC-chained audit log, written before the code leaves:'));
  run(['audit', 'tail', '-n', '12']);
  run(['audit', 'verify']);
  run(['doctor']);
  const age = spawnSync('age', ['-d', '-i', join(home, 'identity.txt'), join(home, 'vault.age')], { encoding: 'utf8' });
  if (age.status === 0) {
    const p = JSON.parse(age.stdout);
    console.log(bold('\n$ age -d -i identity.txt vault.age   # recovery without totp-mcp'));
    console.log(`a JSON payload: version ${p.version}, ${p.accounts.length} accounts (secrets not shown here)`);
  }
  const { awsDemo } = await import('./aws-demo.mjs');
  await awsDemo();
} finally {
  rmSync(home, { recursive: true, force: true });
}

// Bundles tsc's output (dist/lib):
// - dist/totp-mcp.mjs: the CLI's ES module entry plus lazily loaded chunks. A single bundled file
//   starts far faster than hundreds of node_modules files (issue 2: `totp-mcp code` ≤ 2.0×
//   `node -e 0`); commands load their chunk on use.
// - dist/totp-mcp-serve.cjs: `serve` alone, as one CommonJS file, and its V8 code cache
//   (dist/totp-mcp-serve.cjs.cache), written by one warm-up session of the server. The entry
//   loads it through the cache (src/cli/code-cache.ts): an MCP client spawns the server for every
//   session, and compiling its ~1 MB of JavaScript was a large part of the start-up. The AWS SDK
//   is left out of it, in dist/totp-mcp-serve-aws-sdk.cjs, loaded by the first get_aws_session.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const AWS_SDK = [
  '@aws-sdk/client-sts',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-node',
  '@smithy/node-http-handler',
];
const AWS_SDK_BUNDLE = 'totp-mcp-serve-aws-sdk.cjs';
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  minify: true,
  keepNames: false,
  logLevel: 'warning',
};

await rm('dist/chunks', { recursive: true, force: true });
await rm('dist/totp-mcp-serve.cjs.cache', { force: true });
await build({
  ...common,
  entryPoints: { 'totp-mcp': 'dist/lib/index.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __totpMcpCreateRequire } from 'node:module'; const require = __totpMcpCreateRequire(import.meta.url);",
  },
});
await chmod('dist/totp-mcp.mjs', 0o755);
await build({
  ...common,
  entryPoints: ['dist/lib/cli/serve-main.js'],
  outfile: 'dist/totp-mcp-serve.cjs',
  format: 'cjs',
  plugins: [awsSdkApart()],
});
await build({
  ...common,
  stdin: {
    contents: `module.exports = {\n${AWS_SDK.map((p) => `  ${JSON.stringify(p)}: require(${JSON.stringify(p)}),`).join('\n')}\n};\n`,
    resolveDir: '.',
    loader: 'js',
  },
  outfile: `dist/${AWS_SDK_BUNDLE}`,
  format: 'cjs',
});
await warmUp();

/**
 * The AWS SDK packages the server's get_aws_session needs (src/aws/sts.ts, src/aws/source.ts), as
 * one CommonJS file of their own: a third of the server's code, which every start would otherwise
 * read and deserialize (~5 ms) and only a get_aws_session call uses. Only the SDK moves: our own
 * code stays in the server's bundle, so its classes (errors above all) stay one class each.
 */
function awsSdkApart() {
  return {
    name: 'aws-sdk-apart',
    setup(b) {
      b.onResolve({ filter: /^@(aws-sdk|smithy)\// }, (a) => {
        if (!AWS_SDK.includes(a.path))
          throw new Error(`serve bundle: ${a.path} is not in AWS_SDK (scripts/bundle.mjs)`);
        return { path: a.path, namespace: 'aws-sdk-apart' };
      });
      b.onLoad({ filter: /.*/, namespace: 'aws-sdk-apart' }, (a) => ({
        contents: `module.exports = require(${JSON.stringify(`./${AWS_SDK_BUNDLE}`)})[${JSON.stringify(a.path)}];`,
        loader: 'js',
      }));
      b.onResolve({ filter: new RegExp(`^\\./${AWS_SDK_BUNDLE.replaceAll('.', '\\.')}$`) }, (a) => ({
        path: a.path,
        external: true,
      }));
    },
  };
}

/**
 * One real session of the server on a throwaway vault (the RFC 6238 test secret; nothing of the
 * session's data is in a code cache, only compiled code): initialize, tools/list, and each tool
 * once, with a limited and an unlimited rule. The entry writes the cache when the server exits.
 */
async function warmUp() {
  const home = await mkdtemp(join(tmpdir(), 'totp-mcp-warm-'));
  try {
    const cli = (args, input) => {
      const r = spawnSync(process.execPath, ['dist/totp-mcp.mjs', '--home', home, ...args], {
        input,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`warm-up: totp-mcp ${args.join(' ')}: ${r.stderr}`);
    };
    cli(['init']);
    cli(['add', 'warm-a', '--secret-stdin', '--issuer', 'Warm'], 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n');
    cli(['add', 'warm-b', '--secret-stdin', '--issuer', 'Warm'], 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n');
    await writeFile(
      join(home, 'policy.yaml'),
      'version: 1\nagents:\n  warm: {}\nrules:\n  - id: a\n    agents: [warm]\n    accounts: [warm-a]\n    actions: [list, code]\n    limit: { count: 1000, per: 1h }\n  - id: b\n    agents: [warm]\n    accounts: [warm-b]\n    actions: [list, code]\n',
      { mode: 0o600 },
    );
    cli(['policy', 'apply']);
    const server = spawn(process.execPath, ['dist/totp-mcp.mjs', '--home', home, 'serve', '--agent', 'warm'], {
      env: { ...process.env, TOTP_MCP_WRITE_CODE_CACHE: '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const requests = [
      [
        'initialize',
        { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'warm-up', version: '0' } },
      ],
      ['tools/list', {}],
      ['tools/call', { name: 'list_accounts', arguments: {} }],
      ['tools/call', { name: 'get_totp_code', arguments: { account: 'warm-a', min_remaining_seconds: 0 } }],
      ['tools/call', { name: 'get_totp_code', arguments: { account: 'warm-b', min_remaining_seconds: 0 } }],
      ['tools/call', { name: 'describe_access', arguments: {} }],
    ];
    const send = (m) => server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    let answered = 0;
    let buf = '';
    const exited = new Promise((resolve) => server.on('close', resolve));
    server.stdout.on('data', (d) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        answered++;
        if (answered === 1) send({ method: 'notifications/initialized' });
        if (answered < requests.length)
          send({ id: answered + 1, method: requests[answered][0], params: requests[answered][1] });
        else server.stdin.end();
      }
    });
    send({ id: 1, method: requests[0][0], params: requests[0][1] });
    const timer = setTimeout(() => server.kill(), 20_000);
    const code = await exited;
    clearTimeout(timer);
    if (code !== 0 || answered !== requests.length || !existsSync('dist/totp-mcp-serve.cjs.cache')) {
      throw new Error(
        `warm-up: the server answered ${answered} of ${requests.length} requests and exited ${code}; no code cache`,
      );
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

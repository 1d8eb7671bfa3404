// Bundles tsc's output (dist/lib) into dist/totp-mcp.mjs, the one entry, as an ES module plus
// lazily loaded chunks: a single bundled file starts far faster than hundreds of node_modules
// files, and each command (`serve` included) loads its chunk on use.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

// Files of earlier builds that nothing loads any more.
await rm('dist/chunks', { recursive: true, force: true });
for (const old of ['totp-mcp-serve.cjs', 'totp-mcp-serve.cjs.cache', 'totp-mcp-serve-aws-sdk.cjs']) {
  await rm(`dist/${old}`, { force: true });
}
await build({
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  entryPoints: { 'totp-mcp': 'dist/lib/index.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // Loaded from node_modules only when used (a fill, a fleet coordinator): playwright-core finds
  // its own files at run time and cannot be bundled; neither should slow a start that needs it not.
  external: ['playwright-core', '@redis/client'],
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __totpMcpCreateRequire } from 'node:module'; const require = __totpMcpCreateRequire(import.meta.url);",
  },
});
await chmod('dist/totp-mcp.mjs', 0o755);

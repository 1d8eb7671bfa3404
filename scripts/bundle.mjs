// Bundles tsc's output (dist/lib) into one ESM entry plus lazily loaded chunks.
// A single bundled file starts far faster than hundreds of node_modules files
// (issue 2: `totp-mcp code` ≤ 2.0× `node -e 0`); commands load their chunk on use.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

await rm('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { 'totp-mcp': 'dist/lib/index.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __totpMcpCreateRequire } from 'node:module'; const require = __totpMcpCreateRequire(import.meta.url);" },
});
await chmod('dist/totp-mcp.mjs', 0o755);

#!/usr/bin/env node
// The entry: the only place that reads argv and sets the exit code (config.ts reads the environment).
//
// `serve` (spawned by an MCP client for every session, so its start-up counts) runs from its own
// CommonJS bundle, dist/totp-mcp-serve.cjs, loaded through V8's code cache (cli/code-cache.ts).
// Every other command loads the full CLI, whose commands load their own chunks on use.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandOf } from './cli/argv.js';
import { readEnv } from './config.js';

const argv = process.argv.slice(2);
const entry = fileURLToPath(import.meta.url);
const env = readEnv(entry);

async function run(): Promise<number> {
  if (commandOf(argv) !== 'serve') return (await import('./cli/main.js')).main(argv, env);
  const bundle = join(dirname(entry), 'totp-mcp-serve.cjs');
  // Unbundled (dist/lib) there is no such file: the same entry, as an ES module.
  if (!existsSync(bundle)) return (await import('./cli/serve-main.js')).serveMain(argv, env);
  const { loadBundle } = await import('./cli/code-cache.js');
  const loaded = loadBundle<typeof import('./cli/serve-main.js')>(bundle, `${bundle}.cache`);
  if (env.codeCacheWarmUp)
    process.once('exit', () => {
      loaded.writeCache();
    });
  return loaded.exports.serveMain(argv, env);
}

process.exitCode = await run();

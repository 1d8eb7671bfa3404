/**
 * The CLI with one command, `serve`: the entry of the separately bundled MCP server
 * (dist/totp-mcp-serve.cjs, see scripts/bundle.mjs and src/index.ts). An MCP client spawns the
 * server on every session, so its start-up is measured; this entry holds the global options and
 * `serve`, registered by the same code as in main.ts, and nothing else.
 */
import type { EnvConfig } from '../config.js';
import { processIo, type Io } from './io.js';
import { addServeCommand, createCli } from './program.js';

export function serveMain(argv: readonly string[], env: EnvConfig, io: Io = processIo(env.noColor)): Promise<number> {
  const cli = createCli(env, io);
  addServeCommand(cli);
  return cli.run(argv);
}

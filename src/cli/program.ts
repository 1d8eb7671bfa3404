/**
 * What every way into the CLI shares: the program with its global options, the lazily built
 * runtime, the `serve` command, running a parse, and turning an error into an exit code.
 *
 * `main.ts` builds every command on it.
 */
import { Command, CommanderError } from 'commander';
import type { EnvConfig } from '../config.js';
import { systemClock } from '../core/clock.js';
import { TotpMcpError, explainDiskError, isTotpMcpError } from '../core/errors.js';
import { VERSION } from '../version.js';
import type { Io } from './io.js';
import type { GlobalOptions, Runtime } from './runtime.js';

interface Cli {
  readonly program: Command;
  /** The runtime, built on first use (after parsing, so it sees the global options). */
  readonly rt: () => Promise<Runtime>;
  /** Parses and runs; resolves with the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

export function createCli(env: EnvConfig, io: Io): Cli {
  const program = new Command('totp-mcp');
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  let runtime: Runtime | undefined;
  const rt = async (): Promise<Runtime> => {
    const { Runtime } = await import('./runtime.js');
    runtime ??= new Runtime(globals(), env, io, systemClock);
    return runtime;
  };

  program
    .description('TOTP codes and AWS MFA sessions for AI agents, from an age-encrypted vault')
    .version(VERSION, '-V, --version')
    .option('--home <dir>', `home folder (default: $TOTP_MCP_HOME, else ~/.config/totp-mcp; now ${env.defaultHome})`)
    .option(
      '--identity <file>',
      'age identity file (default: $TOTP_MCP_IDENTITY, else <home>/identity.txt or identity.age)',
    )
    .option('--passphrase-file <file>', 'read the passphrase from the first line of this file')
    .option(
      '--passphrase-command <cmd>',
      'run this command and read the passphrase from its output (e.g. an OS keychain)',
    )
    .option(
      '--passphrase-timeout <duration>',
      'how long --passphrase-command may run, e.g. 90s or 2m (default: $TOTP_MCP_PASSPHRASE_TIMEOUT, else 60s)',
    )
    .option('--debug', 'print internal error details on stderr')
    .option(
      '--coordinator <url>',
      'fleet coordinator: redis://host:6379/0 (default: $TOTP_MCP_COORDINATOR, else config.yaml)',
    )
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        io.out(s);
      },
      writeErr: (s) => {
        io.err(s);
      },
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 error, 2 usage, 3 denied by policy, 4 vault locked or identity wrong.\nEnvironment: TOTP_MCP_HOME, TOTP_MCP_IDENTITY, TOTP_MCP_PASSPHRASE, TOTP_MCP_PASSPHRASE_TIMEOUT, TOTP_MCP_COORDINATOR, NO_COLOR.',
    );

  return {
    program,
    rt,
    async run(argv) {
      try {
        await program.parseAsync([...argv], { from: 'user' });
        return runtime?.exitCode ?? 0;
      } catch (e) {
        return reportError(e, io, argv.includes('--debug'));
      } finally {
        await runtime?.close(); // the fleet coordinator's connection, if one was opened
      }
    },
  };
}

export function addServeCommand(cli: Cli): void {
  cli.program
    .command('serve')
    .description('run the MCP server on stdio for one agent (stdout carries JSON-RPC only)')
    .option('--agent <name>', 'the agent this server serves (default: $TOTP_MCP_AGENT); never taken from a request')
    .option('--debug', 'diagnostics on stderr')
    .option(
      '--approval-timeout <duration>',
      'how long to wait for the answer to an approval question, e.g. 55s (default), 2m; at most 10m',
    )
    .option(
      '--browser-cdp <url>',
      "the DevTools endpoint of the agent's browser, for fill_totp_code, e.g. http://127.0.0.1:9222 (default: $TOTP_MCP_BROWSER_CDP)",
    )
    .action(async (o: { agent?: string; debug?: boolean; approvalTimeout?: string; browserCdp?: string }) => {
      const { runServe } = await import('./commands/serve.js');
      await runServe(await cli.rt(), o);
    });
}

function reportError(thrown: unknown, io: Io, debug: boolean): number {
  // A full, over-quota or read-only disk is said as such, with the file and the fix, wherever it
  // surfaced (never "internal error").
  const e = explainDiskError(thrown) ?? thrown;
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (isTotpMcpError(e)) {
    io.err(`totp-mcp: ${e.message}\n`);
    if (e.hint) io.err(`  hint: ${e.hint}\n`);
    if (debug && e.cause instanceof Error) io.err(`  cause: ${e.cause.stack ?? e.cause.message}\n`);
    return e.exitCode;
  }
  // Not ours: a library's message may quote its input, so it is shown only with --debug.
  io.err('totp-mcp: internal error (run with --debug for details)\n');
  if (debug) io.err(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return new TotpMcpError('internal', 'internal').exitCode;
}

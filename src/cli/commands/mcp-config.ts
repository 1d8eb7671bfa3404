/**
 * `totp-mcp mcp-config --client C --agent NAME`: the exact snippet that adds this server to an MCP
 * client, with absolute paths (GUI hosts do not see nvm/volta PATHs) and the home in the
 * environment. The snippet goes to stdout, ready to paste or pipe; where it goes, to stderr.
 */
import { existsSync } from 'node:fs';
import { Option, type Command, type OptionValues } from 'commander';
import { fail } from '../../core/errors.js';
import { ID_PATTERN, ID_RULE } from '../../core/model.js';
import type { Runtime } from '../runtime.js';
import { flagChoice, flagString, type CommandUnit, type Deps } from '../unit.js';

const MCP_CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode', 'codex'] as const;
type McpClient = (typeof MCP_CLIENTS)[number];

const SERVER_NAME = 'totp-mcp';

/** One snippet per run, so stdout can go straight into a file: Claude Code has two forms. */
type SnippetFormat = 'command' | 'json' | 'toml';
const FORMATS_OF: Record<McpClient, readonly SnippetFormat[]> = {
  'claude-desktop': ['json'],
  'claude-code': ['command', 'json'],
  cursor: ['json'],
  vscode: ['json'],
  codex: ['toml'],
};

/** What every client gets: an absolute command, its arguments, and the environment. */
interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

function launchFor(rt: Runtime, agent: string): Launch {
  const globals: string[] = [];
  if (rt.globals.passphraseCommand !== undefined) globals.push('--passphrase-command', rt.globals.passphraseCommand);
  if (rt.globals.passphraseCommand !== undefined && rt.globals.passphraseTimeout !== undefined)
    globals.push('--passphrase-timeout', rt.globals.passphraseTimeout);
  if (rt.globals.passphraseFile !== undefined) globals.push('--passphrase-file', rt.globals.passphraseFile);
  const env: Record<string, string> = { TOTP_MCP_HOME: rt.home };
  if (rt.identityFile !== undefined) env['TOTP_MCP_IDENTITY'] = rt.identityFile;
  return { command: rt.env.nodePath, args: [rt.env.entry, ...globals, 'serve', '--agent', agent], env };
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A TOML basic string. */
const tomlString = (s: string): string => JSON.stringify(s);

const pretty = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export function snippet(client: McpClient, l: Launch, format?: SnippetFormat): { text: string; where: string } {
  const stdio = { command: l.command, args: l.args, env: l.env };
  switch (client) {
    case 'claude-desktop':
      return {
        text: pretty({ mcpServers: { [SERVER_NAME]: stdio } }),
        where:
          'Merge into claude_desktop_config.json (Settings → Developer → Edit Config; macOS ~/Library/Application Support/Claude/, ' +
          'Windows %APPDATA%\\Claude\\), then quit and restart Claude Desktop. It cannot ask you to approve: accounts that need approval are refused.',
      };
    case 'claude-code': {
      if (format === 'json') {
        return {
          text: pretty({ mcpServers: { [SERVER_NAME]: { type: 'stdio', ...stdio } } }),
          where:
            'Put this in .mcp.json at the root of one project (project scope), or merge it into an existing one. Check with /mcp.',
        };
      }
      // The name goes before -e: `-e` takes every value up to `--`, so a name after it is taken for a variable.
      const cli = [
        'claude',
        'mcp',
        'add',
        '--transport',
        'stdio',
        '--scope',
        'user',
        SERVER_NAME,
        ...Object.entries(l.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        '--',
        l.command,
        ...l.args,
      ];
      return {
        text: `${cli.map(shellQuote).join(' ')}\n`,
        where:
          'Run the command (user scope: every project); for one project, run mcp-config again with --format json and save it as .mcp.json. Check with /mcp.',
      };
    }
    case 'cursor':
      return {
        text: pretty({ mcpServers: { [SERVER_NAME]: { type: 'stdio', ...stdio } } }),
        where:
          'Merge into ~/.cursor/mcp.json (every project) or .cursor/mcp.json (one project), then enable it under Settings → MCP.',
      };
    case 'vscode':
      return {
        text: pretty({ servers: { [SERVER_NAME]: { type: 'stdio', ...stdio } } }),
        where: 'Merge into .vscode/mcp.json (one workspace) or your user mcp.json (MCP: Open User Configuration).',
      };
    case 'codex':
      return {
        text:
          `[mcp_servers.${SERVER_NAME.replace(/-/g, '_')}]\n` +
          `command = ${tomlString(l.command)}\n` +
          `args = [${l.args.map(tomlString).join(', ')}]\n` +
          `env = { ${Object.entries(l.env)
            .map(([k, v]) => `${k} = ${tomlString(v)}`)
            .join(', ')} }\n` +
          'startup_timeout_sec = 20\n',
        where:
          'Append to ~/.codex/config.toml (or .codex/config.toml in a trusted project). Check with codex mcp list.',
      };
  }
}

export interface McpConfigOptions {
  client: McpClient;
  agent: string;
  format?: SnippetFormat;
}

export const mcpConfigCommand: CommandUnit<McpConfigOptions> = {
  define: (parent: Command) =>
    parent
      .command('mcp-config')
      .description('print the config snippet that adds this server to an MCP client')
      .addOption(new Option('--client <client>', 'the MCP client').choices(MCP_CLIENTS).makeOptionMandatory())
      .requiredOption('--agent <name>', 'the agent name the client will be served as')
      .option('--format <format>', 'claude-code: command (default) or json (for .mcp.json)'),

  options(_args: readonly unknown[], flags: OptionValues): McpConfigOptions {
    const client = flagChoice(flags, 'client', MCP_CLIENTS) ?? fail('usage', '--client is required');
    const agent = flagString(flags, 'agent') ?? fail('usage', '--agent is required');
    const asked = flagString(flags, 'format');
    const format = asked === undefined ? undefined : FORMATS_OF[client].find((f) => f === asked);
    if (asked !== undefined && format === undefined)
      fail('usage', `--format for ${client}: use ${FORMATS_OF[client].join(' or ')}`);
    if (!ID_PATTERN.test(agent)) fail('usage', `invalid agent name: use ${ID_RULE}`);
    return { client, agent, ...(format !== undefined && { format }) };
  },

  async run(o: McpConfigOptions, { rt }: Deps): Promise<void> {
    await Promise.resolve();
    const launch = launchFor(rt, o.agent);
    const { text, where } = snippet(o.client, launch, o.format);
    rt.io.out(text);
    rt.io.err(`${where}\n`);
    const passphrase = rt.globals.passphraseCommand !== undefined || rt.globals.passphraseFile !== undefined;
    if (!passphrase && rt.identityFile === undefined && !existsSync(rt.ctx.paths.identityTxt)) {
      rt.io.err(
        'note: this home needs a passphrase, and the server has no terminal to ask on: run mcp-config again with --passphrase-command (e.g. an OS keychain lookup).\n',
      );
    }
    rt.io.err(
      `note: policy.yaml must name the agent "${o.agent}" (totp-mcp policy explain --agent ${o.agent} --account ID).\n`,
    );
  },
};

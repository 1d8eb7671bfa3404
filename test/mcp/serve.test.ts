// `totp-mcp serve` as a process: who it serves, failing fast on a vault it cannot open, stdout
// for JSON-RPC only, stderr quiet without --debug, shutdown on stdin EOF and on signals with the
// audit writes finished; and `mcp-config`, whose snippets are run for real.
import { spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { Command } from 'commander';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliAsync, newHome } from '../helpers/cli.js';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  modernMeta,
  rawServe,
  type Loose,
} from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('serve: start-up', () => {
  it('needs an agent: --agent or TOTP_MCP_AGENT, else a usage error on stderr (exit 2) and nothing on stdout', async () => {
    const home = homeWithPolicy();
    const none = cli(home, ['serve']);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/serve needs the agent it serves: --agent NAME or TOTP_MCP_AGENT/);
    const bad = cli(home, ['serve', '--agent', 'Bot!']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid agent name/);
    // The environment names the agent too.
    const c = await connect(home, { env: { TOTP_MCP_AGENT: 'bot' } });
    try {
      expect((await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).isError).toBe(
        false,
      );
    } finally {
      await c.close();
    }
    expect(auditEvents(home).at(-1)).toMatchObject({ agent: 'bot', action: 'code', decision: 'allow' });
  });

  it('a vault it cannot unlock fails fast with exit 4 and says what to fix; stdout stays empty', () => {
    const home = homeWithPolicy();
    renameSync(join(home, 'identity.txt'), join(home, 'identity.bak'));
    const started = Date.now();
    const r = cli(home, ['serve', '--agent', 'bot'], { input: `${JSON.stringify(INIT)}\n` });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no identity to unlock .*vault\.age/);
    expect(r.stderr).toMatch(/hint: /);
    expect(Date.now() - started).toBeLessThan(10_000);
    const other = newHome();
    const wrong = cli(home, ['serve', '--agent', 'bot'], { env: { TOTP_MCP_IDENTITY: join(other, 'identity.txt') } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/matches none of its recipients/);
    expect(wrong.stdout).toBe('');
  });

  it('is quiet on stderr without --debug; with --debug (serve or global) it says what it does, on stderr only', async () => {
    const home = homeWithPolicy();
    for (const [args, debug] of [
      [['serve', '--agent', 'bot'], false],
      [['serve', '--agent', 'bot', '--debug'], true],
      [['--debug', 'serve', '--agent', 'bot'], true],
    ] as const) {
      const s = rawServe(home, args);
      s.send(INIT);
      await s.response(1);
      s.send({ method: 'notifications/initialized' });
      s.send({ id: 2, method: 'tools/call', params: { name: 'get_totp_code', arguments: { account: 'bank' } } });
      expect((await s.response(2)).result.isError).toBe(true);
      const end = await s.end();
      expect(end.code).toBe(0);
      if (debug) {
        expect(end.stderr).toMatch(/^totp-mcp serve: serving agent bot/);
        expect(end.stderr).toMatch(/get_totp_code bank: denied: no policy rule allows this/);
      } else {
        expect(end.stderr).toBe('');
      }
    }
  });

  it('two servers starting at the same instant on a fresh state folder both serve', async () => {
    const home = homeWithPolicy();
    const [a, b] = await Promise.all([
      connect(home, { agent: 'bot', era: 'auto' }),
      connect(home, { agent: 'bot', era: 'auto' }),
    ]);
    try {
      const [ra, rb] = await Promise.all([call(a, 'list_accounts'), call(b, 'list_accounts')]);
      expect(ra.isError || rb.isError).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expectAuditVerifies(home);
  });
});

describe('serve: shutdown', () => {
  it('exits 0 when stdin closes, after the call in progress has been recorded', async () => {
    const home = homeWithPolicy();
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    s.send({
      id: 1,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'limited', min_remaining_seconds: 0 },
        _meta: modernMeta(),
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    s.send({
      id: 2,
      method: 'tools/call',
      params: {
        name: 'get_totp_code',
        arguments: { account: 'limited', min_remaining_seconds: 0 },
        _meta: modernMeta(),
      },
    });
    const started = Date.now();
    const end = await s.end();
    expect(end.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    const events = auditEvents(home).filter((e) => e.agent === 'bot');
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.every((e) => e.decision === 'allow')).toBe(true);
    expectAuditVerifies(home);
  });

  it('a client that stops reading (EPIPE on stdout) ends the session: exit 0, nothing on stderr, the audit log intact', async () => {
    const home = homeWithPolicy();
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    s.send(INIT);
    await s.response(1);
    s.send({ method: 'notifications/initialized' });
    const exited = new Promise<number | null>((resolve) =>
      s.child.on('exit', (code) => {
        resolve(code);
      }),
    );
    s.child.stdout.destroy(); // the read end of the server's stdout closes: its next write fails
    for (let i = 0; i < 32; i++)
      s.send({
        id: 10 + i,
        method: 'tools/call',
        params: { name: 'get_totp_code', arguments: { account: 'github:alice', min_remaining_seconds: 0 } },
      });
    // stdin stays open: the failed write alone must end the session.
    const timeout = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timeout);
    expect(code).toBe(0);
    expect(s.stderr()).toBe('');
    expectAuditVerifies(home);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s with the audit log intact', async (signal) => {
    const home = homeWithPolicy();
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    s.send(INIT);
    await s.response(1);
    s.send({ method: 'notifications/initialized' });
    const calls = Array.from({ length: 16 }, (_, i) => {
      s.send({
        id: 10 + i,
        method: 'tools/call',
        params: { name: 'get_totp_code', arguments: { account: 'github:alice', min_remaining_seconds: 0 } },
      });
      return i;
    });
    await s.response(10);
    const exited = new Promise<number | null>((resolve) =>
      s.child.on('exit', (code) => {
        resolve(code);
      }),
    );
    s.child.kill(signal);
    const started = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(s.stderr()).toBe('');
    const events = auditEvents(home).filter((e) => e.agent === 'bot');
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBeLessThanOrEqual(calls.length);
    expectAuditVerifies(home);
  });
});

/** The words a POSIX shell makes of the printed line, as when the person pastes it. */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

/**
 * Claude Code's documented grammar for `claude mcp add`, on commander as Claude Code has it:
 * `-e/--env` is variadic, so it takes every word up to `--` or the next option, and a value
 * without `=` is refused ("Invalid environment variable format").
 */
function claudeMcpAdd(words: string[]): {
  name: string;
  scope: string;
  env: Record<string, string>;
  command: string;
  args: string[];
} {
  expect(words.slice(0, 3)).toEqual(['claude', 'mcp', 'add']);
  let parsed: { name: string; scope: string; env: Record<string, string>; command: string; args: string[] } | undefined;
  const program = new Command('add')
    .exitOverride()
    .argument('<name>')
    .argument('<commandOrUrl>')
    .argument('[args...]')
    .option('-s, --scope <scope>', '', 'local')
    .option('-t, --transport <transport>')
    .option('-e, --env <env...>')
    .action((name: string, command: string, args: string[], o: { scope: string; env?: string[] }) => {
      const env: Record<string, string> = {};
      for (const kv of o.env ?? []) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`Invalid environment variable format: ${kv}`);
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      parsed = { name, scope: o.scope, env, command, args };
    });
  program.parse(words.slice(3), { from: 'user' });
  return parsed!;
}

function stdio(
  home: string,
  client: string,
): { command: string; args: string[]; env: Record<string, string>; text: string; stderr: string } {
  const r = cli(home, ['mcp-config', '--client', client, '--agent', 'bot']);
  expect(r.code, r.stderr).toBe(0);
  let server: Loose;
  switch (client) {
    case 'claude-desktop':
    case 'cursor':
      server = JSON.parse(r.stdout).mcpServers['totp-mcp'];
      break;
    case 'vscode':
      server = JSON.parse(r.stdout).servers['totp-mcp'];
      expect(server.type).toBe('stdio');
      break;
    case 'claude-code': {
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      const added = claudeMcpAdd(shellWords(r.stdout.trim()));
      expect(added.name).toBe('totp-mcp');
      expect(added.scope).toBe('user');
      server = { command: added.command, args: added.args, env: added.env };
      const json = cli(home, ['mcp-config', '--client', client, '--agent', 'bot', '--format', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const fromJson = JSON.parse(json.stdout).mcpServers['totp-mcp'];
      expect(fromJson.type).toBe('stdio');
      expect({ command: fromJson.command, args: fromJson.args, env: fromJson.env }).toEqual(server);
      break;
    }
    case 'codex': {
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe('[mcp_servers.totp_mcp]');
      const value = (key: string) => lines.find((l) => l.startsWith(`${key} = `))!.slice(key.length + 3);
      const env = /^\{ TOTP_MCP_HOME = (".*") \}$/.exec(value('env'));
      server = {
        command: JSON.parse(value('command')),
        args: JSON.parse(value('args')),
        env: { TOTP_MCP_HOME: JSON.parse(env![1]!) },
      };
      break;
    }
  }
  return { ...server, text: r.stdout, stderr: r.stderr };
}

describe('mcp-config', () => {
  it.each(['claude-desktop', 'claude-code', 'cursor', 'vscode', 'codex'])(
    '%s: the snippet has absolute paths and the home, and it starts a working server',
    async (client) => {
      const home = homeWithPolicy();
      const s = stdio(home, client);
      expect(s.command).toBe(process.execPath);
      expect(s.args).toEqual([CLI, 'serve', '--agent', 'bot']);
      expect(s.env).toEqual({ TOTP_MCP_HOME: home });
      expect(s.stderr).not.toBe('');
      const transport = new StdioClientTransport({ command: s.command, args: s.args, env: s.env, stderr: 'pipe' });
      const c = new Client({ name: client, version: '0' });
      await c.connect(transport);
      try {
        const r = await c.callTool({ name: 'list_accounts', arguments: {} });
        expect((r.structuredContent as { accounts: { id: string }[] }).accounts.map((a) => a.id)).toEqual([
          'github:alice',
          'limited',
          'confirm',
        ]);
      } finally {
        await c.close();
      }
    },
  );

  it('quotes what the shell needs, carries the identity and passphrase options, and refuses bad input', async () => {
    const home = homeWithPolicy();
    const r = cli(home, [
      '--identity',
      join(home, 'identity.txt'),
      '--passphrase-command',
      "security find-generic-password -w -s 'totp mcp'",
      'mcp-config',
      '--client',
      'claude-code',
      '--agent',
      'bot',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toContain(`-e TOTP_MCP_IDENTITY=${join(home, 'identity.txt')}`);
    expect(r.stdout.split('\n')[0]).toContain(
      `--passphrase-command 'security find-generic-password -w -s '\\''totp mcp'\\''' serve --agent bot`,
    );
    const server = claudeMcpAdd(shellWords(r.stdout.trim()));
    expect(server.env['TOTP_MCP_IDENTITY']).toBe(join(home, 'identity.txt'));
    expect(server.args).toEqual([
      CLI,
      '--passphrase-command',
      "security find-generic-password -w -s 'totp mcp'",
      'serve',
      '--agent',
      'bot',
    ]);
    expect(cli(home, ['mcp-config', '--client', 'emacs', '--agent', 'bot']).code).toBe(2);
    expect(cli(home, ['mcp-config', '--client', 'vscode']).code).toBe(2);
    expect(cli(home, ['mcp-config', '--client', 'vscode', '--agent', '../x']).code).toBe(2);
    expect(cli(home, ['mcp-config', '--client', 'vscode', '--agent', 'bot', '--format', 'command']).code).toBe(2);
    const shell = spawnSync('sh', ['-c', `printf '%s\\n' ${r.stdout.split('\n')[0]!.split(' -- ')[1]}`], {
      encoding: 'utf8',
    });
    expect(shell.stdout.split('\n')).toContain("security find-generic-password -w -s 'totp mcp'");
    const ok = await cliAsync(home, ['mcp-config', '--client', 'codex', '--agent', 'bot']);
    expect(ok.stdout).toMatch(/^\[mcp_servers\.totp_mcp\]\n/);
  });
});

// Helpers for the MCP tests: real `totp-mcp serve` processes over stdio, driven by the SDK's own
// client (both protocol eras), with every byte the server writes to stdout kept for the purity check.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { expect } from 'vitest';
import { CLI } from '../helpers/build.js';
import { auditEvents as cliAuditEvents, cli } from '../helpers/cli.js';

export { TEST_POLICY, URI, homeWithPolicy, writePolicy } from '../helpers/policy.js';

/** Parsed JSON from a server or the CLI: loosely typed on purpose (tests check it at run time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one alias for test data
export type Loose = any;

export type Era = 'legacy' | 'auto' | 'modern';
export const ERAS: readonly Era[] = ['legacy', 'auto', 'modern'];

export type ElicitAnswer =
  | { action: 'accept'; content: Record<string, string | number | boolean | string[]> }
  | { action: 'decline' }
  | { action: 'cancel' };

export interface Connected {
  client: Client;
  transport: StdioClientTransport;
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** Elicitation requests the server made (their messages). */
  asked: string[];
  close(): Promise<void>;
}

export interface ConnectOptions {
  agent?: string;
  era?: Era;
  /** Declares the elicitation capability and answers with this (default: no capability). */
  elicit?: ((message: string, params: Loose) => ElicitAnswer | Promise<ElicitAnswer>) | undefined;
  /** The client's declared capabilities (default: form elicitation when `elicit` is given, else none). */
  capabilities?: Record<string, unknown> | undefined;
  args?: string[];
  env?: Record<string, string>;
  clientInfo?: { name: string; version: string };
}

/** Raw stdout of every server process started in this test file, per process. */
export const stdoutCaptures: Buffer[][] = [];

export function serverEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { TOTP_MCP_HOME: home, HOME: join(home, '..'), NO_COLOR: '1', ...extra };
}

export async function connect(home: string, opts: ConnectOptions = {}): Promise<Connected> {
  const era = opts.era ?? 'legacy';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', ...(opts.agent === undefined ? [] : ['--agent', opts.agent]), ...(opts.args ?? [])],
    env: serverEnv(home, opts.env),
    cwd: dirname(home),
    stderr: 'pipe',
  });
  // Tap the session child's stdout. An own-property `start` keeps the base class (so `auto`
  // still probes on a throwaway sibling process, as with a real client).
  const chunks: Buffer[] = [];
  stdoutCaptures.push(chunks);
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    const proc = (transport as unknown as { _process?: { stdout?: NodeJS.ReadableStream } })._process;
    proc?.stdout?.on('data', (c: Buffer) => chunks.push(c));
  };
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client(opts.clientInfo ?? { name: 'mcp-test', version: '1.2.3' }, {
    capabilities: opts.capabilities ?? (opts.elicit ? { elicitation: { form: {} } } : {}),
    versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : era },
  });
  const asked: string[] = [];
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler('elicitation/create', async (req) => {
      const message = (req.params as { message: string }).message;
      asked.push(message);
      return answer(message, req.params);
    });
  }
  await client.connect(transport);
  return {
    client,
    transport,
    stderr: () => stderr,
    asked,
    close: async () => {
      await client.close();
    },
  };
}

/** Calls a tool; returns its result with the first text block. */
export async function call(
  c: Connected,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ isError: boolean; text: string; structured: Loose }> {
  const r = await c.client.callTool({ name, arguments: args }, { timeout: 60_000 });
  const content = r.content as { type: string; text?: string }[];
  return {
    isError: r.isError === true,
    text: content.find((b) => b.type === 'text')?.text ?? '',
    structured: r.structuredContent,
  };
}

/** Every line a server wrote to stdout is one JSON-RPC 2.0 message, and the stream ends on a newline. */
export function expectJsonRpcOnly(chunks: readonly Buffer[], where = 'server stdout'): number {
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return 0;
  expect(text.endsWith('\n'), `${where} ends mid-line`).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) {
    let msg: Loose;
    expect(() => (msg = JSON.parse(line)), `${where}: not JSON: ${line.slice(0, 200)}`).not.toThrow();
    expect(msg?.jsonrpc, `${where}: not JSON-RPC 2.0: ${line.slice(0, 200)}`).toBe('2.0');
    const isResponse = 'id' in msg && ('result' in msg || 'error' in msg);
    const isRequestOrNotification = typeof msg.method === 'string';
    expect(
      isResponse || isRequestOrNotification,
      `${where}: neither a response nor a request: ${line.slice(0, 200)}`,
    ).toBe(true);
  }
  return lines.length;
}

/** Called from each file's afterAll: the purity check over every server of the file. */
export function expectAllStdoutClean(): void {
  let lines = 0;
  for (const [i, chunks] of stdoutCaptures.entries()) lines += expectJsonRpcOnly(chunks, `stdout of server #${i}`);
  expect(lines).toBeGreaterThan(0);
}

/** Audit events, parsed (owner and agent events). */
export const auditEvents = (home: string): Loose[] => cliAuditEvents<Loose>(home);

export function expectAuditVerifies(home: string): void {
  const v = cli(home, ['audit', 'verify']);
  expect(v.code, v.stdout + v.stderr).toBe(0);
}

export interface RawSession {
  /** Sends one JSON-RPC message (one line). */
  send(msg: Record<string, unknown>): void;
  /** The response with this id. */
  response(id: number): Promise<Loose>;
  /** Ends stdin and waits for the exit. */
  end(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  readonly child: import('node:child_process').ChildProcessWithoutNullStreams;
  stderr(): string;
}

/** A server process driven line by line, for wire-level tests; its stdout joins the purity check. */
export function rawServe(home: string, args: readonly string[], env: Record<string, string> = {}): RawSession {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...serverEnv(home, env) },
    cwd: dirname(home),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  stdoutCaptures.push(chunks);
  let buffered = '';
  let stderr = '';
  const messages: Loose[] = [];
  const waiters = new Map<number, (m: Loose) => void>();
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    buffered += d.toString('utf8');
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      let m: Loose;
      try {
        m = JSON.parse(line);
      } catch {
        continue; // the purity check reports it
      }
      messages.push(m);
      if (typeof m?.id === 'number') waiters.get(m.id)?.(m);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stderr: () => stderr,
    send: (msg) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`),
    response: (id) =>
      new Promise((resolve) => {
        const found = messages.find((m) => m?.id === id && ('result' in m || 'error' in m));
        if (found) resolve(found);
        else waiters.set(id, resolve);
      }),
    end: async () => {
      child.stdin.end();
      const r = await exited;
      return { ...r, stdout: Buffer.concat(chunks).toString('utf8'), stderr };
    },
  };
}

/** The 2026-07-28 per-request envelope. */
export const modernMeta = (capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-wire', version: '0' },
});

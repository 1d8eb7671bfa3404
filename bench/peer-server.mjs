// A minimal "peer-shaped" MCP server for bench/mcp.mjs: the same SDK and zod, one tool that
// computes a TOTP code with otpauth from a secret passed as an argument (what the TOTP-first
// peers do), and nothing else: no vault, no policy, no audit log. Run unbundled from
// node_modules, as such servers ship.
//
// With `--durable`, it also appends each result as one line to a file opened O_APPEND | O_DSYNC
// (in a temporary folder) before replying: the peer plus the one durable write per call that the
// issue accepts as the price of an audit log, and nothing else of an audit log (no MAC, no lock,
// no policy). It measures that price on this machine, so the figures can show what part of
// totp-mcp's latency is that write and what part is its own work.
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { TOTP } from 'otpauth';
import * as z from 'zod/v4';

const input = z.object({ secret: z.string().max(128), account: z.string().max(64) });
const output = z.object({
  account: z.string(),
  code: z.string(),
  step: z.number().int(),
  expires_at: z.string(),
  remaining_seconds: z.number().int(),
});

const durableDir = process.argv.includes('--durable') ? mkdtempSync(join(tmpdir(), 'totp-bench-peer-')) : undefined;
const durableFd =
  durableDir === undefined
    ? undefined
    : openSync(
        join(durableDir, 'log'),
        constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC,
        0o600,
      );

function createServer() {
  const server = new McpServer({ name: 'peer-totp', version: '0.0.0' });
  server.registerTool(
    'get_totp_code',
    {
      title: 'TOTP code',
      description: 'Computes the TOTP code of a base32 secret.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true },
    },
    ({ secret, account }) => {
      const now = Date.now();
      const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
      const step = Math.floor(now / 30_000);
      const expires = (step + 1) * 30_000;
      const out = {
        account,
        code: totp.generate({ timestamp: now }),
        step,
        expires_at: new Date(expires).toISOString(),
        remaining_seconds: Math.ceil((expires - now) / 1000),
      };
      const text = JSON.stringify(out);
      if (durableFd !== undefined) writeSync(durableFd, `${text}\n`);
      return { content: [{ type: 'text', text }], structuredContent: out };
    },
  );
  return server;
}

const handle = serveStdio(() => createServer());
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => void handle.close());
process.on('exit', () => {
  if (durableFd !== undefined) closeSync(durableFd);
  if (durableDir !== undefined) rmSync(durableDir, { recursive: true, force: true });
});

// A minimal "peer-shaped" MCP server for bench/mcp.mjs: the same SDK and zod, one tool that
// computes a TOTP code with otpauth from a secret passed as an argument (what the TOTP-first
// peers do), and nothing else: no vault, no policy, no audit log. Run unbundled from
// node_modules, as such servers ship.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { TOTP } from 'otpauth';
import * as z from 'zod/v4';

const input = z.object({ secret: z.string().max(128), account: z.string().max(64) });
const output = z.object({ account: z.string(), code: z.string(), step: z.number().int(), expires_at: z.string(), remaining_seconds: z.number().int() });

function createServer() {
  const server = new McpServer({ name: 'peer-totp', version: '0.0.0' });
  server.registerTool(
    'get_totp_code',
    { title: 'TOTP code', description: 'Computes the TOTP code of a base32 secret.', inputSchema: input, outputSchema: output, annotations: { readOnlyHint: true } },
    ({ secret, account }) => {
      const now = Date.now();
      const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
      const step = Math.floor(now / 30_000);
      const expires = (step + 1) * 30_000;
      const out = { account, code: totp.generate({ timestamp: now }), step, expires_at: new Date(expires).toISOString(), remaining_seconds: Math.ceil((expires - now) / 1000) };
      return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
    },
  );
  return server;
}

const handle = serveStdio(() => createServer());
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => void handle.close());

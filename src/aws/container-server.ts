/**
 * A loopback container-credentials endpoint (reference §9): what the SDKs read through
 * AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN. Each request asks
 * `serve` (policy, audit, cache) for fresh credentials, so a long Terraform apply keeps working
 * past one session.
 *
 * Bounded: 127.0.0.1 only, a Host check (DNS rebinding), a bearer token compared in constant
 * time, GET on one path, no body, a connection cap, header and request timeouts, a token bucket.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTotpMcpError } from '../core/errors.js';

export const CONTAINER_PATH = '/credentials';

export interface ContainerServer {
  url: string;
  token: string;
  /** Requests answered, by status. */
  readonly stats: Map<number, number>;
  close(): Promise<void>;
}

export interface ContainerOptions {
  /** 0 (default): any free port. */
  port?: number | undefined;
  /** The credentials JSON for one request; a thrown TotpMcpError becomes a JSON error. */
  serve(): Promise<string>;
  /** Requests per second allowed on average (burst twice that). */
  ratePerSecond?: number | undefined;
  maxConnections?: number | undefined;
  /** Called for each failed request, for a log line (never a secret). */
  onError?: ((status: number, message: string) => void) | undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of a presented bearer token (any length) with ours. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const p = presented.startsWith('Bearer ') ? presented.slice(7) : presented;
  return timingSafeEqual(digest(p), digest(token));
}

export async function startContainerServer(opts: ContainerOptions): Promise<ContainerServer> {
  const token = randomBytes(32).toString('base64url');
  const stats = new Map<number, number>();
  const rate = opts.ratePerSecond ?? 10;
  let tokens = rate * 2;
  let last = Date.now();
  let port = 0;

  const reply = (res: ServerResponse, status: number, body: string, why?: string): void => {
    stats.set(status, (stats.get(status) ?? 0) + 1);
    if (status !== 200) opts.onError?.(status, why ?? body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string): void => {
    reply(res, status, JSON.stringify({ code, message }), `${code}: ${message}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const now = Date.now();
    tokens = Math.min(rate * 2, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) {
      error(res, 429, 'throttled', 'too many requests');
      return;
    }
    tokens -= 1;
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      error(res, 403, 'forbidden', 'unexpected Host header');
      return;
    }
    if (!tokenMatches(req.headers.authorization, token)) {
      error(res, 401, 'unauthorized', 'missing or wrong authorization token');
      return;
    }
    if (req.method !== 'GET') {
      error(res, 405, 'method_not_allowed', 'GET only');
      return;
    }
    if ((req.url ?? '').split('?')[0] !== CONTAINER_PATH) {
      error(res, 404, 'not_found', 'unknown path');
      return;
    }
    try {
      reply(res, 200, await opts.serve());
    } catch (e) {
      if (isTotpMcpError(e)) error(res, e.code === 'denied' ? 403 : 500, e.code, e.message);
      else error(res, 500, 'internal', 'internal error');
    }
  };

  const server = createServer((req, res) => {
    req.resume(); // no body is read
    void handle(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'internal', 'internal error');
    });
  });
  server.maxConnections = opts.maxConnections ?? 32;
  server.headersTimeout = 5_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: opts.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${CONTAINER_PATH}`,
    token,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/**
 * A loopback container-credentials endpoint: what the SDKs read through
 * AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN. Each request asks
 * `serve` (policy, audit, cache) for fresh credentials, so a long Terraform apply keeps working
 * past one session.
 *
 * Bounded: 127.0.0.1 only, a Host check (DNS rebinding), a bearer token compared in constant
 * time, GET on one path, no body, a connection cap, header and request timeouts, a token bucket.
 *
 * Without the token, nobody can starve the token holder:
 * - Host and token are checked first; a refused request is answered at once with a fixed body and
 *   its connection closed, and it never spends the token bucket, which only authenticated
 *   requests (the ones that reach `serve`) draw from;
 * - a connection that has not sent a complete authenticated request within PENDING_MS is
 *   dropped (slowloris), and such connections have a cap of their own: at the cap, the oldest one
 *   is dropped for the newcomer, so they never fill the slots of authenticated clients;
 * - refusals are logged in summary (at most one line per LOG_EVERY_MS), not one line each.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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
  /** Cap on connections that sent an authenticated request (default 32). */
  maxConnections?: number | undefined;
  /** Cap on connections that have not (yet): at the cap the oldest is dropped (default 128). */
  maxPending?: number | undefined;
  /** How long a connection may take to send a complete authenticated request (default 2 s). */
  pendingMs?: number | undefined;
  /** Called for each failed request, for a log line (never a secret). */
  onError?: ((status: number, message: string) => void) | undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const PENDING_MS = 2_000;
const LOG_EVERY_MS = 10_000;

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

  const maxAuthed = opts.maxConnections ?? 32;
  const maxPending = opts.maxPending ?? 128;
  const pendingMs = opts.pendingMs ?? PENDING_MS;
  /** Connections without an authenticated request yet, oldest first. */
  const pending = new Map<Socket, NodeJS.Timeout>();
  const authed = new Set<Socket>();

  const reply = (res: ServerResponse, status: number, body: string, why?: string): void => {
    stats.set(status, (stats.get(status) ?? 0) + 1);
    if (status !== 200) opts.onError?.(status, why ?? body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string): void => {
    reply(res, status, JSON.stringify({ code, message }), `${code}: ${message}`);
  };

  // Unauthenticated refusals: fixed bodies, the connection closed, one log line per period.
  const BODY_403 = JSON.stringify({ code: 'forbidden', message: 'unexpected Host header' });
  const BODY_401 = JSON.stringify({ code: 'unauthorized', message: 'missing or wrong authorization token' });
  let quiet = 0;
  let logAfter = 0;
  const refuse = (res: ServerResponse, status: 401 | 403): void => {
    stats.set(status, (stats.get(status) ?? 0) + 1);
    const now = Date.now();
    if (now >= logAfter) {
      const more = quiet > 0 ? ` (and ${quiet} more refused without the token since the last report)` : '';
      opts.onError?.(
        status,
        `${status === 403 ? 'forbidden: unexpected Host header' : 'unauthorized: missing or wrong authorization token'}${more}`,
      );
      quiet = 0;
      logAfter = now + LOG_EVERY_MS;
    } else quiet++;
    res.shouldKeepAlive = false;
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': status === 403 ? BODY_403.length : BODY_401.length,
      connection: 'close',
    });
    res.end(status === 403 ? BODY_403 : BODY_401);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      refuse(res, 403);
      return;
    }
    if (!tokenMatches(req.headers.authorization, token)) {
      refuse(res, 401);
      return;
    }
    // The token holder's connection: out of the pending set, into the authenticated cap.
    const socket = req.socket;
    const timer = pending.get(socket);
    if (timer !== undefined) {
      clearTimeout(timer);
      pending.delete(socket);
      if (authed.size >= maxAuthed) {
        res.shouldKeepAlive = false;
        error(res, 503, 'busy', 'too many connections');
        return;
      }
      authed.add(socket);
    }
    const now = Date.now();
    tokens = Math.min(rate * 2, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) {
      error(res, 429, 'throttled', 'too many requests');
      return;
    }
    tokens -= 1;
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

  // Node enforces headersTimeout / requestTimeout on this interval (30 s by default).
  const server = createServer({ connectionsCheckingInterval: 500, maxHeaderSize: 8_192 }, (req, res) => {
    req.resume(); // no body is read
    void handle(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'internal', 'internal error');
    });
  });
  server.on('connection', (socket: Socket) => {
    if (pending.size >= maxPending) {
      const [oldest, timer] = pending.entries().next().value as [Socket, NodeJS.Timeout];
      clearTimeout(timer);
      pending.delete(oldest);
      oldest.destroy();
    }
    const timer = setTimeout(() => {
      if (pending.delete(socket)) socket.destroy();
    }, pendingMs);
    timer.unref();
    pending.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      pending.delete(socket);
      authed.delete(socket);
    });
  });
  // A last bound on descriptors; the two caps above keep it from being reached.
  server.maxConnections = maxAuthed + maxPending + 1;
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
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
        if (quiet > 0) opts.onError?.(401, `${quiet} more requests refused without the token since the last report`);
        quiet = 0;
        for (const [socket, timer] of pending) {
          clearTimeout(timer);
          socket.destroy();
        }
        pending.clear();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

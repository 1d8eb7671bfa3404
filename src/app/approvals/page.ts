/**
 * The browser channel (issue 14): a one-time approval page on loopback.
 *
 * - Listens on 127.0.0.1 (and ::1 on the same port where it can), on a random port, only while a
 *   question is open; serves nothing but `/approve/<token>`.
 * - A token is 256 random bits, good for one question and one decision. The page carries a
 *   per-page nonce; a decision is taken only as a form POST with that nonce, a Host header naming
 *   this listener's own address (DNS rebinding), and no Origin but its own (CSRF).
 * - Every answer has no external resource, a strict Content-Security-Policy, no-store, no referrer
 *   and may not be framed. A used, expired or withdrawn token gets a page that says so and
 *   changes nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { peerUid } from './peer-uid.js';

export type PageDecision = 'once' | 'ttl' | 'deny';
type Closed = 'answered' | 'expired' | 'withdrawn';

/** What the page shows: names and times only. */
export interface PageQuestion {
  readonly agent: string;
  readonly client: string | null;
  readonly account: string;
  /** e.g. "TOTP code", "AWS session". */
  readonly action: string;
  /** Extra lines for an AWS session: role, duration, delivery. */
  readonly details: readonly (readonly [string, string])[];
  readonly question: string;
  readonly askedAt: number;
  readonly expiresAt: number;
  /** The rule's approval_ttl, when it has one ("Allow for …"). */
  readonly ttlLabel: string | null;
}

interface Entry {
  readonly q: PageQuestion;
  readonly nonce: string;
  readonly decide: (d: PageDecision) => void;
  closed: Closed | null;
}

const MAX_BODY = 4096;
/** Closed tokens remembered (to say "already used" rather than "unknown"), at most. */
const MAX_CLOSED = 256;

const CSS = `body{font:16px/1.45 system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;color:#111;background:#fafafa}
h1{font-size:1.3em}table{border-collapse:collapse;margin:1em 0}th{text-align:left;padding:.25em 1em .25em 0;color:#555;font-weight:normal}
td{padding:.25em 0;font-weight:600}form{display:flex;gap:.6em;flex-wrap:wrap}button{font-size:1em;padding:.55em 1.1em;border-radius:.4em;border:1px solid #888;cursor:pointer}
.allow{background:#1f7a3a;color:#fff;border-color:#1f7a3a}.deny{background:#fff;color:#a11}.note{color:#555;font-size:.9em}`;
const CSS_HASH = createHash('sha256').update(CSS).digest('base64');
const CSP = `default-src 'none'; style-src 'sha256-${CSS_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
const time = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

function html(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${CSS}</style></head><body>${body}</body></html>`;
}

const CLOSED_TEXT: Record<Closed | 'unknown', string> = {
  answered: 'This request has already been answered. Nothing was changed.',
  expired: 'This request has expired: nobody answered in time. Nothing was changed.',
  withdrawn: 'This request was withdrawn by the client. Nothing was changed.',
  unknown: 'This approval link is not valid, or has expired. Nothing was changed.',
};

export class ApprovalPage {
  readonly #open = new Map<string, Entry>();
  readonly #closed = new Map<string, Closed>();
  #servers: Server[] = [];
  #port = 0;
  #starting: Promise<void> | undefined;

  /** The port while listening (tests, diagnostics). */
  get port(): number {
    return this.#port;
  }

  /** Registers a question and returns its one-time URL, starting the listener on first need. */
  async add(q: PageQuestion, decide: (d: PageDecision) => void): Promise<{ token: string; url: string }> {
    await this.#start();
    const token = randomBytes(32).toString('base64url');
    this.#open.set(token, { q, nonce: randomBytes(24).toString('base64url'), decide, closed: null });
    return { token, url: `http://127.0.0.1:${this.#port}/approve/${token}` };
  }

  /** Closes a token (answered elsewhere, expired, withdrawn); stops the listener when none is open. */
  close(token: string, why: Closed): void {
    const e = this.#open.get(token);
    if (e === undefined) return;
    this.#open.delete(token);
    this.#remember(token, e.closed ?? why);
    if (this.#open.size === 0) this.stop();
  }

  stop(): void {
    // Stops accepting at once; a response being written (the decision's own page) still finishes,
    // and every response closes its connection.
    for (const s of this.#servers) {
      s.close();
      s.closeIdleConnections();
    }
    this.#servers = [];
    this.#port = 0;
    this.#starting = undefined;
    this.#closed.clear();
  }

  #remember(token: string, why: Closed): void {
    if (this.#closed.size >= MAX_CLOSED) {
      const first = this.#closed.keys().next();
      if (!first.done) this.#closed.delete(first.value);
    }
    this.#closed.set(token, why);
  }

  #start(): Promise<void> {
    this.#starting ??= (async () => {
      const v4 = await listen(this.#handler, '127.0.0.1', 0);
      this.#servers = [v4];
      this.#port = (v4.address() as AddressInfo).port;
      // ::1 on the same port where the system has it; without it, 127.0.0.1 alone serves.
      await listen(this.#handler, '::1', this.#port).then(
        (s) => this.#servers.push(s),
        () => undefined,
      );
    })();
    return this.#starting;
  }

  readonly #handler = (req: IncomingMessage, res: ServerResponse): void => {
    void this.#handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, html('Error', '<p>Something went wrong. Nothing was changed.</p>'));
    });
  };

  #ownHost(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.#port}` || host === `[::1]:${this.#port}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a page from another site that rebinds its name to 127.0.0.1 sends its own Host.
    // Only the user this server runs as: the URL went through a command line other users can read.
    const uid = process.getuid?.();
    if (uid !== undefined) {
      const peer = peerUid(req.socket.remotePort ?? 0, this.#port);
      if (peer !== undefined && peer !== uid) {
        send(res, 403, refused('this page answers only its own user'));
        return;
      }
    }
    if (!this.#ownHost(req.headers.host)) {
      send(res, 421, refused('wrong host'));
      return;
    }
    const m = /^\/approve\/([A-Za-z0-9_-]{43})$/.exec(req.url ?? '');
    if (!m) {
      send(res, 404, html('Not found', '<p>Not found.</p>'));
      return;
    }
    const token = m[1] as string;
    if (req.method === 'GET') {
      const e = this.#open.get(token);
      if (e === undefined) send(res, 410, this.#closedPage(token));
      else send(res, 200, page(token, e));
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, html('Refused', '<p>Refused.</p>'), { Allow: 'GET, POST' });
      return;
    }
    // CSRF: a browser names the page a form was sent from; only this listener's own pages may decide.
    // CSRF: a browser names the site a form was sent from. Under `Referrer-Policy: no-referrer`
    // Chromium sends `Origin: null` even for its own page's form, so `null` counts only with
    // `Sec-Fetch-Site: same-origin` (which the browser sets itself, and no page can).
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const ownOrigin = origin !== undefined && origin.startsWith('http://') && this.#ownHost(origin.slice(7));
    if (
      (origin !== undefined && !ownOrigin && !(origin === 'null' && site === 'same-origin')) ||
      (site !== undefined && site !== 'same-origin' && site !== 'none')
    ) {
      send(res, 403, refused('this form came from another site'));
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      send(res, 415, refused('not a form'));
      return;
    }
    const body = await readBody(req);
    const e = this.#open.get(token);
    if (e === undefined) {
      send(res, 410, this.#closedPage(token));
      return;
    }
    const form = new URLSearchParams(body ?? '');
    const nonce = form.get('nonce') ?? '';
    const decision = form.get('decision');
    if (
      body === undefined ||
      !sameText(nonce, e.nonce) ||
      !(decision === 'once' || decision === 'deny' || (decision === 'ttl' && e.q.ttlLabel !== null))
    ) {
      send(res, 403, refused('this is not a valid answer to the request'));
      return;
    }
    // One decision per token: taken here, before anyone else can post.
    e.closed = 'answered';
    this.close(token, 'answered');
    e.decide(decision);
    const done =
      decision === 'deny'
        ? '<h1>Denied</h1><p>The agent gets no code. You can close this tab.</p>'
        : `<h1>Allowed</h1><p>${decision === 'ttl' ? `Allowed for ${esc(e.q.ttlLabel ?? '')}.` : 'Allowed once.'} You can close this tab.</p>`;
    send(res, 200, html(decision === 'deny' ? 'Denied' : 'Allowed', done));
  }

  #closedPage(token: string): string {
    return html('Closed', `<h1>Nothing to approve</h1><p>${CLOSED_TEXT[this.#closed.get(token) ?? 'unknown']}</p>`);
  }
}

const refused = (why: string): string => html('Refused', `<h1>Refused</h1><p>${esc(why)}. Nothing was changed.</p>`);

function page(token: string, e: Entry): string {
  const q = e.q;
  const rows: [string, string][] = [
    ['Agent', q.agent],
    ['Client (as it names itself)', q.client ?? 'not given'],
    ['Account', q.account],
    ['Action', q.action],
    ...q.details.map(([k, v]) => [k, v] as [string, string]),
    ['Asked at', time(q.askedAt)],
    ['Open until', time(q.expiresAt)],
  ];
  const ttl =
    q.ttlLabel === null
      ? ''
      : `<button class="allow" name="decision" value="ttl" type="submit">Allow for ${esc(q.ttlLabel)}</button>`;
  return html(
    'totp-mcp: approve?',
    `<h1>Approve this request?</h1><p>${esc(q.question)}</p>
<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<form method="post" action="/approve/${token}"><input type="hidden" name="nonce" value="${esc(e.nonce)}">
<button class="allow" name="decision" value="once" type="submit">Allow once</button>${ttl}
<button class="deny" name="decision" value="deny" type="submit">Deny</button></form>
<p class="note">This page works once. It was opened by totp-mcp on this computer; only you should answer it.</p>`,
  );
}

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': CSP,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    Connection: 'close',
    ...extra,
  });
  res.end(body);
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      resolve(undefined);
    });
  });
}

function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer(handler);
    s.headersTimeout = 10_000;
    s.requestTimeout = 15_000;
    s.once('error', reject);
    s.listen({ host, port, exclusive: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

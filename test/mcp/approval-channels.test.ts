// Issue 14: approval in every client. A client that cannot ask (as Claude Desktop) gets the loopback
// approval page, opened through $BROWSER (here a script that writes the URL down) and clicked in a
// real browser (Debian's chromium, driven by playwright-core); a client with URL-mode elicitation
// gets the URL through the client instead; a headless person answers with `totp-mcp approvals`.
// The page refuses forged, rebinding, cross-site, replayed, expired and crossed answers.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliAsync, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/build.js';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  homeWithPolicy,
  type Connected,
  type Loose,
} from './helpers.js';

const POLICY = `version: 1
agents:
  bot: {}
rules:
  - id: bot-page
    agents: [bot]
    accounts: [confirm, "github:bank"]
    actions: [code]
    approval: confirm
    approval_ttl: 10m
  - id: bot-short
    agents: [bot]
    accounts: [limited]
    actions: [code]
    approval: confirm
    approval_timeout: 3s
  - id: bot-terminal
    agents: [bot]
    accounts: ["github:alice"]
    actions: [code]
    approval: confirm
    approval_via: [terminal]
`;

let home: string;
let browser: Browser;
let urlFile: string;
let browserScript: string;

beforeAll(async () => {
  home = homeWithPolicy(POLICY);
  const dir = tempDir('totp-mcp-browser-');
  urlFile = join(dir, 'urls.txt');
  browserScript = join(dir, 'browser.sh');
  // $BROWSER: the URL is the last argument; this one only writes it down for the test to open.
  writeFileSync(browserScript, `#!/bin/sh\nfor a; do url="$a"; done\necho "$url" >> '${urlFile}'\n`);
  chmodSync(browserScript, 0o755);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
}, 120_000);
afterAll(async () => {
  await browser.close();
  expectAllStdoutClean();
});

const urls = (): string[] =>
  existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim().split('\n').filter(Boolean) : [];

async function nextUrl(before: number): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const u = urls();
    if (u.length > before) return u[before] as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no URL was handed to $BROWSER');
}

const desktop = (): Promise<Connected> =>
  connect(home, {
    agent: 'bot',
    env: { BROWSER: browserScript },
    clientInfo: { name: 'claude-desktop', version: '1' },
  });

const lastEvent = (account: string): Loose =>
  auditEvents(home)
    .filter((e) => e.account === account && e.action === 'code')
    .at(-1);

/** A raw HTTP request, so that Host and Origin can be anything. */
function raw(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; headers: Loose }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method, headers: { Host: u.host, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const nonceOf = (html: string): string => /name="nonce" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('the approval page in a real browser (a client without elicitation, as Claude Desktop)', () => {
  it('Allow once: the agent gets its code, with progress while it waited; the audit says browser/confirmed', async () => {
    const c = await desktop();
    try {
      const before = urls().length;
      const progress: Loose[] = [];
      const pending = c.client.callTool(
        { name: 'get_totp_code', arguments: { account: 'confirm' } },
        { timeout: 60_000, onprogress: (p: Loose) => progress.push(p) },
      );
      const url = await nextUrl(before);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/approve\/[A-Za-z0-9_-]{43}$/);
      const page = await browser.newPage();
      const res = await page.goto(url);
      expect(res?.status()).toBe(200);
      const h = res?.headers() ?? {};
      expect(h['content-security-policy']).toContain("default-src 'none'");
      expect(h['cache-control']).toBe('no-store');
      expect(h['referrer-policy']).toBe('no-referrer');
      expect(h['x-frame-options']).toBe('DENY');
      const text = await page.textContent('body');
      expect(text).toContain('bot');
      expect(text).toContain('claude-desktop');
      expect(text).toContain('confirm');
      expect(text).toContain('Allow for 10 min');
      if (process.env['UPDATE_SCREENSHOT'] === '1') {
        mkdirSync(join(ROOT, 'docs'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'docs', 'approval-page.png'), fullPage: true });
      }
      await page.click('button[value="once"]');
      await page.waitForSelector('h1');
      expect(await page.textContent('h1')).toBe('Allowed');
      const r = await pending;
      expect(r.isError).not.toBe(true);
      expect((r.structuredContent as Loose).code).toMatch(/^\d{6}$/);
      expect(progress.length).toBeGreaterThan(0);
      expect(lastEvent('confirm')).toMatchObject({
        decision: 'allow',
        approval: 'confirmed',
        reason: 'allowed:browser',
        client: { name: 'claude-desktop' },
      });
      // No question is open any more: the listener is gone with it.
      await expect(page.goto(url)).rejects.toThrow(/ERR_CONNECTION_REFUSED/);
      await page.close();
    } finally {
      await c.close();
    }
  });

  it('Deny: the agent gets approval_declined; the audit says browser/declined', async () => {
    const c = await desktop();
    try {
      const before = urls().length;
      const pending = call(c, 'get_totp_code', { account: 'confirm' });
      const page = await browser.newPage();
      await page.goto(await nextUrl(before));
      await page.click('button[value="deny"]');
      await page.waitForSelector('h1');
      expect(await page.textContent('h1')).toBe('Denied');
      const r = await pending;
      expect(r.isError).toBe(true);
      expect(r.text).toBe('approval_declined: the person declined the request');
      expect(lastEvent('confirm')).toMatchObject({
        decision: 'deny',
        approval: 'declined',
        reason: 'approval_declined:browser',
      });
      await page.close();
    } finally {
      await c.close();
    }
  });
});

describe('other clients', () => {
  it('a client with URL-mode elicitation gets the URL through the client, not through $BROWSER', async () => {
    const shown: string[] = [];
    const c = await connect(home, {
      agent: 'bot',
      env: { BROWSER: browserScript },
      capabilities: { elicitation: { url: {} } },
      elicit: (_m, params: Loose) => {
        if (params.mode === 'url') shown.push(params.url as string);
        return { action: 'accept', content: {} };
      },
    });
    try {
      const before = urls().length;
      const pending = call(c, 'get_totp_code', { account: 'confirm' });
      for (let i = 0; i < 300 && shown.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(shown).toHaveLength(1);
      const page = await browser.newPage();
      await page.goto(shown[0] as string);
      await page.click('button[value="once"]');
      await page.waitForSelector('h1');
      const r = await pending;
      expect(r.isError).toBe(false);
      expect(urls().length).toBe(before);
      expect(lastEvent('confirm')).toMatchObject({ decision: 'allow', reason: 'allowed:browser' });
      await page.close();
    } finally {
      await c.close();
    }
  });

  it('a client with no elicitation gets its code after `totp-mcp approvals approve` (terminal-only rule: no page)', async () => {
    const c = await desktop();
    try {
      const before = urls().length;
      const pending = call(c, 'get_totp_code', { account: 'github:alice' });
      let list: Loose[] = [];
      for (let i = 0; i < 50 && list.length === 0; i++) {
        const r = await cliAsync(home, ['approvals', '--json']);
        expect(r.code, r.stderr).toBe(0);
        list = JSON.parse(r.stdout);
      }
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        agent: 'bot',
        client: 'claude-desktop',
        account: 'github:alice',
        action: 'code',
      });
      const human = await cliAsync(home, ['approvals']);
      expect(human.stdout).toContain(list[0].id);
      const ok = await cliAsync(home, ['approvals', 'approve', list[0].id]);
      expect(ok.code, ok.stderr).toBe(0);
      const r = await pending;
      expect(r.isError).toBe(false);
      expect(r.structured.code).toMatch(/^\d{6}$/);
      expect(urls().length).toBe(before);
      expect(lastEvent('github:alice')).toMatchObject({
        decision: 'allow',
        approval: 'confirmed',
        reason: 'allowed:terminal',
      });
      // Answered once: a second answer finds nothing open.
      const again = await cliAsync(home, ['approvals', 'deny', list[0].id]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('no open approval request with this id');
    } finally {
      await c.close();
    }
  });

  it('an answer file written without the vault key is ignored: nothing approved (forged terminal answer)', async () => {
    const c = await desktop();
    try {
      const pending = call(c, 'get_totp_code', { account: 'github:alice' });
      let list: Loose[] = [];
      for (let i = 0; i < 50 && list.length === 0; i++)
        list = JSON.parse((await cliAsync(home, ['approvals', '--json'])).stdout);
      const id = list[0].id as string;
      const dir = join(home, 'state', 'approvals');
      // Everything a same-user process without the vault can know (the question file is readable to it), but the MAC.
      const key = JSON.parse(readFileSync(join(dir, `q-${id}.json`), 'utf8')).body.key as string;
      writeFileSync(
        join(dir, `a-${id}.json`),
        JSON.stringify({ v: 1, body: { id, key, answer: 'confirmed', remember_seconds: 0 }, mac: '0'.repeat(64) }),
        { mode: 0o600 },
      );
      await new Promise((r) => setTimeout(r, 1000));
      // Still open: the forged answer was read and thrown away.
      const still = JSON.parse((await cliAsync(home, ['approvals', '--json'])).stdout) as Loose[];
      expect(still.map((q) => q.id)).toContain(id);
      expect((await cliAsync(home, ['approvals', 'deny', id])).code).toBe(0);
      const r = await pending;
      expect(r.isError).toBe(true);
      expect(lastEvent('github:alice')).toMatchObject({ decision: 'deny', reason: 'approval_declined:terminal' });
    } finally {
      await c.close();
    }
  });
});

describe('the client first, where it can ask', () => {
  it('a client with form elicitation is asked in the session: no page is opened', async () => {
    const c = await connect(home, {
      agent: 'bot',
      env: { BROWSER: browserScript },
      elicit: () => ({ action: 'accept', content: { confirm: true } }),
    });
    try {
      const before = urls().length;
      const r = await call(c, 'get_totp_code', { account: 'confirm' });
      expect(r.isError).toBe(false);
      expect(c.asked).toHaveLength(1);
      expect(urls().length).toBe(before);
      expect(lastEvent('confirm')).toMatchObject({ decision: 'allow', approval: 'confirmed', reason: 'allowed' });
    } finally {
      await c.close();
    }
  });

  it("the rule's approval_timeout bounds the client's prompt too (3 s here, no --approval-timeout)", async () => {
    const c = await connect(home, {
      agent: 'bot',
      env: { BROWSER: browserScript },
      elicit: () => new Promise(() => undefined),
    });
    try {
      const t0 = Date.now();
      const r = await call(c, 'get_totp_code', { account: 'limited' });
      expect(r.text).toBe('approval_declined: the person did not answer the approval request in time');
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(lastEvent('limited')).toMatchObject({ decision: 'deny', approval: 'timeout' });
    } finally {
      await c.close();
    }
  });

  it('doctor says whether an approval page can be opened and a notification sent', () => {
    const r = cli(home, ['doctor'], { env: { BROWSER: browserScript } });
    expect(r.stdout).toMatch(/approvals\s+approval pages open with \$BROWSER/);
    expect(r.stdout).toMatch(/notifier\s+/);
  });
});

describe('attacks on the page: each refused, nothing approved', () => {
  it('forged POST without the nonce, wrong Host, foreign Origin, token of another request, reused and expired tokens', async () => {
    const c = await desktop();
    try {
      const n0 = urls().length;
      const a = call(c, 'get_totp_code', { account: 'confirm' });
      const urlA = await nextUrl(n0);
      const b = call(c, 'get_totp_code', { account: 'github:bank' });
      const urlB = await nextUrl(n0 + 1);
      const nonceA = nonceOf((await raw(urlA, 'GET')).text);
      const nonceB = nonceOf((await raw(urlB, 'GET')).text);
      expect(nonceA).not.toBe('');
      const port = new URL(urlA).port;
      const allow = (nonce: string) => form({ nonce, decision: 'once' });

      // CSRF: a POST without the nonce.
      expect((await raw(urlA, 'POST', FORM, form({ decision: 'once' }))).status).toBe(403);
      // DNS rebinding: the right socket, another site's Host.
      expect((await raw(urlA, 'POST', { ...FORM, Host: `evil.example:${port}` }, allow(nonceA))).status).toBe(421);
      expect((await raw(urlA, 'GET', { Host: `evil.example:${port}` })).status).toBe(421);
      // Cross-site form post.
      expect((await raw(urlA, 'POST', { ...FORM, Origin: 'http://evil.example' }, allow(nonceA))).status).toBe(403);
      expect((await raw(urlA, 'POST', { ...FORM, Origin: 'null' }, allow(nonceA))).status).toBe(403);
      expect((await raw(urlA, 'POST', { ...FORM, 'Sec-Fetch-Site': 'cross-site' }, allow(nonceA))).status).toBe(403);
      // The nonce of another request.
      expect((await raw(urlA, 'POST', FORM, allow(nonceB))).status).toBe(403);
      // Allow for a TTL the rule does not have... this rule has one; a decision that is not one is refused.
      expect((await raw(urlA, 'POST', FORM, form({ nonce: nonceA, decision: 'always' }))).status).toBe(403);
      // Nothing was approved: A's page is still open.
      expect((await raw(urlA, 'GET')).status).toBe(200);

      // The real answer, then a replay of it.
      const ok = await raw(urlA, 'POST', { ...FORM, Origin: `http://127.0.0.1:${port}` }, allow(nonceA));
      expect(ok.status).toBe(200);
      const replay = await raw(urlA, 'POST', FORM, allow(nonceA));
      expect(replay.status).toBe(410);
      expect(replay.text).toContain('already been answered');
      expect((await a).isError).toBe(false);

      // An expired token (B keeps the listener up): the page says so, and the call is refused.
      const n2 = urls().length;
      const short = call(c, 'get_totp_code', { account: 'limited' });
      const urlS = await nextUrl(n2);
      const nonceS = nonceOf((await raw(urlS, 'GET')).text);
      const refused = await short;
      expect(refused.text).toBe('approval_declined: nobody answered in time');
      const late = await raw(urlS, 'POST', FORM, allow(nonceS));
      expect(late.status).toBe(410);
      expect(late.text).toContain('expired');
      expect(lastEvent('limited')).toMatchObject({ decision: 'deny', approval: 'expired', reason: 'approval_expired' });

      // B ends with a deny; A was allowed exactly once, nothing else.
      expect((await raw(urlB, 'POST', FORM, form({ nonce: nonceB, decision: 'deny' }))).status).toBe(200);
      expect((await b).isError).toBe(true);
      const approvals = auditEvents(home)
        .slice(-3)
        .map((e: Loose) => [e.account, e.decision, e.reason]);
      expect(approvals).toEqual([
        ['confirm', 'allow', 'allowed:browser'],
        ['limited', 'deny', 'approval_expired'],
        ['github:bank', 'deny', 'approval_declined:browser'],
      ]);
      // No question open: the listener is gone.
      await expect(raw(urlA, 'GET')).rejects.toThrow();
    } finally {
      await c.close();
    }
  });

  it.runIf(process.getuid?.() === 0)(
    'another local user who read the URL (from ps) is refused: the page answers only its own user',
    async () => {
      const c = await desktop();
      try {
        const n0 = urls().length;
        const pending = call(c, 'get_totp_code', { account: 'confirm' });
        const url = await nextUrl(n0);
        const script = `fetch(${JSON.stringify(url)}).then(async r => console.log(r.status, await r.text()))`;
        const other = spawnSync(process.execPath, ['-e', script], {
          uid: 65534,
          gid: 65534,
          encoding: 'utf8',
          cwd: '/',
        });
        expect(other.stdout).toMatch(/^403 .*this page answers only its own user/s);
        // Nothing was given away or approved: the owner's answer still counts.
        const nonce = nonceOf((await raw(url, 'GET')).text);
        expect((await raw(url, 'POST', FORM, form({ nonce, decision: 'deny' }))).status).toBe(200);
        expect((await pending).isError).toBe(true);
      } finally {
        await c.close();
      }
    },
  );

  it('a client cancellation withdraws the question: audited as withdrawn, the page closes', async () => {
    const c = await desktop();
    try {
      const n0 = urls().length;
      const ac = new AbortController();
      const pending = c.client
        .callTool({ name: 'get_totp_code', arguments: { account: 'confirm' } }, { signal: ac.signal, timeout: 60_000 })
        .catch((e: unknown) => e);
      const url = await nextUrl(n0);
      expect((await raw(url, 'GET')).status).toBe(200);
      ac.abort('changed my mind');
      await pending;
      let e: Loose;
      for (let i = 0; i < 50; i++) {
        e = lastEvent('confirm');
        if (e?.approval === 'withdrawn') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(e).toMatchObject({ decision: 'deny', approval: 'withdrawn', reason: 'approval_withdrawn' });
      await expect(raw(url, 'GET')).rejects.toThrow();
    } finally {
      await c.close();
    }
  });
});

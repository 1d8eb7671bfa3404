// Issue 17 end to end: a real stdio MCP session fills a code into a real chromium (the agent's
// browser, driven over CDP by the test as a browser tool would), on a loopback origin listed for
// the account. The code is checked as the page received it, against oathtool, and looked for
// everywhere else: the tool result, stderr, the audit log and every message on the wire.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, newHome } from '../helpers/cli.js';
import { Chromium, haveChromium } from '../helpers/chromium.js';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  stdoutCaptures,
  writePolicy,
  type Connected,
} from './helpers.js';

const ci = process.env['CI'] === 'true';
const present = haveChromium() && spawnSync('oathtool', ['--version']).status === 0;
if (ci && !present) throw new Error('chromium and oathtool are required under CI (.ci/run installs them)');

const SECRET = 'JBSWY3DPEHPK3PXP';
const OTHER_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const PAGES: Record<string, string> = {
  '/login': `<form><label for="otp">Authentication code</label>
    <input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric"></form>`,
  '/two': `<input name="otp1" autocomplete="one-time-code"><input name="otp2" autocomplete="one-time-code">`,
};

const POLICY = `version: 1
agents:
  filler: {}
  reader: {}
rules:
  - id: fill-web
    agents: [filler]
    accounts: ["web*"]
    actions: [list, fill]
  - id: read-web
    agents: [reader]
    accounts: ["web*"]
    actions: [list, code]
`;

function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const body = PAGES[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html' }).end(`<!doctype html>${body ?? ''}`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }),
  );
}

const oathtool = (secret: string): string => {
  const r = spawnSync('oathtool', ['--totp', '-b', secret], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};

/** Every raw byte the audit trail holds, live and rotated. */
function auditBytes(home: string): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('audit')) out.push(readFileSync(p, 'latin1'));
    }
  };
  walk(home);
  return out.join('\n');
}

describe.skipIf(!present)('fill_totp_code: the code goes into the page, never to the agent (real chromium)', () => {
  let browser: Chromium;
  let tool: Browser; // the agent's browser tool, connected to the same browser
  let site: { server: Server; origin: string };
  let phish: { server: Server; origin: string };
  let page: Page;
  let home: string;
  let filler: Connected;
  /** Codes handed out while the tests ran (for the scans). */
  const seen = new Set<string>();

  beforeAll(async () => {
    browser = await Chromium.start();
    tool = await chromium.connectOverCDP(browser.endpoint);
    [site, phish] = await Promise.all([serve(), serve()]);
    home = newHome();
    for (const [id, secret, origins] of [
      ['web', SECRET, ['--origin', site.origin]],
      ['web-noorigin', OTHER_SECRET, []],
    ] as const) {
      const r = cli(home, ['add', id, '--secret-stdin', ...origins], { input: secret });
      if (r.code !== 0) throw new Error(r.stderr);
    }
    writePolicy(home, POLICY);
    filler = await connect(home, { agent: 'filler', args: ['--browser-cdp', browser.endpoint, '--debug'] });
  }, 60_000);

  afterAll(async () => {
    await filler.close();
    await tool.close();
    await browser.close();
    site.server.close();
    phish.server.close();
    // No code anywhere: audit trail, server stderr, every message the servers wrote.
    const wire = stdoutCaptures.map((c) => Buffer.concat(c).toString('utf8')).join('\n');
    const trail = auditBytes(home);
    expect(seen.size).toBeGreaterThan(0);
    for (const code of seen) {
      expect(trail).not.toContain(code);
      expect(filler.stderr()).not.toContain(code);
      expect(wire).not.toContain(code);
    }
    expectAllStdoutClean();
  });

  beforeEach(async () => {
    const context = tool.contexts()[0];
    if (!context) throw new Error('no default context');
    for (const p of context.pages()) await p.close();
    page = await context.newPage();
  });

  it('fills the field on the listed origin with the code oathtool gives, and returns no code', async () => {
    await page.goto(`${site.origin}/login`);
    const r = await call(filler, 'fill_totp_code', { account: 'web' });
    const expected = oathtool(SECRET);
    expect(r.isError, r.text).toBe(false);
    const value = await page.inputValue('#otp');
    seen.add(value);
    seen.add(expected);
    expect(value).toMatch(/^\d{6}$/);
    expect(value).toBe(expected);
    expect(r.structured).toEqual({
      account: 'web',
      filled: true,
      origin: site.origin,
      field: 'input#otp (autocomplete=one-time-code)',
      expires_at: expect.any(String),
    });
    expect(Date.parse(r.structured.expires_at) - Date.now()).toBeGreaterThan(2_000);
    expect(r.text).not.toContain(value);
    expect(JSON.stringify(r.structured)).not.toContain(value);
    const fill = auditEvents(home).filter((e) => e.action === 'fill');
    expect(fill.at(-1)).toMatchObject({
      agent: 'filler',
      account: 'web',
      decision: 'allow',
      rule: 'fill-web',
      origin: site.origin,
    });
    expect(fill.at(-1).step).toEqual(expect.any(Number));
  });

  it('refuses a page on another origin (another port), naming the page; the field stays empty', async () => {
    await page.goto(`${phish.origin}/login`);
    const r = await call(filler, 'fill_totp_code', { account: 'web' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^denied: the page is on http:\/\/127\.0\.0\.1:\d+, which is not an origin of this account/);
    expect(r.text).toContain(phish.origin);
    expect(r.text).not.toContain(site.origin);
    expect(await page.inputValue('#otp')).toBe('');
    expect(auditEvents(home).at(-1)).toMatchObject({ action: 'fill', decision: 'error', reason: 'error_denied' });
  });

  it('an account with no origins fills nothing', async () => {
    await page.goto(`${site.origin}/login`);
    const r = await call(filler, 'fill_totp_code', { account: 'web-noorigin' });
    expect(r.text).toMatch(/^denied: this account has no origins where its code may be filled/);
    expect(await page.inputValue('#otp')).toBe('');
  });

  it('an agent allowed fill but not code: get_totp_code is denied, fill works', async () => {
    const denied = await call(filler, 'get_totp_code', { account: 'web' });
    expect(denied.isError).toBe(true);
    expect(denied.text).toMatch(/^denied: /);
    const listed = await call(filler, 'list_accounts');
    expect(listed.structured.accounts).toContainEqual(
      expect.objectContaining({ id: 'web', actions: ['list', 'fill'] }),
    );
    const access = await call(filler, 'describe_access');
    expect(JSON.stringify(access.structured)).toContain('"fill"');
  });

  it('an agent allowed code but not fill cannot fill', async () => {
    const reader = await connect(home, { agent: 'reader', args: ['--browser-cdp', browser.endpoint] });
    try {
      await page.goto(`${site.origin}/login`);
      const r = await call(reader, 'fill_totp_code', { account: 'web' });
      expect(r.text).toMatch(/^denied: /);
      expect(await page.inputValue('#otp')).toBe('');
    } finally {
      await reader.close();
    }
  });

  it('ambiguous fields are refused; a selector resolves them', async () => {
    await page.goto(`${site.origin}/two`);
    const r = await call(filler, 'fill_totp_code', { account: 'web' });
    expect(r.text).toMatch(/^invalid_input: more than one field could take the code/);
    expect(r.text).toContain('hint: pass a selector');
    expect(await page.inputValue('input[name=otp1]')).toBe('');
    const ok = await call(filler, 'fill_totp_code', { account: 'web', selector: 'input[name=otp2]' });
    const expected = oathtool(SECRET);
    expect(ok.isError, ok.text).toBe(false);
    expect(ok.structured.field).toBe('input[name=otp2] (selector)');
    const value = await page.inputValue('input[name=otp2]');
    seen.add(value);
    expect(value).toBe(expected);
    expect(await page.inputValue('input[name=otp1]')).toBe('');
  });

  it('without a browser endpoint, a clear not_configured error', async () => {
    const bare = await connect(home, { agent: 'filler' });
    try {
      const r = await call(bare, 'fill_totp_code', { account: 'web' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^not_configured: no browser is configured for filling codes/);
      expect(r.text).toContain('--browser-cdp');
    } finally {
      await bare.close();
    }
    const gone = await connect(home, { agent: 'filler', env: { TOTP_MCP_BROWSER_CDP: 'http://127.0.0.1:9' } });
    try {
      const r = await call(gone, 'fill_totp_code', { account: 'web' });
      expect(r.text).toMatch(/^not_configured: no browser answers at the configured DevTools endpoint/);
    } finally {
      await gone.close();
    }
  });
});

// The CDP fill against Debian's chromium: pages on loopback origins, driven as an agent's browser
// tool would, filled by src/browser/fill.ts. The code is checked as the page received it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { locate } from '../../src/browser/fill.js';
import { Redacted } from '../../src/core/redacted.js';
import { Chromium, haveChromium } from '../helpers/chromium.js';

const ci = process.env['CI'] === 'true';
const present = haveChromium();
if (ci && !present) throw new Error('chromium is required under CI (.ci/run installs it)');

const PAGES: Record<string, string> = {
  '/login': `<form><label for="otp">Authentication code</label>
    <input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric">
    <input id="other" name="username"></form>
    <script>window.keys = 0; document.getElementById('otp').addEventListener('keydown', (e) => { if (/^[0-9]$/.test(e.key)) window.keys++; });</script>`,
  '/two': `<input name="otp1" autocomplete="one-time-code"><input name="otp2" autocomplete="one-time-code">`,
  '/named': `<input name="user"><input name="totp_code" placeholder="6-digit code">`,
  '/none': `<input name="user"><input name="password" type="password">`,
};

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

describe.skipIf(!present)('fill a code into the browser the agent drives (CDP, real chromium)', () => {
  let browser: Chromium;
  let agent: Browser; // the agent's own browser tool, connected to the same browser
  let site: { server: Server; origin: string };
  let phish: { server: Server; origin: string };
  let page: Page;
  const CODE = '492039';

  beforeAll(async () => {
    browser = await Chromium.start();
    agent = await chromium.connectOverCDP(browser.endpoint);
    [site, phish] = await Promise.all([serve(), serve()]);
  });
  afterAll(async () => {
    await agent.close();
    await browser.close();
    site.server.close();
    phish.server.close();
  });
  beforeEach(async () => {
    const context = agent.contexts()[0];
    if (!context) throw new Error('no default context');
    for (const p of context.pages()) await p.close();
    page = await context.newPage();
  });

  it('fills the one-time-code field on a listed origin, as keystrokes, and returns no code', async () => {
    await page.goto(`${site.origin}/login`);
    const at = await locate({ endpoint: browser.endpoint, origins: [site.origin] });
    expect(at.origin).toBe(site.origin);
    expect(at.field).toBe('input#otp (autocomplete=one-time-code)');
    expect(JSON.stringify(at)).not.toContain(CODE);
    await at.type(new Redacted(CODE));
    await at.close();
    expect(await page.inputValue('#otp')).toBe(CODE);
    expect(await page.evaluate('window.keys')).toBe(CODE.length);
    expect(await page.inputValue('#other')).toBe('');
  });

  it('refuses a page on another origin (another port counts), naming the page and leaving the field empty', async () => {
    await page.goto(`${phish.origin}/login`);
    const err = await locate({ endpoint: browser.endpoint, origins: [site.origin] }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe(`the page is on ${phish.origin}, which is not an origin of this account`);
    expect(err?.message).not.toContain(site.origin);
    expect(await page.inputValue('#otp')).toBe('');
  });

  it('refuses ambiguous fields; a selector resolves them; a name or label finds the field', async () => {
    await page.goto(`${site.origin}/two`);
    await expect(locate({ endpoint: browser.endpoint, origins: [site.origin] })).rejects.toThrow(
      'more than one field could take the code (autocomplete=one-time-code)',
    );
    const at = await locate({ endpoint: browser.endpoint, origins: [site.origin], selector: 'input[name=otp2]' });
    expect(at.field).toBe('input[name=otp2] (selector)');
    await at.type(new Redacted(CODE));
    await at.close();
    expect(await page.inputValue('input[name=otp2]')).toBe(CODE);
    expect(await page.inputValue('input[name=otp1]')).toBe('');

    await page.goto(`${site.origin}/named`);
    const named = await locate({ endpoint: browser.endpoint, origins: [site.origin] });
    expect(named.field).toBe('input[name=totp_code] (name or label)');
    await named.close();

    await page.goto(`${site.origin}/none`);
    await expect(locate({ endpoint: browser.endpoint, origins: [site.origin] })).rejects.toThrow(
      'no visible field for a one-time code on the page',
    );
    await expect(locate({ endpoint: browser.endpoint, origins: [site.origin], selector: 'input[' })).rejects.toThrow(
      'the selector is not valid CSS',
    );
  });

  it('a page that navigates away between locate and type gets nothing', async () => {
    await page.goto(`${site.origin}/login`);
    const at = await locate({ endpoint: browser.endpoint, origins: [site.origin] });
    await page.goto(`${phish.origin}/login`);
    await expect(at.type(new Redacted(CODE))).rejects.toThrow('the page changed before the code was filled');
    await at.close();
    expect(await page.inputValue('#otp')).toBe('');
  });

  it('a missing or remote endpoint is a clear error', async () => {
    await expect(locate({ endpoint: 'http://127.0.0.1:9', origins: [site.origin] })).rejects.toThrow(
      'no browser answers at the configured DevTools endpoint',
    );
    await expect(locate({ endpoint: 'http://192.0.2.1:9222', origins: [site.origin] })).rejects.toThrow(
      'the browser endpoint must be on this machine',
    );
  });
});

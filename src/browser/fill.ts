/**
 * Fills a one-time code into the browser an agent drives, over the Chrome DevTools Protocol, so
 * the code never passes through the model. Two steps, so the caller can decide and audit between
 * them: `locate` finds the page and the field (nothing secret yet), `type` sends the code as
 * keystrokes after checking again that the page is still on an allowed origin.
 *
 * playwright-core is loaded here only, and only when a fill is asked for.
 */
import { TotpMcpError, type ErrorKind } from '../core/errors.js';
import { originAllowed } from '../core/origin.js';
import type { Redacted } from '../core/redacted.js';
import type { Browser, ElementHandle, Page } from 'playwright-core';
import { FIND_FIELD, PAGE_FOCUSED } from './page-scripts.js';

export interface LocateRequest {
  /** The CDP endpoint the person configured (`serve --browser-cdp`): loopback only. */
  endpoint: string;
  /** The account's allowed origins (canonical, see core/origin.ts). */
  origins: readonly string[];
  /** A CSS selector the agent gave, to resolve an ambiguous page. */
  selector?: string | undefined;
}

export interface Located {
  /** The page's origin, as the browser reports it. */
  readonly origin: string;
  /** How the field was found, e.g. `input#otp (autocomplete=one-time-code)`; never page text beyond an id. */
  readonly field: string;
  /** Types the code into the field as keystrokes; refuses if the page left its origin meanwhile. */
  type(code: Redacted): Promise<void>;
  /** Disconnects from the browser (the browser and its pages stay open). */
  close(): Promise<void>;
}

const STEP_TIMEOUT_MS = 5_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What the agent is told for each failure: the messages are fixed text written for it (fill_totp_code). */
const KIND_OF = {
  usage: 'invalid_input',
  not_found: 'not_found',
  denied: 'denied',
  conflict: 'invalid_input',
  io: 'internal',
} as const;

const fillError = (
  code: keyof typeof KIND_OF,
  message: string,
  hint: string,
  kind: ErrorKind = KIND_OF[code],
): TotpMcpError => new TotpMcpError(code, message, { hint, kind });

/** The endpoint must be on this machine: CDP has no authentication and would carry the code. */
export function checkEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw fillError('usage', 'the browser endpoint is not a URL', 'e.g. http://127.0.0.1:9222 (serve --browser-cdp)');
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol))
    throw fillError('usage', 'the browser endpoint must be http:// or ws://', 'e.g. http://127.0.0.1:9222');
  if (!LOOPBACK_HOSTS.has(u.hostname))
    throw fillError(
      'usage',
      'the browser endpoint must be on this machine (127.0.0.1, [::1] or localhost)',
      'the DevTools protocol has no authentication: never expose it beyond loopback',
    );
  return u.toString();
}

export async function locate(req: LocateRequest): Promise<Located> {
  const endpoint = checkEndpoint(req.endpoint);
  const { chromium } = await import('playwright-core');
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(endpoint, { timeout: STEP_TIMEOUT_MS });
  } catch {
    throw fillError(
      'io',
      'no browser answers at the configured DevTools endpoint',
      'start the browser with --remote-debugging-port=9222 and point serve --browser-cdp at it',
      'not_configured',
    );
  }
  const disconnect = async (): Promise<void> => {
    await browser.close().catch(() => undefined);
  };
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    const originOf = (p: Page): string => {
      try {
        return new URL(p.url()).origin;
      } catch {
        return 'null';
      }
    };
    const focus = await Promise.all(pages.map((p) => deadline(p.evaluate<boolean>(PAGE_FOCUSED)).catch(() => false)));
    const focused = pages.filter((_, i) => focus[i]);
    let page: Page;
    if (focused.length === 1 && focused[0]) {
      page = focused[0];
    } else {
      const listed = pages.filter((p) => originAllowed(originOf(p), req.origins));
      if (listed.length > 1)
        throw fillError(
          'conflict',
          'more than one open page is on an origin of this account',
          'close or focus the others',
        );
      const only = listed[0] ?? (pages.length === 1 ? pages[0] : undefined);
      if (only === undefined)
        throw fillError(
          'not_found',
          'no open page is on an origin listed for this account',
          'open the login page first',
        );
      page = only;
    }
    const origin = originOf(page);
    if (!originAllowed(origin, req.origins))
      throw fillError(
        'denied',
        `the page is on ${origin}, which is not an origin of this account`,
        'nothing was filled; if this is the real site, the owner adds it with `totp-mcp origins`',
      );
    const found = await deadline(page.evaluateHandle(FIND_FIELD(req.selector ?? null)));
    const how = String(await deadline((await found.getProperty('how')).jsonValue()));
    const error = (await deadline((await found.getProperty('error')).jsonValue())) as string | undefined;
    const el = (await found.getProperty('el')).asElement() as ElementHandle | null;
    if (error !== undefined || el === null) {
      if (error === 'selector') throw fillError('usage', 'the selector is not valid CSS', 'e.g. input#otp');
      if (error === 'ambiguous')
        throw fillError('conflict', `more than one field could take the code (${how})`, 'pass a selector');
      throw fillError('not_found', 'no visible field for a one-time code on the page', 'pass a selector');
    }
    const field = `${String(await deadline((await found.getProperty('desc')).jsonValue()))} (${how})`;
    return {
      origin,
      field,
      type: async (code) => {
        // The page may have navigated between locate and type: check again, just before the keys.
        if (!originAllowed(originOf(page), req.origins) || !(await deadline(el.isVisible())))
          throw fillError('conflict', 'the page changed before the code was filled', 'nothing was filled; try again');
        try {
          await deadline(el.fill(''));
          await deadline(el.focus());
          await deadline(page.keyboard.type(code.reveal()));
        } catch {
          // Never pass on the library's message: its call log can name the keys it pressed.
          throw fillError('io', 'the browser did not take the keystrokes', 'is the page still open?');
        }
      },
      close: disconnect,
    };
  } catch (e) {
    await disconnect();
    if (e instanceof TotpMcpError) throw e;
    throw fillError('io', 'the browser did not answer in time', 'is the page busy, or a dialog open?');
  }
}

async function deadline<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('timeout'));
        }, STEP_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

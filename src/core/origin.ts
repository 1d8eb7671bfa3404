/**
 * Origins where an account's code may be filled: exact web origins (scheme, host, port), or
 * `https://*.example.com` for the subdomains of one domain (not the domain itself). `http:` only on
 * loopback hosts, which browsers treat as secure contexts (local development, the tests).
 */
import { TotpMcpError } from './errors.js';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const WILDCARD = /^https:\/\/\*\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::(\d{1,5}))?$/;
/** At most this many origins per account: a list, not a blocklist. */
export const MAX_ORIGINS = 32;

/** The canonical form of an origin a person typed, or a usage error saying what is wrong. */
export function parseOrigin(text: string): string {
  const bad = (why: string): never => {
    throw new TotpMcpError('usage', `not an origin: ${why}`, {
      hint: 'an origin is scheme://host[:port], e.g. https://github.com or https://*.example.com',
    });
  };
  const t = text.trim().toLowerCase();
  if (t.length === 0 || t.length > 255) bad('empty or too long');
  const wild = WILDCARD.exec(t);
  if (wild) {
    const port = wild[2] === undefined || wild[2] === '443' ? '' : `:${String(Number(wild[2]))}`;
    return `https://*.${wild[1] ?? ''}${port}`;
  }
  if (t.includes('*')) bad('a wildcard is allowed only as https://*.domain');
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    return bad('it does not parse');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') bad('only https: (and http: on loopback)');
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname)) bad('http: is allowed only on 127.0.0.1, [::1], localhost');
  if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash)
    bad('no user, path, query or fragment: only scheme://host[:port]');
  return u.origin;
}

/** Whether `text` is an origin in the canonical form `parseOrigin` gives (the vault stores only those). */
export function isCanonicalOrigin(text: string): boolean {
  try {
    return parseOrigin(text) === text;
  } catch {
    return false;
  }
}

/** Whether a page's origin (as the browser reports it) is one of `allowed`. */
export function originAllowed(pageOrigin: string, allowed: readonly string[]): boolean {
  let page: URL;
  try {
    page = new URL(pageOrigin);
  } catch {
    return false;
  }
  if (page.origin === 'null') return false;
  for (const a of allowed) {
    if (!a.startsWith('https://*.')) {
      if (a === page.origin) return true;
      continue;
    }
    const m = WILDCARD.exec(a);
    if (!m || page.protocol !== 'https:') continue;
    const port = m[2] ?? '';
    if (page.port !== (port === '443' ? '' : port)) continue;
    if (page.hostname.endsWith(`.${m[1] ?? ''}`)) return true;
  }
  return false;
}

// One table of origins, run through the parser and the matcher.
import { describe, expect, it } from 'vitest';
import { originAllowed, parseOrigin } from '../../src/core/origin.js';

const accepted: [typed: string, canonical: string][] = [
  ['https://github.com', 'https://github.com'],
  ['HTTPS://GitHub.com/', 'https://github.com'],
  ['https://github.com:443', 'https://github.com'],
  ['https://sso.example.com:8443', 'https://sso.example.com:8443'],
  ['https://*.example.com', 'https://*.example.com'],
  ['https://*.example.com:443', 'https://*.example.com'],
  ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ['http://localhost:3000', 'http://localhost:3000'],
  ['http://[::1]:5000', 'http://[::1]:5000'],
];

const refused: [typed: string, why: RegExp][] = [
  ['', /empty/],
  ['github.com', /does not parse/],
  ['http://github.com', /http: is allowed only on/],
  ['ftp://example.com', /only https:/],
  ['https://github.com/login', /no user, path/],
  ['https://github.com/?next=1', /no user, path/],
  ['https://user:pw@github.com', /no user, path/],
  ['https://*.com', /wildcard/],
  ['https://a.*.example.com', /wildcard/],
  ['https://*example.com', /wildcard/],
  ['*', /wildcard/],
];

const matches: [page: string, allowed: string[], ok: boolean][] = [
  ['https://github.com', ['https://github.com'], true],
  ['https://github.com:8443', ['https://github.com'], false],
  ['http://github.com', ['https://github.com'], false],
  ['https://github.com.evil.test', ['https://github.com'], false],
  ['https://gist.github.com', ['https://github.com'], false],
  ['https://login.example.com', ['https://*.example.com'], true],
  ['https://a.b.example.com', ['https://*.example.com'], true],
  ['https://example.com', ['https://*.example.com'], false],
  ['https://evilexample.com', ['https://*.example.com'], false],
  ['http://login.example.com', ['https://*.example.com'], false],
  ['https://login.example.com:8443', ['https://*.example.com'], false],
  ['http://127.0.0.1:8080', ['http://127.0.0.1:8080'], true],
  ['http://127.0.0.1:8081', ['http://127.0.0.1:8080'], false],
  ['null', ['https://github.com'], false],
  ['about:blank', ['https://github.com'], false],
];

describe('origins', () => {
  it.each(accepted)('%s is accepted as %s', (typed, canonical) => {
    expect(parseOrigin(typed)).toBe(canonical);
  });
  it.each(refused)('%j is refused', (typed, why) => {
    expect(() => parseOrigin(typed)).toThrow(why);
  });
  it.each(matches)('page %s against %j: %s', (page, allowed, ok) => {
    expect(originAllowed(page, allowed)).toBe(ok);
  });
  it('every accepted origin matches itself (wildcards match a subdomain)', () => {
    for (const [, canonical] of accepted) {
      const page = canonical.replace('*.', 'www.');
      expect(originAllowed(page, [canonical])).toBe(true);
    }
  });
});

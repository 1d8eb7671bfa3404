// Nothing the otp module hands out may print a code or a seed by accident: not through String(),
// template literals, JSON, util.inspect (console.log, error reporters) nor an error message.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isTotpMcpError } from '../../src/core/errors.js';
import type { OtpParams } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import * as otp from '../../src/otp/index.js';

const SECRET = 'CANARYSEEDQQQQZZZZ7777MMMMXXXXWW';

/** Every way a value might get printed. */
function renderings(x: unknown): string[] {
  return [
    String(x),
    `[${String(x)}]`,
    JSON.stringify(x),
    JSON.stringify({ x }),
    inspect(x),
    inspect(x, { depth: Infinity, showHidden: true, getters: true }),
    inspect({ nested: [x] }, { depth: Infinity }),
  ];
}

function expectHidden(x: unknown, ...secrets: string[]): void {
  for (const shown of renderings(x)) {
    for (const s of secrets) expect(shown).not.toContain(s);
  }
}

const params: OtpParams[] = [
  { type: 'totp', secret: new Redacted(SECRET), algorithm: 'SHA256', digits: 8, period: 30, counter: 0 },
  { type: 'hotp', secret: new Redacted(SECRET), algorithm: 'SHA1', digits: 10, period: 30, counter: 5 },
  { type: 'steam', secret: new Redacted(SECRET), algorithm: 'SHA1', digits: 5, period: 30, counter: 0 },
];

describe('generated codes', () => {
  it.each(params)('$type: the code and the seed stay hidden', (p) => {
    const g = otp.generateCode(p, 1_700_000_000_000);
    const code = g.code.reveal();
    expect(code).toMatch(p.type === 'steam' ? /^[2-9B-DF-HJKMNP-RTV-Y]{5}$/ : new RegExp(`^[0-9]{${p.digits}}$`));
    expectHidden(g, code, SECRET);
    expectHidden(g.code, code);
    // What callers see is exactly these three fields; no otpauth object rides along.
    expect(Object.keys(g).sort()).toEqual(['code', 'expiresAtMs', 'step']);
    expect(g.code).toBeInstanceOf(Redacted);
  });
});

describe('drafts and URIs', () => {
  const uri = `otpauth://totp/Acme:alice?secret=${SECRET}&issuer=Acme`;

  it('a parsed draft shows no seed', () => {
    const d = otp.parseOtpUri(uri);
    expect(d.secret.reveal()).toBe(SECRET);
    expectHidden(d, SECRET);
    expect(Object.keys(d).sort()).toEqual([
      'algorithm',
      'counter',
      'digits',
      'issuer',
      'label',
      'period',
      'secret',
      'type',
    ]);
  });

  it('makeDraft keeps the seed wrapped', () => {
    expectHidden(otp.makeDraft({ secret: new Redacted(SECRET.toLowerCase()) }), SECRET, SECRET.toLowerCase());
  });

  it('an exported URI is itself a secret', () => {
    const out = otp.formatOtpUri(otp.parseOtpUri(uri));
    expect(out).toBeInstanceOf(Redacted);
    expect(out.reveal()).toContain(SECRET);
    expectHidden(out, SECRET, 'otpauth://');
  });

  it('errors about a seed never carry it', () => {
    const attempts: (() => unknown)[] = [
      () => otp.parseOtpUri(`otpauth://totp/x?secret=${SECRET}1`),
      () => otp.parseOtpUri(`otpauth://totp/x?secret=${SECRET}&secret=${SECRET}`),
      () => otp.parseOtpUri(`otpauth://hotp/x?secret=${SECRET}`),
      () => otp.parseOtpUri(`otpauth://totp/x?secret=${SECRET}%ZZ`),
      () => otp.parseOtpUri(`otpauth://totp/${SECRET}%0A${SECRET}?secret=${SECRET}`),
      () => otp.parseOtpUri(`steam://${SECRET}!`),
      () => otp.canonicalBase32(`${SECRET}0`),
      () => otp.canonicalBase32(SECRET.repeat(60)),
      () => otp.makeDraft({ secret: new Redacted(`${SECRET}8`) }),
      () => otp.generateCode({ ...params[0]!, secret: new Redacted(`${SECRET}\u0000`) }, 0),
      () => otp.generateCode({ ...params[0]!, period: 0 }, 0),
    ];
    for (const attempt of attempts) {
      let error: unknown;
      try {
        attempt();
      } catch (e) {
        error = e;
      }
      expect(isTotpMcpError(error)).toBe(true);
      expectHidden(error, SECRET.slice(0, 12), SECRET.slice(-12));
      expect(inspect(error)).not.toContain(SECRET.slice(6, 18));
    }
  });
});

it('exports only functions and constants: no otpauth object escapes the module', () => {
  for (const [name, value] of Object.entries(otp)) {
    expect(['function', 'string', 'number'], name).toContain(typeof value);
  }
});

import { describe, expect, it } from 'vitest';
import { isTotpMcpError } from '../../src/core/errors.js';
import type { Algorithm, OtpParams } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import { generateCode, makeDraft, totpStep } from '../../src/otp/index.js';
import { base32, int, pick, prng, randomBytes, refHotp, refSteam } from './reference.js';

const seed = (ascii: string): Redacted => new Redacted(base32(Buffer.from(ascii, 'latin1')));
const SEEDS: Record<Algorithm, Redacted> = {
  SHA1: seed('12345678901234567890'),
  SHA256: seed('12345678901234567890123456789012'),
  SHA512: seed('1234567890'.repeat(6) + '1234'),
};

const totp = (algorithm: Algorithm, digits: number, secret = SEEDS[algorithm], period = 30): OtpParams => ({
  type: 'totp',
  secret,
  algorithm,
  digits,
  period,
  counter: 0,
});

const codeAt = (p: OtpParams, atMs: number): string => generateCode(p, atMs).code.reveal();

describe('RFC 6238 Appendix B', () => {
  // [unix seconds, SHA1, SHA256, SHA512]
  const table: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  const cases = table.flatMap(([t, ...codes]) =>
    (['SHA1', 'SHA256', 'SHA512'] as const).map((alg, i) => ({ t, alg, code: codes[i]! })),
  );

  it('has the 18 vectors', () => {
    expect(cases).toHaveLength(18);
  });

  it.each(cases)('$alg at $t → $code (8 digits)', ({ t, alg, code }) => {
    expect(codeAt(totp(alg, 8), t * 1000)).toBe(code);
  });

  it.each(cases)('$alg at $t, 6 digits: last six of $code', ({ t, alg, code }) => {
    expect(codeAt(totp(alg, 6), t * 1000)).toBe(code.slice(-6));
  });

  it('matches the named 6-digit forms (KeePassXC TestTotp)', () => {
    expect(codeAt(totp('SHA1', 6), 1234567890_000)).toBe('005924');
    expect(codeAt(totp('SHA1', 6), 1111111109_000)).toBe('081804');
  });

  it('reports the step and when it expires', () => {
    const g = generateCode(totp('SHA1', 8), 59_000);
    expect(g.step).toBe(1);
    expect(g.expiresAtMs).toBe(60_000);
    const h = generateCode(totp('SHA1', 8), 1111111109_000);
    expect(h.step).toBe(0x23523ec);
    expect(h.expiresAtMs).toBe((0x23523ec + 1) * 30_000);
  });
});

describe('RFC 4226 Appendix D', () => {
  const values = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(values.map((code, counter) => ({ counter, code })))('counter $counter → $code', ({ counter, code }) => {
    const p: OtpParams = { ...totp('SHA1', 6), type: 'hotp', counter };
    // The time must not matter for HOTP.
    for (const at of [0, 59_000, 2e12]) {
      const g = generateCode(p, at);
      expect(g.code.reveal()).toBe(code);
      expect(g.step).toBe(counter);
      expect(g.expiresAtMs).toBeNull();
    }
  });
});

describe('Steam Guard', () => {
  const secret = new Redacted('63BEDWCQZKTQWPESARIERL5DTTQFCJTK');
  const steam: OtpParams = { type: 'steam', secret, algorithm: 'SHA1', digits: 5, period: 30, counter: 0 };
  it.each([
    [1511200518, 'FR8RV'],
    [1511200714, '9P3VP'],
  ])('at %i → %s (KeePassXC vectors)', (t, code) => {
    const g = generateCode(steam, t * 1000);
    expect(g.code.reveal()).toBe(code);
    expect(g.step).toBe(Math.floor(t / 30));
    expect(g.expiresAtMs).toBe((Math.floor(t / 30) + 1) * 30_000);
  });

  it('is fixed at SHA1/30 s whatever the params say', () => {
    const odd = { ...steam, algorithm: 'SHA512' as const, digits: 8, period: 60 };
    expect(codeAt(odd, 1511200518_000)).toBe('FR8RV');
    expect(generateCode(odd, 1511200518_000).step).toBe(Math.floor(1511200518 / 30));
  });

  it('agrees with an independent encoder on 200 random cases', () => {
    const rand = prng(0x57ea);
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(rand, int(rand, 5, 40));
      const t = int(rand, 0, 4_000_000_000);
      expect(codeAt({ ...steam, secret: new Redacted(base32(key)) }, t * 1000)).toBe(refSteam(key, Math.floor(t / 30)));
    }
  });
});

describe('9 and 10 digits, and every algorithm for HOTP (beyond oathtool)', () => {
  // oathtool only does 6–8 digits and SHA1 HOTP; these are checked against node:crypto instead.
  it('agrees with the node:crypto reference on 300 random cases', () => {
    const rand = prng(0x0d16);
    for (let i = 0; i < 300; i++) {
      const key = randomBytes(rand, int(rand, 1, 100));
      const algorithm = pick(rand, ['SHA1', 'SHA256', 'SHA512'] as const);
      const digits = pick(rand, [6, 7, 8, 9, 10]);
      const secret = new Redacted(base32(key));
      if (rand() < 0.5) {
        const counter = rand() < 0.2 ? Number.MAX_SAFE_INTEGER - int(rand, 0, 5) : int(rand, 0, 2 ** 40);
        const p = makeDraft({ secret, type: 'hotp', algorithm, digits, counter });
        expect(codeAt(p, 0), `hotp ${algorithm}/${digits} @${counter}`).toBe(refHotp(key, algorithm, counter, digits));
      } else {
        const period = pick(rand, [30, 60, int(rand, 1, 86_400)]);
        const atMs = int(rand, 0, 2 ** 42);
        const p = makeDraft({ secret, algorithm, digits, period });
        const step = Math.floor(atMs / 1000 / period);
        expect(codeAt(p, atMs), `totp ${algorithm}/${digits}/${period} @${atMs}`).toBe(
          refHotp(key, algorithm, step, digits),
        );
      }
    }
  });

  it('a shorter code is the tail of the 10-digit one', () => {
    const rand = prng(10);
    for (let i = 0; i < 100; i++) {
      const p = totp(
        pick(rand, ['SHA1', 'SHA256', 'SHA512'] as const),
        10,
        new Redacted(base32(randomBytes(rand, 20))),
      );
      const at = int(rand, 0, 2 ** 41);
      const ten = codeAt(p, at);
      expect(ten).toMatch(/^[0-9]{10}$/);
      for (let d = 6; d <= 9; d++) expect(codeAt({ ...p, digits: d }, at)).toBe(ten.slice(-d));
    }
  });

  it('pads 10-digit codes: the 31-bit value never reaches 10 digits', () => {
    // 2^31 − 1 has 10 digits but starts with 2, so a leading 0 or 1 appears often.
    const p = totp('SHA1', 10);
    const lead = new Set(Array.from({ length: 50 }, (_, i) => codeAt(p, i * 30_000)[0]));
    expect([...lead].every((c) => c === '0' || c === '1' || c === '2')).toBe(true);
    expect(lead.has('0')).toBe(true);
  });
});

describe('totpStep and time', () => {
  it.each([
    [30, 0, 0],
    [30, 29_999, 0],
    [30, 30_000, 1],
    [30, 59_000, 1],
    [60, 59_999, 0],
    [1, 1_000, 1],
    [86_400, 86_400_000 * 3 - 1, 2],
    [30, 20_000_000_000_000, 666_666_666],
  ])('totpStep(%i, %i) = %i', (period, atMs, step) => {
    expect(totpStep(period, atMs)).toBe(step);
  });

  it('changes the code exactly at the step boundary', () => {
    const p = totp('SHA1', 8);
    expect(codeAt(p, 59_999)).toBe('94287082');
    expect(codeAt(p, 60_000)).not.toBe('94287082');
    expect(generateCode(p, 60_000).step).toBe(2);
  });

  it('accepts a period that does not divide a minute', () => {
    const p = totp('SHA1', 6, SEEDS.SHA1, 7);
    const g = generateCode(p, 100_000);
    expect(g.step).toBe(14);
    expect(g.expiresAtMs).toBe(105_000);
    expect(g.code.reveal()).toBe(refHotp(Buffer.from('12345678901234567890'), 'SHA1', 14, 6));
  });
});

describe('generateCode refuses what would give a meaningless code', () => {
  const base = totp('SHA1', 6);
  const bad: [string, OtpParams, number, string][] = [
    ['period 0', { ...base, period: 0 }, 0, 'period must be an integer from 1 to 86400 seconds'],
    ['period 1.5', { ...base, period: 1.5 }, 0, 'period must be an integer from 1 to 86400 seconds'],
    ['period > max', { ...base, period: 86_401 }, 0, 'period must be an integer from 1 to 86400 seconds'],
    ['digits 5', { ...base, digits: 5 }, 0, 'digits must be an integer from 6 to 10'],
    ['digits 11', { ...base, digits: 11 }, 0, 'digits must be an integer from 6 to 10'],
    ['MD5', { ...base, algorithm: 'MD5' as Algorithm }, 0, 'algorithm must be SHA1, SHA256 or SHA512'],
    ['sha1 lower case', { ...base, algorithm: 'sha1' as Algorithm }, 0, 'algorithm must be SHA1, SHA256 or SHA512'],
    ['negative time', base, -1, 'time must be a non-negative number of milliseconds'],
    ['NaN time', base, Number.NaN, 'time must be a non-negative number of milliseconds'],
    [
      'bad secret',
      { ...base, secret: new Redacted('NOT-BASE32!1') },
      0,
      'secret is not valid base32 (letters A-Z and digits 2-7)',
    ],
    ['empty secret', { ...base, secret: new Redacted('') }, 0, 'secret is empty'],
    ['negative counter', { ...base, type: 'hotp', counter: -1 }, 0, 'counter must be a non-negative integer'],
    ['unsafe counter', { ...base, type: 'hotp', counter: 2 ** 53 }, 0, 'counter must be a non-negative integer'],
  ];
  it.each(bad)('%s', (_name, p, at, message) => {
    let error: unknown;
    try {
      generateCode(p, at);
    } catch (e) {
      error = e;
    }
    expect(isTotpMcpError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });
});

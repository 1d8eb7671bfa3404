// Property and fuzz tests of the parsers, in process: whatever arrives (random bytes in a migration
// payload, random text as a URI list, random JSON), the importers return entries or throw one of
// their fixed TotpMcpErrors, never another error, never an echo of a seed. Valid Google payloads
// built from the .proto decode to exactly what was encoded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTotpMcpError } from '../../src/core/errors.js';
import { Redacted } from '../../src/core/redacted.js';
import { decodeMigrationUri, migrationEntry } from '../../src/otp/importers/google.js';
import { parseImport, type ImportHooks, type ParsedImport } from '../../src/otp/importers/index.js';
import { googlePayload, migrationUri } from './fixtures.js';

const CANARY = 'CANARYSEEDQQQQZZZZ7777MMMMXXXXWW';
const PIECES = Array.from({ length: CANARY.length - 7 }, (_, i) => CANARY.slice(i, i + 8));
const hooks: ImportHooks = { password: () => Promise.resolve(new Redacted('pw')) };

function noCanary(text: string): void {
  for (const p of PIECES) expect(text.includes(p), `"${text}" echoes the seed`).toBe(false);
}

/** Runs the importer; returns its result, or the TotpMcpError's message. Anything else fails the test. */
async function attempt(
  text: string | Uint8Array,
  format: Parameters<typeof parseImport>[1] = 'auto',
): Promise<ParsedImport | string> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  try {
    return await parseImport([{ name: 'input', bytes }], format, hooks);
  } catch (e) {
    if (!isTotpMcpError(e)) throw e;
    noCanary(e.message);
    return e.message;
  }
}

function checkEntries(r: ParsedImport | string): void {
  if (typeof r === 'string') return;
  for (const e of r.entries) {
    expect(e.draft === null).toBe(e.problem !== null);
    if (e.problem !== null) noCanary(e.problem);
  }
  for (const n of r.notes) noCanary(n);
}

describe('Google migration parser (fuzz)', () => {
  it('random payload bytes: entries or a fixed error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        checkEntries(await attempt(migrationUri(bytes), 'google'));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid payloads (flipped, cut, inserted bytes) never escape as other errors', async () => {
    const base = googlePayload([
      { secret: Buffer.from(CANARY), name: 'n', issuer: 'i', algorithm: 1, digits: 1, type: 2 },
      { secret: Buffer.from('x'), name: 'h', issuer: '', algorithm: 2, digits: 2, type: 1, counter: 7 },
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(base.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(base.length),
        fc.boolean(),
        async (at, value, cut, insert) => {
          const b = Buffer.from(base);
          const mutated = insert
            ? Buffer.concat([b.subarray(0, at), Buffer.from([value]), b.subarray(at)])
            : (b.writeUInt8(value, at), b.subarray(0, cut));
          checkEntries(await attempt(migrationUri(mutated), 'google'));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random URI text around "otpauth-migration://" never escapes', () => {
    const piece = fc.constantFrom(
      'otpauth-migration://',
      'offline',
      '?',
      'data=',
      '&',
      '%',
      '%2B',
      '+',
      ' ',
      '=',
      'AAAA',
      'CjYK',
      '#',
      '/',
      'DATA=',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 12 }), (parts) => {
        const text = `otpauth-migration://${parts.join('')}`;
        try {
          const d = decodeMigrationUri(text);
          for (const p of d.parameters) migrationEntry(1, p);
        } catch (e) {
          expect(isTotpMcpError(e), String(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('valid payloads decode to exactly what was encoded (property)', async () => {
    const param = fc.record({
      secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      name: fc
        .string({ maxLength: 40 })
        .filter((s) => !/[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\p{Cs}:]/u.test(s)),
      issuer: fc
        .string({ maxLength: 40 })
        .filter((s) => !/[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\p{Cs}:]/u.test(s)),
      algorithm: fc.constantFrom(0, 1, 2, 3),
      digits: fc.constantFrom(0, 1, 2),
      type: fc.constantFrom(0, 1, 2),
      counter: fc.integer({ min: 0, max: 2 ** 40 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(param, { minLength: 1, maxLength: 12 }), async (params) => {
        const r = await attempt(migrationUri(googlePayload(params)), 'google');
        expect(typeof r).not.toBe('string');
        const entries = (r as ParsedImport).entries;
        expect(entries).toHaveLength(params.length);
        entries.forEach((e, i) => {
          const p = params[i]!;
          expect(e.problem).toBeNull();
          const d = e.draft!;
          expect(Buffer.from(decodeB32(d.secret.reveal())).subarray(0, p.secret.length)).toEqual(Buffer.from(p.secret));
          expect(d.type).toBe(p.type === 1 ? 'hotp' : 'totp');
          expect(d.algorithm).toBe(['SHA1', 'SHA1', 'SHA256', 'SHA512'][p.algorithm]);
          expect(d.digits).toBe(p.digits === 2 ? 8 : 6);
          expect(d.period).toBe(30);
          expect(d.counter).toBe(p.type === 1 ? p.counter : 0);
          expect(d.issuer).toBe(p.issuer.trim());
          expect(d.label).toBe(p.name.trim());
        });
      }),
      { numRuns: 300 },
    );
  });
});

function decodeB32(s: string): number[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

describe('URI list parser (fuzz)', () => {
  it('random lines: every line an entry or a problem, never a crash or an echo', async () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        'otpauth://totp/',
        'otpauth://hotp/',
        'otpauth://steam/',
        'steam://',
        'motp://x',
        '# comment',
        '',
      ),
      fc
        .tuple(
          fc.constantFrom('otpauth://totp/', 'OTPAUTH://TOTP/', 'otpauth://hotp/'),
          fc.string({ maxLength: 20 }),
          fc.constantFrom(
            '?secret=',
            '?secret=' + CANARY,
            '?secret=' + CANARY + '!',
            '?issuer=x&secret=' + CANARY.toLowerCase(),
          ),
          fc.string({ maxLength: 30 }),
        )
        .map((p) => p.join('')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), async (lines) => {
        const r = await attempt(lines.join('\n'), 'uri-list');
        checkEntries(r);
        if (typeof r !== 'string') {
          const counted = lines.filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
          // A line splits into more lines if it held \r or \n itself; otherwise one entry per line.
          if (!lines.some((l) => /[\r\n]/.test(l))) expect(r.entries.length).toBe(counted);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('random bytes given to auto-detection never escape as other errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        checkEntries(await attempt(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('random JSON given to auto-detection and to every JSON format never escapes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.json({ maxDepth: 6 }),
        fc.constantFrom('auto', 'aegis', '2fas', 'andotp', 'bitwarden', 'raivo') as fc.Arbitrary<
          Parameters<typeof parseImport>[1]
        >,
        async (json, format) => {
          checkEntries(await attempt(json, format));
        },
      ),
      { numRuns: 800 },
    );
  });
});

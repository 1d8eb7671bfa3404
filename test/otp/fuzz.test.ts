// Property and fuzz tests: whatever arrives (pasted text, a hostile import file, a mangled QR
// code), the otp module either returns a valid draft or throws one of its fixed TotpMcpErrors,
// and never lets the secret into an error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTotpMcpError } from '../../src/core/errors.js';
import { MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, type AccountDraft } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import { canonicalBase32, formatOtpUri, makeDraft, parseOtpUri, type DraftInput } from '../../src/otp/index.js';
import { base32, plain } from './reference.js';

/** A recognisable secret: if any part of it shows up in an error, the test says so. */
const CANARY = 'CANARYSEEDQQQQZZZZ7777MMMMXXXXWW';

/** Every 6-character piece of the canary: none may appear in an error. */
const CANARY_PIECES = Array.from({ length: CANARY.length - 5 }, (_, i) => CANARY.slice(i, i + 6));

const KEYS = ['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter', 'encoder'];
const INVALID = 'secret is not valid base32 (letters A-Z and digits 2-7)';
/** Every message the module may throw. Anything else is an echo, a leak or an unplanned error. */
const MESSAGES = new Set([
  'secret is empty',
  'secret is too short',
  INVALID,
  'secret is too long (at most 1024 bytes)',
  'unsupported OTP type (expected totp, hotp or steam)',
  'algorithm must be SHA1, SHA256 or SHA512',
  `digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}`,
  `period must be an integer from 1 to ${MAX_PERIOD} seconds`,
  'counter must be a non-negative integer',
  'issuer contains control characters',
  'label contains control characters',
  'issuer is longer than 256 characters',
  'label is longer than 256 characters',
  'URI is too long (at most 4096 characters)',
  'URI contains control characters',
  'not an otpauth:// or steam:// URI',
  'malformed otpauth URI',
  'this is a Google Authenticator export (otpauth-migration://), not a single account',
  'malformed percent-encoding in the label',
  'missing "secret" parameter',
  'missing "counter" parameter (required for hotp)',
  'unsupported "encoder" parameter (only steam is known)',
  '"encoder=steam" needs a totp URI, not hotp',
  ...KEYS.map((k) => `duplicate "${k}" parameter`),
  ...KEYS.map((k) => `malformed percent-encoding in the "${k}" parameter`),
]);

/** Runs fn; a thrown value must be one of our errors, with a fixed message free of the canary. */
function outcome<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!isTotpMcpError(e)) throw e;
    // Plain checks first, expect() only to report: thousands of runs make expect() the bottleneck.
    const shown = [e.message, e.hint ?? '', String(e.stack)].join('\n');
    const leaked = CANARY_PIECES.filter((piece) => shown.includes(piece));
    if (e.code !== 'invalid' || !MESSAGES.has(e.message) || leaked.length > 0) {
      expect({ code: e.code, message: e.message, leaked }).toEqual({
        code: 'invalid',
        message: '(one of MESSAGES)',
        leaked: [],
      });
    }
    return undefined;
  }
}

/** What every draft must be, wherever it came from. */
function checkDraft(d: AccountDraft): void {
  expect(d.secret.reveal()).toMatch(/^[A-Z2-7]+$/);
  expect(['totp', 'hotp', 'steam']).toContain(d.type);
  expect(['SHA1', 'SHA256', 'SHA512']).toContain(d.algorithm);
  if (d.type === 'steam') expect([d.algorithm, d.digits, d.period]).toEqual(['SHA1', 5, 30]);
  else expect(d.digits >= MIN_DIGITS && d.digits <= MAX_DIGITS && Number.isInteger(d.digits)).toBe(true);
  expect(Number.isInteger(d.period) && d.period >= 1 && d.period <= MAX_PERIOD).toBe(true);
  expect(Number.isSafeInteger(d.counter) && d.counter >= 0).toBe(true);
  if (d.type !== 'hotp') expect(d.counter).toBe(0);
  for (const name of [d.issuer, d.label]) expect(name).toBe(name.trim());
  // A valid draft exports and comes back unchanged, and makeDraft leaves it as it is.
  expect(plain(parseOtpUri(formatOtpUri(d).reveal()))).toEqual(plain(d));
  expect(plain(makeDraft(d))).toEqual(plain(d));
}

const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));
/** Characters that matter to a URI parser, mixed with arbitrary ones. */
const uriChar = fc.oneof(
  fc.constantFrom(
    ':',
    '%',
    '%3A',
    '%3a',
    '+',
    '&',
    '=',
    '?',
    '#',
    '/',
    ' ',
    '%20',
    '%2',
    '%ZZ',
    '%C0%80',
    '%0A',
    '\n',
    '\u202e',
    '-',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const uriText = fc
  .array(fc.oneof(uriChar, fc.string({ unit: 'grapheme-ascii', maxLength: 6 })), { maxLength: 12 })
  .map((a) => a.join(''));

describe('parseOtpUri never throws anything but its own errors', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), uriText), (s) => {
        const d = outcome(() => parseOtpUri(s));
        if (d) checkDraft(d);
      }),
      { numRuns: 2000 },
    );
  });

  it('on URIs assembled from plausible and hostile parts, with the canary as secret', () => {
    // Weighted towards the plausible, so that a fair share parse and the draft checks run.
    const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> =>
      fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: bad, weight: 1 });
    const scheme = often(
      fc.constantFrom('otpauth://', 'OTPAUTH://'),
      fc.constantFrom('otpauth:', 'steam://', 'otpauth-migration://', ''),
    );
    const type = often(
      fc.constantFrom('totp', 'hotp', 'steam', 'TOTP'),
      fc.oneof(fc.constantFrom('yaotp', ''), uriText),
    );
    const value = fc.oneof(
      fc.constantFrom(
        CANARY,
        CANARY.toLowerCase(),
        `${CANARY}====`,
        'SHA-256',
        'sha512',
        'MD5',
        '6',
        '8',
        '10',
        '30',
        '0',
        '-1',
        'steam',
        '',
      ),
      uriText,
    );
    const key = often(fc.constantFrom(...KEYS, 'SECRET', 'image', 'pin'), uriText);
    const params = fc.array(fc.tuple(key, value), { maxLength: 8 });
    let parsed = 0;
    fc.assert(
      fc.property(
        scheme,
        type,
        often(fc.string({ maxLength: 20 }), uriText),
        params,
        fc.boolean(),
        (sc, ty, label, ps, withSecret) => {
          const query = (withSecret ? [['secret', CANARY] as const, ...ps] : ps).map(([k, v]) => `${k}=${v}`).join('&');
          const uri = sc.startsWith('steam') ? `${sc}${label}` : `${sc}${ty}/${label}?${query}`;
          const d = outcome(() => parseOtpUri(uri));
          if (d) {
            checkDraft(d);
            parsed++;
          }
        },
      ),
      { numRuns: 2000 },
    );
    // Not vacuous: a fair share of these parse, so checkDraft really ran.
    expect(parsed).toBeGreaterThan(100);
  });

  it('on mutations of valid URIs that carry the canary', () => {
    const draft = fc
      .record({
        type: fc.constantFrom('totp', 'hotp', 'steam'),
        algorithm: fc.constantFrom('SHA1', 'SHA256', 'SHA512'),
        digits: fc.integer({ min: 6, max: 10 }),
        period: fc.integer({ min: 1, max: MAX_PERIOD }),
        counter: fc.maxSafeNat(),
        issuer: fc.string({ maxLength: 20 }),
        label: fc.string({ maxLength: 20 }),
      })
      .map((r) => outcome(() => makeDraft({ ...r, secret: new Redacted(CANARY) })))
      .filter((d): d is AccountDraft => d !== undefined);
    let parsed = 0;
    const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 6 }), insert: fc.oneof(uriChar, fc.constant('')) });
    fc.assert(
      fc.property(draft, fc.array(edit, { minLength: 1, maxLength: 5 }), (d, edits) => {
        let uri = formatOtpUri(d).reveal();
        for (const { at, del, insert } of edits) {
          const i = at % (uri.length + 1);
          uri = uri.slice(0, i) + insert + uri.slice(i + del);
        }
        const d2 = outcome(() => parseOtpUri(uri));
        if (d2) {
          checkDraft(d2);
          parsed++;
        }
      }),
      { numRuns: 2000 },
    );
    expect(parsed).toBeGreaterThan(200);
  });
});

describe('canonicalBase32', () => {
  it('returns canonical base32 or a fixed error, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          fc.string({ unit: fc.constantFrom(...Array.from('abcxyzABCXYZ234567= -\t01ſı')), maxLength: 60 }),
        ),
        (s) => {
          const out = outcome(() => canonicalBase32(s));
          if (out !== undefined) {
            expect(out).toMatch(/^[A-Z2-7]+$/);
            expect(canonicalBase32(out)).toBe(out);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('undoes every way people write a seed', () => {
    const layout = fc.record({
      lower: fc.boolean(),
      sep: fc.constantFrom('', ' ', '-', '  ', '\t', '\u00a0'),
      group: fc.integer({ min: 1, max: 8 }),
      pad: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 1024 }), layout, (bytes, { lower, sep, group, pad }) => {
        const b32 = base32(bytes);
        let s = (b32.match(new RegExp(`.{1,${group}}`, 'g')) ?? []).join(sep);
        if (lower) s = s.toLowerCase();
        if (pad) s += '='.repeat((8 - (b32.length % 8)) % 8);
        expect(canonicalBase32(s)).toBe(b32);
      }),
    );
  });

  it('never shows the secret in its error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.nat(), (junk, at) => {
        const i = at % (CANARY.length + 1);
        outcome(() => canonicalBase32(CANARY.slice(0, i) + junk + CANARY.slice(i)));
      }),
    );
  });
});

describe('makeDraft', () => {
  const numberish = fc.oneof(
    fc.integer({ min: -5, max: 100_000 }),
    fc.double(),
    fc.constantFrom(2 ** 53, Number.MAX_SAFE_INTEGER, -0),
    fc.constantFrom('6', ' 8 ', '10', '08', '1e1', '0x10', '', '30', '86400', '9007199254740991', '9007199254740992'),
    fc.string({ maxLength: 8 }),
  );
  const input = fc.record(
    {
      secret: fc
        .oneof(fc.constant(CANARY), fc.constant(`${CANARY.toLowerCase()}==`), anyText)
        .map((s) => new Redacted(s)),
      type: fc.oneof(fc.constantFrom('totp', 'hotp', 'steam', 'HOTP', ' Steam '), anyText),
      algorithm: fc.oneof(fc.constantFrom('SHA1', 'sha-256', 'SHA2-512', 'MD5', 'sha384'), anyText),
      digits: numberish,
      period: numberish,
      counter: numberish,
      issuer: anyText,
      label: anyText,
    },
    { requiredKeys: ['secret'] },
  );

  it('gives a valid, stable, exportable draft or a fixed error', () => {
    fc.assert(
      fc.property(input, (i: DraftInput) => {
        const d = outcome(() => makeDraft(i));
        if (d) checkDraft(d);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any valid draft through formatOtpUri and parseOtpUri', () => {
    const valid = fc.record({
      secret: fc.uint8Array({ minLength: 1, maxLength: 128 }).map((b) => new Redacted(base32(b))),
      type: fc.constantFrom('totp', 'hotp', 'steam'),
      algorithm: fc.constantFrom('SHA1', 'SHA256', 'SHA512'),
      digits: fc.integer({ min: 6, max: 10 }),
      period: fc.integer({ min: 1, max: MAX_PERIOD }),
      counter: fc.maxSafeNat(),
      // Full Unicode, with the characters that have meaning in a URI made likely.
      issuer: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), uriText),
      label: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), uriText),
    });
    fc.assert(
      fc.property(valid, (i) => {
        const d = outcome(() => makeDraft(i));
        if (d) expect(plain(parseOtpUri(formatOtpUri(d).reveal()))).toEqual(plain(d));
      }),
      { numRuns: 2000 },
    );
  });
});

it('the error list above is not vacuous: the fuzzers reach most messages', () => {
  // Guards against a fuzzer that only ever hits one error path.
  const seen = new Set<string>();
  const record = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      if (isTotpMcpError(e)) seen.add(e.message);
    }
  };
  fc.assert(
    fc.property(
      uriText,
      fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.oneof(uriText, fc.constantFrom('x', '0', CANARY))), {
        maxLength: 6,
      }),
      (label, ps) => {
        record(() =>
          parseOtpUri(
            `otpauth://${ps.length % 2 ? 'hotp' : 'totp'}/${label}?${ps.map(([k, v]) => `${k}=${v}`).join('&')}`,
          ),
        );
      },
    ),
    { numRuns: 3000, seed: 42 },
  );
  expect(seen.size).toBeGreaterThanOrEqual(12);
  expect([...seen].every((m) => MESSAGES.has(m))).toBe(true);
});

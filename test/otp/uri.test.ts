import { describe, expect, it } from 'vitest';
import { isTotpMcpError, TotpMcpError } from '../../src/core/errors.js';
import type { AccountDraft } from '../../src/core/model.js';
import { Redacted } from '../../src/core/redacted.js';
import { canonicalBase32, formatOtpUri, makeDraft, parseOtpUri } from '../../src/otp/index.js';
import { plain } from './reference.js';

const S = 'JBSWY3DPEHPK3PXP';
const totp = { type: 'totp', secret: S, algorithm: 'SHA1', digits: 6, period: 30, counter: 0 } as const;

function thrown(fn: () => unknown): TotpMcpError {
  try {
    fn();
  } catch (e) {
    if (isTotpMcpError(e)) return e;
    throw new Error('expected a TotpMcpError', { cause: e });
  }
  throw new Error('expected an error, got none');
}

describe('parseOtpUri: real-world URIs', () => {
  const table: [string, string, Partial<ReturnType<typeof plain>>][] = [
    [
      'Key-Uri-Format example',
      `otpauth://totp/Example:alice@google.com?secret=${S}&issuer=Example`,
      { issuer: 'Example', label: 'alice@google.com' },
    ],
    [
      'full example, %20 in issuer',
      'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30',
      { issuer: 'ACME Co', label: 'john.doe@email.com', secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ' },
    ],
    ['upper-case scheme and type', `OTPAUTH://TOTP/Acme:bob?SECRET=${S}`, { issuer: 'Acme', label: 'bob' }],
    [
      '+ as space in query (2FAS, Go url.Values)',
      `otpauth://totp/Air%20Canada:me?secret=${S}&issuer=Air+Canada`,
      { issuer: 'Air Canada', label: 'me' },
    ],
    [
      '+ in the label stays a plus',
      `otpauth://totp/alice+tag@example.com?secret=${S}`,
      { issuer: '', label: 'alice+tag@example.com' },
    ],
    ['%2B in a query value is a plus', `otpauth://totp/x?secret=${S}&issuer=C%2B%2B`, { issuer: 'C++', label: 'x' }],
    ['no issuer at all', `otpauth://totp/alice@example.com?secret=${S}`, { issuer: '', label: 'alice@example.com' }],
    ['issuer only in the prefix', `otpauth://totp/GitHub:octocat?secret=${S}`, { issuer: 'GitHub', label: 'octocat' }],
    [
      'prefix split at %3A, %20 after it',
      `otpauth://totp/GitHub%3A%20octocat?secret=${S}`,
      { issuer: 'GitHub', label: 'octocat' },
    ],
    [
      'split at the first colon only (pyotp#174 class)',
      `otpauth://totp/Text%3A%20More%20Text:Secret?secret=${S}`,
      { issuer: 'Text', label: 'More Text:Secret' },
    ],
    [
      'issuer param disagrees with the prefix: param wins',
      `otpauth://totp/OldName:alice?secret=${S}&issuer=NewName`,
      { issuer: 'NewName', label: 'alice' },
    ],
    [
      'issuer with a colon, given as the param (Aegis#1701)',
      `otpauth://totp/Foo%3ABar:alice?secret=${S}&issuer=Foo%3ABar`,
      { issuer: 'Foo:Bar', label: 'alice' },
    ],
    [
      'issuer param only, no prefix',
      `otpauth://totp/alice?issuer=Acme&secret=${S}`,
      { issuer: 'Acme', label: 'alice' },
    ],
    [
      'empty issuer param falls back to the prefix',
      `otpauth://totp/Acme:alice?issuer=&secret=${S}`,
      { issuer: 'Acme', label: 'alice' },
    ],
    ['lower-case secret', `otpauth://totp/x?secret=${S.toLowerCase()}`, { secret: S }],
    ['padded secret', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJA%3D%3D%3D%3D%3D%3D', { secret: 'JBSWY3DPEHPK3PXPJA' }],
    ['padded secret, raw =', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJA======', { secret: 'JBSWY3DPEHPK3PXPJA' }],
    ['spaced secret (%20 and +)', 'otpauth://totp/x?secret=JBSW%20Y3DP+EHPK%20%203PXP', { secret: S }],
    ['dashed secret', 'otpauth://totp/x?secret=JBSW-Y3DP-EHPK-3PXP', { secret: S }],
    [
      'algorithm SHA-256, digits 8, period 60',
      `otpauth://totp/x?secret=${S}&algorithm=SHA-256&digits=8&period=60`,
      { algorithm: 'SHA256', digits: 8, period: 60 },
    ],
    ['algorithm sha512 lower case', `otpauth://totp/x?secret=${S}&algorithm=sha512`, { algorithm: 'SHA512' }],
    ['digits 10', `otpauth://totp/x?secret=${S}&digits=10`, { digits: 10 }],
    [
      'hotp with counter',
      `otpauth://hotp/Acme:dev?secret=${S}&counter=42&issuer=Acme`,
      { type: 'hotp', counter: 42, period: 30, issuer: 'Acme', label: 'dev' },
    ],
    ['hotp counter 0', `otpauth://hotp/dev?secret=${S}&counter=0`, { type: 'hotp', counter: 0, label: 'dev' }],
    [
      'hotp ignores a period',
      `otpauth://hotp/dev?secret=${S}&counter=7&period=60`,
      { type: 'hotp', counter: 7, period: 30, label: 'dev' },
    ],
    ['totp ignores a counter', `otpauth://totp/dev?secret=${S}&counter=7`, { type: 'totp', counter: 0, label: 'dev' }],
    [
      'Aegis steam',
      'otpauth://steam/Steam:gaben?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Steam&algorithm=SHA1&digits=5&period=30',
      {
        type: 'steam',
        issuer: 'Steam',
        label: 'gaben',
        digits: 5,
        period: 30,
        algorithm: 'SHA1',
        secret: '63BEDWCQZKTQWPESARIERL5DTTQFCJTK',
      },
    ],
    [
      'steam without digits',
      `otpauth://steam/gaben?secret=${S}`,
      { type: 'steam', digits: 5, period: 30, label: 'gaben', issuer: '' },
    ],
    [
      'KeePassXC encoder=steam',
      `otpauth://totp/Steam:gaben?secret=${S}&period=30&digits=6&issuer=Steam&encoder=steam`,
      { type: 'steam', digits: 5, issuer: 'Steam', label: 'gaben' },
    ],
    [
      'gopass encoder=steam, digits=5',
      `otpauth://totp/gaben?secret=${S}&digits=5&encoder=Steam`,
      { type: 'steam', digits: 5, label: 'gaben' },
    ],
    [
      'Bitwarden steam://',
      'steam://63BEDWCQZKTQWPESARIERL5DTTQFCJTK',
      { type: 'steam', issuer: 'Steam', label: '', secret: '63BEDWCQZKTQWPESARIERL5DTTQFCJTK' },
    ],
    [
      'Bitwarden STEAM:// lower-case secret',
      'STEAM://63bedwcqzktqwpesarierl5dttqfcjtk',
      { type: 'steam', issuer: 'Steam', label: '', secret: '63BEDWCQZKTQWPESARIERL5DTTQFCJTK' },
    ],
    [
      'unknown params ignored (image, codeDisplay, pin)',
      `otpauth://totp/x?secret=${S}&image=https%3A%2F%2Fe.x%2Fa.png&codeDisplay=%7B%7D&pin=1234&icon=`,
      { label: 'x' },
    ],
    ['surrounding whitespace (copy and paste)', `  otpauth://totp/x?secret=${S}\n`, { label: 'x' }],
    ['fragment ignored', `otpauth://totp/x?secret=${S}#top`, { label: 'x' }],
    ['no label path at all', `otpauth://totp?secret=${S}&issuer=Acme`, { issuer: 'Acme', label: '' }],
    ['empty label', `otpauth://totp/?secret=${S}`, { issuer: '', label: '' }],
    [
      'unicode label, raw and encoded',
      `otpauth://totp/Bänk:j%C3%BCrgen%20%F0%9F%94%91?secret=${S}`,
      { issuer: 'Bänk', label: 'jürgen 🔑' },
    ],
    ['raw space in the label', `otpauth://totp/ACME Co:john?secret=${S}`, { issuer: 'ACME Co', label: 'john' }],
    ['leading zeros in numbers', `otpauth://totp/x?secret=${S}&digits=08&period=030`, { digits: 8, period: 30 }],
    ['issuer and label trimmed', `otpauth://totp/%20A%20:%20b%20?secret=${S}`, { issuer: 'A', label: 'b' }],
  ];

  it.each(table)('%s', (_name, uri, expected) => {
    expect(plain(parseOtpUri(uri))).toEqual({
      ...totp,
      issuer: '',
      label: 'x',
      ...expectedDefaults(expected),
      ...expected,
    });
  });
});

/** Steam rows only list what differs; everything not listed takes the default above. */
function expectedDefaults(e: Partial<ReturnType<typeof plain>>): Partial<ReturnType<typeof plain>> {
  return e.type === 'steam' ? { algorithm: 'SHA1', digits: 5, period: 30, counter: 0 } : {};
}

describe('parseOtpUri: bad URIs', () => {
  const table: [string, string, string][] = [
    ['too long', `otpauth://totp/x?secret=${S}&image=${'a'.repeat(4096)}`, 'URI is too long (at most 4096 characters)'],
    ['empty', '', 'not an otpauth:// or steam:// URI'],
    ['http', 'https://example.com/?secret=JBSWY3DPEHPK3PXP', 'not an otpauth:// or steam:// URI'],
    ['plain base32', S, 'not an otpauth:// or steam:// URI'],
    ['motp (Aegis)', 'motp://Acme:alice?secret=0123456789abcdef', 'not an otpauth:// or steam:// URI'],
    [
      'GA migration',
      'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8',
      'this is a Google Authenticator export (otpauth-migration://), not a single account',
    ],
    ['no //', `otpauth:totp/x?secret=${S}`, 'malformed otpauth URI'],
    ['yaotp (Yandex)', `otpauth://yaotp/x?secret=${S}&pin=1234`, 'unsupported OTP type (expected totp, hotp or steam)'],
    ['motp type', `otpauth://motp/x?secret=${S}`, 'unsupported OTP type (expected totp, hotp or steam)'],
    ['empty type', `otpauth:///x?secret=${S}`, 'unsupported OTP type (expected totp, hotp or steam)'],
    ['no secret', 'otpauth://totp/x?issuer=Acme', 'missing "secret" parameter'],
    ['no query', 'otpauth://totp/x', 'missing "secret" parameter'],
    ['empty secret', 'otpauth://totp/x?secret=', 'secret is empty'],
    ['secret of padding only', 'otpauth://totp/x?secret====', 'secret is empty'],
    ['one-character secret', 'otpauth://totp/x?secret=A', 'secret is too short'],
    [
      'non-base32 secret',
      'otpauth://totp/x?secret=JBSWY3DPEHPK3PX1',
      'secret is not valid base32 (letters A-Z and digits 2-7)',
    ],
    [
      'hex secret',
      'otpauth://totp/x?secret=0123456789abcdef',
      'secret is not valid base32 (letters A-Z and digits 2-7)',
    ],
    [
      'padding inside the secret',
      'otpauth://totp/x?secret=JBSW%3DY3DP',
      'secret is not valid base32 (letters A-Z and digits 2-7)',
    ],
    [
      'secret over 1024 bytes',
      `otpauth://totp/x?secret=${'A'.repeat(1640)}`,
      'secret is too long (at most 1024 bytes)',
    ],
    ['duplicate secret', `otpauth://totp/x?secret=${S}&secret=AAAAAAAA`, 'duplicate "secret" parameter'],
    ['duplicate secret, other case', `otpauth://totp/x?secret=${S}&Secret=${S}`, 'duplicate "secret" parameter'],
    ['duplicate digits', `otpauth://totp/x?secret=${S}&digits=6&digits=8`, 'duplicate "digits" parameter'],
    ['duplicate issuer', `otpauth://totp/x?secret=${S}&issuer=A&issuer=B`, 'duplicate "issuer" parameter'],
    ['hotp without counter', `otpauth://hotp/x?secret=${S}`, 'missing "counter" parameter (required for hotp)'],
    ['hotp, empty counter', `otpauth://hotp/x?secret=${S}&counter=`, 'counter must be a non-negative integer'],
    ['hotp, negative counter', `otpauth://hotp/x?secret=${S}&counter=-1`, 'counter must be a non-negative integer'],
    [
      'hotp, counter past 2^53',
      `otpauth://hotp/x?secret=${S}&counter=9007199254740992`,
      'counter must be a non-negative integer',
    ],
    ['hotp, hex counter', `otpauth://hotp/x?secret=${S}&counter=0x10`, 'counter must be a non-negative integer'],
    ['MD5', `otpauth://totp/x?secret=${S}&algorithm=MD5`, 'algorithm must be SHA1, SHA256 or SHA512'],
    ['SHA384', `otpauth://totp/x?secret=${S}&algorithm=SHA384`, 'algorithm must be SHA1, SHA256 or SHA512'],
    ['SHA3-256', `otpauth://totp/x?secret=${S}&algorithm=SHA3-256`, 'algorithm must be SHA1, SHA256 or SHA512'],
    ['digits 5 on totp', `otpauth://totp/x?secret=${S}&digits=5`, 'digits must be an integer from 6 to 10'],
    ['digits 11', `otpauth://totp/x?secret=${S}&digits=11`, 'digits must be an integer from 6 to 10'],
    ['digits 6.5', `otpauth://totp/x?secret=${S}&digits=6.5`, 'digits must be an integer from 6 to 10'],
    ['digits empty', `otpauth://totp/x?secret=${S}&digits=`, 'digits must be an integer from 6 to 10'],
    ['digits 1e1', `otpauth://totp/x?secret=${S}&digits=1e1`, 'digits must be an integer from 6 to 10'],
    ['period 0', `otpauth://totp/x?secret=${S}&period=0`, 'period must be an integer from 1 to 86400 seconds'],
    ['period 86401', `otpauth://totp/x?secret=${S}&period=86401`, 'period must be an integer from 1 to 86400 seconds'],
    ['period -30', `otpauth://totp/x?secret=${S}&period=-30`, 'period must be an integer from 1 to 86400 seconds'],
    [
      'unknown encoder',
      `otpauth://totp/x?secret=${S}&encoder=yandex`,
      'unsupported "encoder" parameter (only steam is known)',
    ],
    [
      'encoder=steam on hotp',
      `otpauth://hotp/x?secret=${S}&counter=1&encoder=steam`,
      '"encoder=steam" needs a totp URI, not hotp',
    ],
    ['bad escape in the label', `otpauth://totp/100%:x?secret=${S}`, 'malformed percent-encoding in the label'],
    ['non-UTF-8 escape in the label', `otpauth://totp/%C0%80?secret=${S}`, 'malformed percent-encoding in the label'],
    [
      'bad escape in the secret',
      'otpauth://totp/x?secret=JBSW%ZZ',
      'malformed percent-encoding in the "secret" parameter',
    ],
    [
      'bad escape in the issuer',
      `otpauth://totp/x?secret=${S}&issuer=%E0%A4%A`,
      'malformed percent-encoding in the "issuer" parameter',
    ],
    ['raw newline inside', `otpauth://totp/x\ny?secret=${S}`, 'URI contains control characters'],
    ['raw NUL', `otpauth://totp/x?secret=${S}\u0000`, 'URI contains control characters'],
    ['encoded newline in the label', `otpauth://totp/Acme:a%0Ab?secret=${S}`, 'label contains control characters'],
    [
      'encoded newline in the issuer',
      `otpauth://totp/a?secret=${S}&issuer=A%0D%0AB`,
      'issuer contains control characters',
    ],
    [
      'bidi override in the label',
      `otpauth://totp/Acme:%E2%80%AEmoc.evil?secret=${S}`,
      'label contains control characters',
    ],
    [
      'label over 256 characters',
      `otpauth://totp/${'a'.repeat(257)}?secret=${S}`,
      'label is longer than 256 characters',
    ],
    [
      'issuer over 256 characters',
      `otpauth://totp/a?secret=${S}&issuer=${'i'.repeat(257)}`,
      'issuer is longer than 256 characters',
    ],
    ['steam:// with junk', 'steam://63BEDWCQ/ZKTQ?x=1', 'secret is not valid base32 (letters A-Z and digits 2-7)'],
    ['steam:// empty', 'steam://', 'secret is empty'],
  ];

  it.each(table)('%s', (_name, uri, message) => {
    const e = thrown(() => parseOtpUri(uri));
    expect(e.code).toBe('invalid');
    expect(e.message).toBe(message);
  });

  // Exact messages above already prove there is no echo; this also checks the hint and the cause.
  it('never shows the secret, in the message, the hint or a cause', () => {
    for (const [, uri] of table) {
      const e = thrown(() => parseOtpUri(uri));
      const shown = `${e.message} ${e.hint ?? ''}`;
      expect(shown).not.toContain(S);
      expect(e.cause).toBeUndefined();
    }
  });

  it('accepts 4096 characters exactly', () => {
    const head = `otpauth://totp/x?secret=${S}&image=`;
    expect(parseOtpUri(head + 'a'.repeat(4096 - head.length)).label).toBe('x');
  });

  it('accepts 256 characters of label, counted as a person counts them', () => {
    expect(parseOtpUri(`otpauth://totp/${'🔑'.repeat(256)}?secret=${S}`).label).toBe('🔑'.repeat(256));
  });
});

describe('formatOtpUri', () => {
  const d = (over: Partial<Parameters<typeof makeDraft>[0]>): AccountDraft =>
    makeDraft({ secret: new Redacted(S), ...over });

  it.each([
    [
      { issuer: 'ACME Co', label: 'john.doe@email.com' },
      `otpauth://totp/ACME%20Co:john.doe%40email.com?secret=${S}&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30`,
    ],
    [{ label: 'alice' }, `otpauth://totp/alice?secret=${S}&algorithm=SHA1&digits=6&period=30`],
    [{ label: 'a:b' }, `otpauth://totp/:a%3Ab?secret=${S}&algorithm=SHA1&digits=6&period=30`],
    [
      { issuer: 'C++ & Co', label: 'x/y?z#w' },
      `otpauth://totp/C%2B%2B%20%26%20Co:x%2Fy%3Fz%23w?secret=${S}&issuer=C%2B%2B%20%26%20Co&algorithm=SHA1&digits=6&period=30`,
    ],
    [
      { type: 'hotp', counter: 9, algorithm: 'sha-512', digits: 8 },
      `otpauth://hotp/?secret=${S}&algorithm=SHA512&digits=8&counter=9`,
    ],
    [
      { type: 'steam', issuer: 'Steam', label: 'gaben' },
      `otpauth://steam/Steam:gaben?secret=${S}&issuer=Steam&algorithm=SHA1&digits=5&period=30`,
    ],
  ] as const)('%o', (over, uri) => {
    expect(formatOtpUri(d(over)).reveal()).toBe(uri);
  });

  it('writes canonical base32 even from a sloppy draft', () => {
    const sloppy = { ...d({ label: 'x' }), secret: new Redacted('jbsw y3dp-ehpk 3pxp==') };
    expect(formatOtpUri(sloppy).reveal()).toContain(`secret=${S}&`);
  });

  it('round-trips a table of awkward drafts', () => {
    const drafts = [
      d({}),
      d({ issuer: 'Foo:Bar', label: 'a:b:c' }),
      d({ issuer: 'x', label: '' }),
      d({ label: ':' }),
      d({ issuer: '100% legit', label: 'a+b=c&d' }),
      d({ issuer: 'Ünïcødé 🔑', label: 'ﬀ ǅ' }),
      d({ type: 'hotp', counter: Number.MAX_SAFE_INTEGER, algorithm: 'SHA256', digits: 10 }),
      d({ period: 86_400, digits: 7, algorithm: 'SHA512' }),
      d({ type: 'steam', label: 'gaben' }),
    ];
    for (const draft of drafts) expect(plain(parseOtpUri(formatOtpUri(draft).reveal()))).toEqual(plain(draft));
  });

  it('refuses an invalid draft with the same errors as makeDraft', () => {
    const bad = { ...d({}), digits: 4 };
    expect(thrown(() => formatOtpUri(bad)).message).toBe('digits must be an integer from 6 to 10');
  });
});

describe('makeDraft', () => {
  const secret = new Redacted(S);
  it.each([
    [{}, { ...totp }],
    [
      { type: 'TOTP', algorithm: 'sha-256', digits: '8', period: ' 60 ' },
      { ...totp, algorithm: 'SHA256', digits: 8, period: 60 },
    ],
    [{ algorithm: 'SHA256' }, { ...totp, algorithm: 'SHA256' }],
    [{ algorithm: 'sha256' }, { ...totp, algorithm: 'SHA256' }],
    [{ algorithm: 'SHA2-512' }, { ...totp, algorithm: 'SHA512' }],
    [{ algorithm: 'SHA-1' }, { ...totp }],
    [{ type: 'hotp' }, { ...totp, type: 'hotp', counter: 0 }],
    [
      { type: 'hotp', counter: '12' },
      { ...totp, type: 'hotp', counter: 12 },
    ],
    [
      { type: 'hotp', counter: -0 },
      { ...totp, type: 'hotp', counter: 0 },
    ], // not -0: toEqual tells them apart
    [
      { type: 'steam', digits: 8, period: 60, algorithm: 'SHA512' },
      { ...totp, type: 'steam', digits: 5 },
    ],
    [
      { issuer: '  GitHub  ', label: '\talice ' },
      { ...totp, issuer: 'GitHub', label: 'alice' },
    ],
    [
      { digits: 10, period: 1 },
      { ...totp, digits: 10, period: 1 },
    ],
  ] as const)('%o', (input, expected) => {
    expect(plain(makeDraft({ secret, ...input }))).toEqual({ issuer: '', label: '', ...expected });
  });

  it.each([
    [{ type: 'yaotp' }, 'unsupported OTP type (expected totp, hotp or steam)'],
    [{ algorithm: 'MD5' }, 'algorithm must be SHA1, SHA256 or SHA512'],
    [{ algorithm: 'SHA-384' }, 'algorithm must be SHA1, SHA256 or SHA512'],
    [{ algorithm: '' }, 'algorithm must be SHA1, SHA256 or SHA512'],
    [{ digits: 5 }, 'digits must be an integer from 6 to 10'],
    [{ digits: 6.5 }, 'digits must be an integer from 6 to 10'],
    [{ digits: Number.NaN }, 'digits must be an integer from 6 to 10'],
    [{ digits: '6 digits' }, 'digits must be an integer from 6 to 10'],
    [{ period: 0 }, 'period must be an integer from 1 to 86400 seconds'],
    [{ period: Infinity }, 'period must be an integer from 1 to 86400 seconds'],
    [{ period: '30s' }, 'period must be an integer from 1 to 86400 seconds'],
    [{ type: 'hotp', counter: -1 }, 'counter must be a non-negative integer'],
    [{ type: 'hotp', counter: 1.5 }, 'counter must be a non-negative integer'],
    [{ type: 'hotp', counter: 2 ** 53 }, 'counter must be a non-negative integer'],
    [{ issuer: 'a\u0007b' }, 'issuer contains control characters'],
    [{ issuer: 'a\u0085b' }, 'issuer contains control characters'],
    [{ label: 'a\u2028b' }, 'label contains control characters'],
    [{ label: 'a\u2066b' }, 'label contains control characters'],
    [{ label: 'a\ud800b' }, 'label contains control characters'],
    [{ label: 'x'.repeat(257) }, 'label is longer than 256 characters'],
  ] as const)('%o → %s', (input, message) => {
    expect(thrown(() => makeDraft({ secret, ...input })).message).toBe(message);
  });

  it('accepts an explicit undefined for every optional field (CLI options objects)', () => {
    const u = undefined;
    expect(
      plain(makeDraft({ secret, type: u, algorithm: u, digits: u, period: u, counter: u, issuer: u, label: u })),
    ).toEqual({
      ...totp,
      issuer: '',
      label: '',
    });
  });
});

describe('canonicalBase32', () => {
  it.each([
    [S, S],
    ['jbswy3dpehpk3pxp', S],
    ['JBSW Y3DP EHPK 3PXP', S],
    ['jbsw-y3dp-ehpk-3pxp', S],
    ['JBSWY3DPEHPK3PXPJA======', 'JBSWY3DPEHPK3PXPJA'],
    ['\u00a0JBSW\u3000Y3DP\tEHPK\n3PXP ', S],
    ['FFFFFFFAAAAAABBBBBBB', 'FFFFFFFAAAAAABBBBBBB'], // kept as typed, trailing bits and all
    ['AB', 'AB'],
    ['A'.repeat(1638), 'A'.repeat(1638)], // 1023 bytes
    ['A'.repeat(1639), 'A'.repeat(1639)], // 1024 bytes
  ])('%j → %s', (input, out) => {
    expect(canonicalBase32(input)).toBe(out);
  });

  it.each([
    ['', 'secret is empty'],
    ['  -- ==', 'secret is empty'],
    ['A', 'secret is too short'],
    ['JBSWY3DPEHPK3PX0', 'secret is not valid base32 (letters A-Z and digits 2-7)'],
    ['JBSWY3DPEHPK3PX8', 'secret is not valid base32 (letters A-Z and digits 2-7)'],
    ['JBSW=Y3DP', 'secret is not valid base32 (letters A-Z and digits 2-7)'],
    ['JBSWY3DPEHPK3PXſ', 'secret is not valid base32 (letters A-Z and digits 2-7)'], // 'ſ'.toUpperCase() is 'S'
    ['JBSWY3DPEHPK3PXı', 'secret is not valid base32 (letters A-Z and digits 2-7)'], // 'ı'.toUpperCase() is 'I'
    ['ＪＢＳＷ', 'secret is not valid base32 (letters A-Z and digits 2-7)'],
    ['A'.repeat(1640), 'secret is too long (at most 1024 bytes)'],
    [' '.repeat(9000), 'secret is too long (at most 1024 bytes)'],
  ])('%j → %s', (input, message) => {
    const e = thrown(() => canonicalBase32(input));
    expect(e.code).toBe('invalid');
    expect(e.message).toBe(message);
  });
});

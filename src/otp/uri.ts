import { fail } from '../core/errors.js';
import type { AccountDraft } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import { makeDraft } from './draft.js';

const MAX_URI_CHARS = 4096;

/** Parameters we read. Each may appear once; anything else (image, icon, pin, ...) is ignored. */
const KNOWN = new Set(['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter', 'encoder']);

/** otpauth://TYPE[/LABEL][?QUERY][#FRAGMENT]; the scheme and type are case-insensitive. */
const OTPAUTH = /^otpauth:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?(?:#.*)?$/is;
/** Bitwarden's Steam form: steam://BASE32, nothing else. */
const STEAM = /^steam:\/\/(.*)$/is;

/**
 * Parse otpauth://totp|hotp|steam/..., steam://BASE32 (Bitwarden), and
 * otpauth://totp/...&encoder=steam (KeePassXC/gopass).
 *
 * Tolerated quirks: upper-case scheme/type, '+' as space in query values, missing issuer, issuer
 * only in the label prefix (split at the first ':' or %3A), issuer param disagreeing with prefix
 * (param wins), lowercase/padded/spaced/dashed base32, algorithm 'SHA-256'. Strict otherwise: at
 * most 4096 characters, no control characters, no repeated known parameter, no unknown type or
 * encoder, hotp needs a counter. Error messages are fixed text: they may name a parameter, never
 * echo the URI or the secret.
 *
 * One refinement of the label rule: when the issuer parameter is present and the label starts with
 * exactly that issuer and a colon, the split happens there, so an issuer that itself contains a
 * colon (Aegis#1701) keeps the account name intact and formatOtpUri round-trips.
 */
export function parseOtpUri(uri: string): AccountDraft {
  if (uri.length > MAX_URI_CHARS) fail('invalid', `URI is too long (at most ${MAX_URI_CHARS} characters)`);
  const text = uri.trim();
  // Raw controls are never valid in a URI; rejecting them up front keeps newlines out of labels.
  if (/\p{Cc}/u.test(text)) fail('invalid', 'URI contains control characters');

  const steam = STEAM.exec(text);
  if (steam) return makeDraft({ type: 'steam', secret: new Redacted(steam[1] ?? ''), issuer: 'Steam' });

  if (/^otpauth-migration:/i.test(text)) {
    fail('invalid', 'this is a Google Authenticator export (otpauth-migration://), not a single account', {
      hint: 'import it with totp-mcp import',
    });
  }
  const m = OTPAUTH.exec(text);
  if (!m) {
    return fail('invalid', /^otpauth:/i.test(text) ? 'malformed otpauth URI' : 'not an otpauth:// or steam:// URI', {
      hint: 'expected otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer',
    });
  }
  let type = (m[1] ?? '').toLowerCase();
  if (type !== 'totp' && type !== 'hotp' && type !== 'steam') {
    fail('invalid', 'unsupported OTP type (expected totp, hotp or steam)');
  }
  const path = decode(m[2] ?? '', 'malformed percent-encoding in the label');
  const params = parseQuery(m[3] ?? '');

  const secret = params.get('secret');
  if (secret === undefined) return fail('invalid', 'missing "secret" parameter');

  const encoder = params.get('encoder');
  if (encoder !== undefined) {
    if (encoder.trim().toLowerCase() !== 'steam')
      fail('invalid', 'unsupported "encoder" parameter (only steam is known)');
    if (type === 'hotp') fail('invalid', '"encoder=steam" needs a totp URI, not hotp');
    type = 'steam';
  }

  const counter = params.get('counter');
  if (type === 'hotp' && counter === undefined) fail('invalid', 'missing "counter" parameter (required for hotp)');

  const issuerParam = params.get('issuer')?.trim() || undefined;
  let issuer = issuerParam;
  let label = path;
  if (issuerParam !== undefined && path.startsWith(`${issuerParam}:`)) {
    label = path.slice(issuerParam.length + 1);
  } else {
    const colon = path.indexOf(':');
    if (colon >= 0) {
      label = path.slice(colon + 1);
      issuer ??= path.slice(0, colon);
    }
  }

  return makeDraft({
    type,
    secret: new Redacted(secret),
    algorithm: params.get('algorithm'),
    digits: params.get('digits'),
    period: params.get('period'),
    counter,
    issuer,
    label,
  });
}

/**
 * The inverse, for export: otpauth://totp|hotp/Issuer:label?secret=...&issuer=...&algorithm=...
 * &digits=...&period=... (hotp: counter instead of period); steam as otpauth://steam/... with
 * digits=5 and period=30 (Aegis, 2FAS and ente read it; plain TOTP apps would show wrong codes
 * under any dialect). The draft is normalised through makeDraft first, so the result always parses
 * back to the same draft.
 */
export function formatOtpUri(draft: AccountDraft): Redacted {
  const d = makeDraft(draft);
  const enc = encodeURIComponent;
  // A label that contains a colon gets an explicit (possibly empty) issuer prefix, or the parser
  // would take the part before its first colon for the issuer.
  const path = d.issuer !== '' || d.label.includes(':') ? `${enc(d.issuer)}:${enc(d.label)}` : enc(d.label);
  const query = [`secret=${d.secret.reveal()}`];
  if (d.issuer !== '') query.push(`issuer=${enc(d.issuer)}`);
  query.push(`algorithm=${d.algorithm}`, `digits=${d.digits}`);
  query.push(d.type === 'hotp' ? `counter=${d.counter}` : `period=${d.period}`);
  return new Redacted(`otpauth://${d.type}/${path}?${query.join('&')}`);
}

/** Known parameters, keys lower-cased, values decoded with '+' as a space (form encoding). */
function parseQuery(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = tryDecode(eq < 0 ? part : part.slice(0, eq))?.toLowerCase();
    if (key === undefined || !KNOWN.has(key)) continue; // unknown or undecodable: not ours to judge
    if (params.has(key)) fail('invalid', `duplicate "${key}" parameter`);
    // Base32 never contains '+', so reading it as a space is safe for the secret too.
    const raw = eq < 0 ? '' : part.slice(eq + 1).replace(/\+/g, ' ');
    params.set(key, decode(raw, `malformed percent-encoding in the "${key}" parameter`));
  }
  return params;
}

function tryDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // URIError: a bad escape or an escape that is not UTF-8
  }
}

function decode(text: string, message: string): string {
  return tryDecode(text) ?? fail('invalid', message);
}

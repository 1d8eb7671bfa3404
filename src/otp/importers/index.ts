/**
 * Importers: every authenticator export format totp-mcp reads, detected from the content (never
 * the file name). Each entry goes through makeDraft, the one validator; a bad entry becomes a row
 * with a fixed-text problem, never an error that stops the others. Whole-source failures (a wrong
 * password, a truncated file, a zip bomb) throw TotpMcpError('invalid') with fixed text.
 */
import { fail } from '../../core/errors.js';
import { isAegis, parseAegis } from './aegis.js';
import { isAndOtp, parseAndOtpDoc, parseAndOtpEncrypted } from './andotp.js';
import { isBitwarden, parseBitwarden } from './bitwarden.js';
import { Collector } from './collector.js';
import { isMigrationUri } from './google.js';
import { decodeQrImage, isImage } from './qr.js';
import { isRaivo, isZip, parseRaivoDoc, parseRaivoZip } from './raivo.js';
import { isTwoFas, parseTwoFas } from './twofas.js';
import type { ImportFormat, ImportHooks, ImportSource, ParsedImport } from './types.js';
import { parseUriList, uriLines } from './uri-list.js';
import { MAX_INPUT_BYTES, asText, parseJson } from './util.js';

export {
  IMPORT_FORMATS,
  type ImportEntry,
  type ImportFormat,
  type ImportHooks,
  type ImportSource,
  type ParsedImport,
} from './types.js';
export { MAX_INPUT_BYTES, MAX_ENTRIES } from './util.js';
export { isImage } from './qr.js';

const NAMES: Record<ImportFormat, string> = {
  'uri-list': 'otpauth:// URI list',
  google: 'Google Authenticator export',
  aegis: 'Aegis export',
  '2fas': '2FAS export',
  andotp: 'andOTP backup',
  bitwarden: 'Bitwarden JSON export',
  raivo: 'Raivo export',
  qr: 'QR image',
};

const isAgeFile = (text: string | null, b: Uint8Array): boolean =>
  (text ?? Buffer.from(b.subarray(0, 64)).toString('latin1')).trimStart().startsWith('age-encryption.org/v1') ||
  (text ?? '').trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----');

type Found = { format: ImportFormat; description: string };

const EMPTY = new Uint8Array(0);

/** Text of URIs: a Google export when every line is a migration URI, else a URI list. */
function parseText(
  c: Collector,
  text: string,
  want: ImportFormat | 'auto',
  where: string,
  hooks: ImportHooks,
  prefix = '',
): Found {
  const lines = uriLines(text);
  if (lines.length === 0) fail('invalid', `${where} holds no account (no otpauth:// or otpauth-migration:// URI)`);
  const allMigration = lines.every((l) => isMigrationUri(l.text));
  const anyUri = lines.some((l) => /^(?:otpauth|otpauth-migration|steam|motp):/i.test(l.text));
  if (!anyUri) {
    fail('invalid', `${where} is not a format totp-mcp knows`, {
      hint: 'expected otpauth:// URIs (one per line), a Google Authenticator export, an Aegis, 2FAS, andOTP, Bitwarden or Raivo export, or a QR image',
    });
  }
  if (want === 'google' && !allMigration)
    fail('invalid', `${where} is not a Google Authenticator export (otpauth-migration:// URIs only)`);
  const format: ImportFormat = allMigration ? 'google' : 'uri-list';
  const description = `${prefix}${allMigration ? `${NAMES.google}${lines.length > 1 ? ` (${lines.length} migration URIs)` : ''}` : `${NAMES['uri-list']} (${lines.length} line${lines.length === 1 ? '' : 's'})`}`;
  hooks.detected?.(description);
  parseUriList(c, text, where, hooks.progress);
  return { format, description };
}

async function parseJsonDoc(
  c: Collector,
  text: string,
  want: ImportFormat | 'auto',
  where: string,
  hooks: ImportHooks,
): Promise<Found> {
  const doc = parseJson(text, where);
  const kind: ImportFormat | null = isAegis(doc)
    ? 'aegis'
    : isTwoFas(doc)
      ? '2fas'
      : isBitwarden(doc)
        ? 'bitwarden'
        : isRaivo(doc)
          ? 'raivo'
          : isAndOtp(doc)
            ? 'andotp'
            : null;
  const format = want === 'auto' ? kind : want;
  if (format === null) {
    fail('invalid', `${where} is JSON, but not an export format totp-mcp knows`, {
      hint: 'Aegis, 2FAS, andOTP, Bitwarden and Raivo exports are read; pass --format to name one',
    });
  }
  const mismatch = () =>
    fail(
      'invalid',
      `${where} is not ${format === 'aegis' ? 'an' : 'a'} ${NAMES[format]}${kind ? ` (it looks like ${kind === 'aegis' || kind === 'andotp' ? 'an' : 'a'} ${NAMES[kind]})` : ''}`,
    );
  const announce = (d: string): void => hooks.detected?.(d);
  switch (format) {
    case 'aegis': {
      if (!isAegis(doc)) return mismatch();
      announce(typeof doc['db'] === 'string' ? 'Aegis export (encrypted)' : 'Aegis export (plain)');
      return { format, description: await parseAegis(c, doc, hooks) };
    }
    case '2fas': {
      if (!isTwoFas(doc)) return mismatch();
      const enc = typeof doc['servicesEncrypted'] === 'string' && doc['servicesEncrypted'] !== '';
      announce(enc ? '2FAS export (encrypted)' : '2FAS export (plain)');
      return { format, description: await parseTwoFas(c, doc, hooks) };
    }
    case 'bitwarden': {
      if (!isBitwarden(doc)) return mismatch();
      announce(doc['encrypted'] === true ? 'Bitwarden JSON export (encrypted)' : 'Bitwarden JSON export');
      return { format, description: await parseBitwarden(c, doc, hooks) };
    }
    case 'raivo':
      if (!isRaivo(doc)) return mismatch();
      announce('Raivo export (JSON)');
      parseRaivoDoc(c, doc, hooks);
      return { format, description: 'Raivo export (JSON)' };
    case 'andotp':
      if (!isAndOtp(doc)) return mismatch();
      announce('andOTP backup (plain)');
      parseAndOtpDoc(c, doc, hooks);
      return { format, description: 'andOTP backup (plain)' };
    default:
      return mismatch();
  }
}

async function parseOne(
  c: Collector,
  src: ImportSource,
  want: ImportFormat | 'auto',
  hooks: ImportHooks,
): Promise<Found> {
  const b = src.bytes;
  const where = src.name;
  if (b.length > MAX_INPUT_BYTES)
    fail('invalid', `${where} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: not an export totp-mcp reads`);
  if (b.length === 0) fail('invalid', `${where} is empty`);

  if (isImage(b)) {
    if (want !== 'auto' && want !== 'qr' && want !== 'google' && want !== 'uri-list')
      fail('invalid', `${where} is an image, not ${NAMES[want]}: use --format qr`);
    const text = await decodeQrImage(b);
    const found = parseText(c, text.reveal(), want === 'qr' ? 'auto' : want, where, hooks, 'QR image: ');
    return { format: 'qr', description: found.description };
  }
  if (want === 'qr') fail('invalid', `${where} is not a PNG or JPEG image`);

  if (isZip(b)) {
    if (want !== 'auto' && want !== 'raivo')
      fail('invalid', `${where} is a ZIP file, not ${NAMES[want]} (of the formats read, only Raivo's is zipped)`);
    hooks.detected?.('Raivo export (ZIP)');
    return { format: 'raivo', description: await parseRaivoZip(c, b, hooks) };
  }

  const text = asText(b);
  if (isAgeFile(text, b)) {
    fail('invalid', `${where} is an age-encrypted file (a totp-mcp backup?), not an authenticator export`, {
      hint: 'a backup restores by decrypting it (age -d) or by using it as vault.age; see the README',
    });
  }
  const trimmed = text?.trimStart() ?? '';
  if (text !== null && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    // The bytes are not needed past this point: let them go before parsing (which holds the text
    // and the document at once), after this function has returned and no longer holds them.
    src.bytes = EMPTY;
    return Promise.resolve().then(() => parseJsonDoc(c, text, want, where, hooks));
  }
  if (text !== null && want !== 'andotp') {
    if (want !== 'auto' && want !== 'uri-list' && want !== 'google')
      fail('invalid', `${where} is not ${want === 'aegis' ? 'an' : 'a'} ${NAMES[want]} (it is not JSON)`);
    return parseText(c, text, want, where, hooks);
  }
  // Binary, not an image or a ZIP: andOTP's encrypted backups have no magic number at all.
  if (want !== 'auto' && want !== 'andotp') fail('invalid', `${where} is binary data, not ${NAMES[want]}`);
  hooks.detected?.(
    want === 'auto' ? 'andOTP backup (encrypted; binary data of no other known kind)' : 'andOTP backup (encrypted)',
  );
  return { format: 'andotp', description: await parseAndOtpEncrypted(c, b, hooks) };
}

/**
 * Reads one source, or several (the images of a folder: a Google export spread over QR codes).
 * Asks for a password through the hooks only when a source is encrypted.
 */
export async function parseImport(
  sources: readonly ImportSource[],
  want: ImportFormat | 'auto',
  hooks: ImportHooks,
): Promise<ParsedImport> {
  if (sources.length === 0) fail('invalid', 'nothing to read');
  const c = new Collector();
  const found: Found[] = [];
  for (const src of sources) {
    const inner: ImportHooks =
      sources.length > 1 ? { ...hooks, detected: (d) => hooks.detected?.(`${src.name}: ${d}`) } : hooks;
    found.push(await parseOne(c, src, want, inner));
  }
  const first = found[0] as Found;
  const formats = new Set(found.map((f) => f.format));
  const description =
    found.length === 1
      ? first.description
      : `${found.length} files: ${[...new Set(found.map((f) => f.description))].join('; ')}`;
  return {
    format: formats.size === 1 ? first.format : 'uri-list',
    description,
    entries: c.entries,
    notes: c.allNotes(),
  };
}

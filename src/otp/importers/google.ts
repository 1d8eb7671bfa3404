/**
 * Google Authenticator exports: one or many `otpauth-migration://offline?data=...` URIs (text, or
 * QR codes decoded elsewhere). Mapping as Aegis' GoogleAuthInfo.parseExportUri:
 * UNSPECIFIED means SHA1 / 6 digits / TOTP, MD5 and unknown enum values are refused, the period is
 * always 30 s, an empty issuer takes the part of the name before a colon.
 */
import { fail, isTotpMcpError } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { ALGORITHM, DIGIT_COUNT, OTP_TYPE, decodeMigrationPayload, type RawOtpParameters } from './google-schema.js';
import type { ImportEntry } from './types.js';
import { bytesToBase32 } from '../base32.js';
import { base64Bytes, checkCount, entry } from './util.js';

/** A migration URI is a QR code's content: QR version 40 holds under 3 KB. Generous for pasted text. */
const MAX_MIGRATION_URI_CHARS = 64 * 1024;

const MIGRATION = /^otpauth-migration:\/\/([^/?#]*)\/?\?([^#]*)(?:#.*)?$/is;

export const isMigrationUri = (text: string): boolean => /^otpauth-migration:/i.test(text.trim());

interface MigrationBatch {
  id: number;
  index: number;
  size: number;
}

interface DecodedMigration {
  batch: MigrationBatch;
  parameters: RawOtpParameters[];
  /** The payload itself (base64), to notice the same QR code read twice. */
  key: string;
}

/** The payload bytes of one migration URI. Throws 'invalid' with fixed text. */
function payloadBytes(uri: string): Buffer {
  if (uri.length > MAX_MIGRATION_URI_CHARS) fail('invalid', 'Google Authenticator export URI is too long');
  const m = MIGRATION.exec(uri.trim());
  if (!m) return fail('invalid', 'malformed otpauth-migration URI');
  if ((m[1] ?? '').toLowerCase() !== 'offline') fail('invalid', 'otpauth-migration URI without "offline"');
  let data: string | undefined;
  for (const part of (m[2] ?? '').split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).toLowerCase() !== 'data') continue;
    if (data !== undefined) fail('invalid', 'duplicate "data" parameter');
    data = part.slice(eq + 1);
  }
  if (data === undefined || data === '') return fail('invalid', 'otpauth-migration URI without "data"');
  let decoded: string;
  try {
    decoded = decodeURIComponent(data);
  } catch {
    return fail('invalid', 'malformed percent-encoding in the "data" parameter');
  }
  // A '+' that went through form decoding arrives as a space (the paste trap);
  // base64url ('-', '_') is accepted too.
  const b64 = decoded.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
  const bytes = base64Bytes(b64);
  if (bytes === null || bytes.length === 0) return fail('invalid', 'the "data" parameter is not base64');
  return bytes;
}

/** Decodes one migration URI. Throws 'invalid' (fixed text) when it is not a valid export. */
export function decodeMigrationUri(uri: string): DecodedMigration {
  const bytes = payloadBytes(uri);
  let payload;
  try {
    payload = decodeMigrationPayload(bytes);
  } catch {
    return fail('invalid', 'the Google Authenticator export data is damaged (not a valid migration payload)');
  }
  checkCount(payload.otp_parameters.length);
  const size = payload.batch_size > 0 ? payload.batch_size : 1;
  const index = payload.batch_index >= 0 ? payload.batch_index : 0;
  return {
    batch: { id: payload.batch_id, index, size },
    parameters: payload.otp_parameters,
    key: bytes.toString('base64'),
  };
}

function algorithmOf(a: number): string {
  switch (a) {
    case ALGORITHM.UNSPECIFIED:
    case ALGORITHM.SHA1:
      return 'SHA1';
    case ALGORITHM.SHA256:
      return 'SHA256';
    case ALGORITHM.SHA512:
      return 'SHA512';
    case ALGORITHM.MD5:
      return fail('invalid', 'algorithm MD5 is not supported');
    default:
      return fail('invalid', 'unknown algorithm in the Google Authenticator export');
  }
}

function digitsOf(d: number): number {
  if (d === DIGIT_COUNT.UNSPECIFIED || d === DIGIT_COUNT.SIX) return 6;
  if (d === DIGIT_COUNT.EIGHT) return 8;
  return fail('invalid', 'unknown digit count in the Google Authenticator export');
}

function typeOf(t: number): 'totp' | 'hotp' {
  if (t === OTP_TYPE.UNSPECIFIED || t === OTP_TYPE.TOTP) return 'totp';
  if (t === OTP_TYPE.HOTP) return 'hotp';
  return fail('invalid', 'unknown OTP type in the Google Authenticator export');
}

/** issuer / account from GA's fields: an empty issuer takes the name's prefix; a repeated prefix goes. */
function splitName(name: string, issuer: string): { issuer: string; label: string } {
  if (issuer === '') {
    const colon = name.indexOf(':');
    return colon < 0
      ? { issuer: '', label: name }
      : { issuer: name.slice(0, colon).trim(), label: name.slice(colon + 1).trim() };
  }
  return { issuer, label: name.startsWith(`${issuer}:`) ? name.slice(issuer.length + 1).trim() : name };
}

export function migrationEntry(index: number, p: RawOtpParameters): ImportEntry {
  const { issuer, label } = splitName(p.name, p.issuer);
  return entry(index, issuer, label, () => {
    if (p.secret.length === 0) fail('invalid', 'secret is empty');
    const type = typeOf(p.type);
    return {
      type,
      secret: new Redacted(bytesToBase32(p.secret)),
      algorithm: algorithmOf(p.algorithm),
      digits: digitsOf(p.digits),
      period: 30,
      counter: type === 'hotp' ? p.counter : undefined,
      issuer,
      label,
    };
  });
}

/** Tracks the QR codes of each export (batch_id) so that a missing one is reported. */
export class BatchTracker {
  readonly #seen = new Map<number, { size: number; indexes: Set<number> }>();

  readonly #payloads = new Set<string>();

  /** False when this exact code (the same payload) was already read. */
  add(m: DecodedMigration): boolean {
    if (this.#payloads.has(m.key)) return false;
    this.#payloads.add(m.key);
    let b = this.#seen.get(m.batch.id);
    if (!b) {
      b = { size: m.batch.size, indexes: new Set() };
      this.#seen.set(m.batch.id, b);
    }
    b.size = Math.max(b.size, m.batch.size);
    b.indexes.add(m.batch.index);
    return true;
  }

  notes(): string[] {
    const notes: string[] = [];
    for (const b of this.#seen.values()) {
      if (b.size <= 1) continue;
      const missing: number[] = [];
      for (let i = 0; i < b.size && missing.length <= 20; i++) if (!b.indexes.has(i)) missing.push(i + 1);
      if (missing.length > 0) {
        notes.push(
          `Google Authenticator export: ${b.size - missing.length} of its ${b.size} QR codes were read; missing code(s) ${missing.join(', ')}. ` +
            'Import those too (duplicates are skipped).',
        );
      }
    }
    return notes;
  }
}

/** Wraps a whole-URI failure so that a list of lines reports it on its line. */
export function migrationProblem(e: unknown): string {
  return isTotpMcpError(e) ? e.message : 'the Google Authenticator export data is damaged';
}

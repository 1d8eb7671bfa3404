/**
 * Google Authenticator migration QR codes (`otpauth-migration://offline?data=...`), batched as the
 * app batches them: up to 10 accounts per code, every code of one export sharing a batch_id, with
 * batch_index / batch_size so the app knows when it has them all.
 *
 * What GA cannot hold is left out and said so: Steam (no such type), a TOTP period other than 30 s
 * (the payload has no period), digits other than 6 or 8 (the digit count is an enum).
 */
import { randomInt } from 'node:crypto';
import type { AccountDraft } from '../../core/model.js';
import { Redacted } from '../../core/redacted.js';
import {
  ALGORITHM,
  DIGIT_COUNT,
  OTP_TYPE,
  encodeMigrationPayload,
  type RawOtpParameters,
} from '../importers/google-schema.js';
import { base32ToBytes } from '../base32.js';

const ACCOUNTS_PER_CODE = 10;
/** Keeps each code's payload small enough for a phone to scan off a screen (long names add up). */
const MAX_PAYLOAD_BYTES = 1200;

interface GoogleCode {
  uri: Redacted;
  /** Positions (in the input) of the accounts in this code. */
  members: number[];
}

interface GoogleExport {
  codes: GoogleCode[];
  skipped: { index: number; reason: string }[];
}

function reasonSkipped(d: AccountDraft): string | null {
  if (d.type === 'steam') return 'Google Authenticator has no Steam type';
  if (d.type === 'totp' && d.period !== 30)
    return `Google Authenticator only knows 30 s periods (this one is ${d.period} s)`;
  if (d.digits !== 6 && d.digits !== 8)
    return `Google Authenticator only knows 6 or 8 digits (this one has ${d.digits})`;
  return null;
}

function parameters(d: AccountDraft): RawOtpParameters {
  return {
    secret: base32ToBytes(d.secret.reveal()),
    name: d.label,
    issuer: d.issuer,
    algorithm:
      d.algorithm === 'SHA256' ? ALGORITHM.SHA256 : d.algorithm === 'SHA512' ? ALGORITHM.SHA512 : ALGORITHM.SHA1,
    digits: d.digits === 8 ? DIGIT_COUNT.EIGHT : DIGIT_COUNT.SIX,
    type: d.type === 'hotp' ? OTP_TYPE.HOTP : OTP_TYPE.TOTP,
    counter: String(d.type === 'hotp' ? d.counter : 0),
  };
}

const toUri = (bytes: Uint8Array): string =>
  `otpauth-migration://offline?data=${encodeURIComponent(Buffer.from(bytes).toString('base64'))}`;

export function googleExport(
  drafts: readonly AccountDraft[],
  batchId: number = randomInt(1, 2 ** 31 - 1),
): GoogleExport {
  const skipped: GoogleExport['skipped'] = [];
  const groups: { params: RawOtpParameters[]; members: number[] }[] = [];
  let current: { params: RawOtpParameters[]; members: number[]; bytes: number } | null = null;
  drafts.forEach((d, index) => {
    const reason = reasonSkipped(d);
    if (reason !== null) {
      skipped.push({ index, reason });
      return;
    }
    const p = parameters(d);
    const size = p.secret.length + Buffer.byteLength(p.name) + Buffer.byteLength(p.issuer) + 24;
    if (
      !current ||
      current.params.length >= ACCOUNTS_PER_CODE ||
      (current.params.length > 0 && current.bytes + size > MAX_PAYLOAD_BYTES)
    ) {
      current = { params: [], members: [], bytes: 0 };
      groups.push(current);
    }
    current.params.push(p);
    current.members.push(index);
    current.bytes += size;
  });
  const codes = groups.map((g, i) => ({
    uri: new Redacted(
      toUri(
        encodeMigrationPayload({
          otp_parameters: g.params,
          version: 1,
          batch_size: groups.length,
          batch_index: i,
          batch_id: batchId,
        }),
      ),
    ),
    members: g.members,
  }));
  return { codes, skipped };
}

/**
 * Raivo OTP (iOS) exports: `raivo-otp-export.zip`, password-protected by
 * SSZipArchive (read here with @zip.js/zip.js, which handles both WinZip AES and the older
 * ZipCrypto), holding `raivo-otp-export.json`: an array where every value is a string —
 * `{issuer, account, secret, kind: TOTP|HOTP, algorithm, digits, timer (the period), counter}`.
 * The JSON on its own (unzipped by hand) is accepted too.
 *
 * A ZIP is hostile until read: at most 64 entries, only the JSON entry is extracted, its declared
 * size must be under the cap, and extraction stops the moment the real output passes the cap,
 * whatever the header claimed (zip bombs).
 */
import { fail, isTotpMcpError, TotpMcpError } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import type { Collector } from './collector.js';
import type { ImportHooks } from './types.js';
import { asText, checkCount, entry, get, isObj, optNumber, optText, parseJson, progressEvery } from './util.js';

const JSON_NAME = 'raivo-otp-export.json';
const MAX_ZIP_ENTRIES = 64;
/** The JSON of 50,000 entries is under 10 MB. */
const MAX_UNZIPPED_BYTES = 16 * 1024 * 1024;

export const isZip = (b: Uint8Array): boolean =>
  b.length >= 4 &&
  b[0] === 0x50 &&
  b[1] === 0x4b &&
  (b[2] === 0x03 || b[2] === 0x05) &&
  (b[3] === 0x04 || b[3] === 0x06);

export function isRaivo(doc: unknown): doc is unknown[] {
  if (!Array.isArray(doc) || doc.length === 0) return false;
  const first: unknown = doc[0];
  return (
    isObj(first) &&
    typeof get(first, 'kind') === 'string' &&
    get(first, 'timer') !== undefined &&
    typeof get(first, 'secret') === 'string'
  );
}

const zipBomb = (): TotpMcpError =>
  new TotpMcpError(
    'invalid',
    `${JSON_NAME} unpacks to more than ${MAX_UNZIPPED_BYTES / 1024 / 1024} MiB (a zip bomb?): refusing it`,
  );

/** Reads the JSON entry of the ZIP, asking for the password only when the entry is encrypted. */
async function unzipJson(bytes: Uint8Array, hooks: ImportHooks): Promise<{ text: string; encrypted: boolean }> {
  const zip = await import('@zip.js/zip.js/lib/zip-core-native.js');
  zip.configure({ useWebWorkers: false });
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes));
  try {
    // One entry at a time, and no further than the limit: a central directory of a million
    // entries (47 bytes each) would otherwise become a million objects before any count is seen.
    const entries: Awaited<ReturnType<typeof reader.getEntries>> = [];
    let tooMany = false;
    try {
      for await (const e of reader.getEntriesGenerator()) {
        if (entries.length === MAX_ZIP_ENTRIES) {
          tooMany = true;
          break;
        }
        entries.push(e);
      }
    } catch {
      return fail('invalid', 'the ZIP file is damaged or truncated');
    }
    if (tooMany) fail('invalid', `the ZIP file holds more than ${MAX_ZIP_ENTRIES} entries: not a Raivo export`);
    const file = entries.find((e) => !e.directory && e.filename.split('/').pop() === JSON_NAME);
    if (!file || file.directory) return fail('invalid', `the ZIP file holds no ${JSON_NAME}: not a Raivo export`);
    if (file.uncompressedSize > MAX_UNZIPPED_BYTES)
      fail('invalid', `${JSON_NAME} in the ZIP is larger than ${MAX_UNZIPPED_BYTES / 1024 / 1024} MiB: refusing it`);
    const password = file.encrypted
      ? (await hooks.password('Password of the Raivo export (ZIP):')).reveal()
      : undefined;

    const chunks: Uint8Array[] = [];
    let size = 0;
    const sink = new WritableStream<Uint8Array>({
      write(chunk) {
        size += chunk.length;
        if (size > MAX_UNZIPPED_BYTES) throw zipBomb();
        chunks.push(chunk);
      },
    });
    try {
      await file.getData(sink, password === undefined ? {} : { password });
    } catch (e) {
      // Said from `size`, whatever zip.js made of the sink's error on its way out.
      if (size > MAX_UNZIPPED_BYTES) throw zipBomb();
      if (isTotpMcpError(e)) throw e;
      const message = e instanceof Error ? e.message : '';
      if (file.encrypted && /password|signature|crc/i.test(message)) {
        return fail('invalid', 'wrong password: the Raivo export did not decrypt with it (nothing was imported)');
      }
      // ZipCrypto checks a password with one byte: 1 wrong password in 256 passes it, and the data
      // then fails to inflate. Encrypted data that does not unpack cannot tell the two apart.
      if (file.encrypted)
        return fail(
          'invalid',
          'wrong password, or a damaged file: the Raivo export did not decrypt with it (nothing was imported)',
        );
      return fail('invalid', 'the ZIP file is damaged (its data does not unpack)');
    }
    const text = asText(Buffer.concat(chunks));
    if (text === null) fail('invalid', `${JSON_NAME} is not UTF-8 text`);
    return { text, encrypted: file.encrypted };
  } finally {
    await reader.close().catch(() => undefined);
  }
}

export function parseRaivoDoc(c: Collector, doc: unknown, hooks: ImportHooks): void {
  if (!Array.isArray(doc)) fail('invalid', 'not a Raivo export (expected a JSON array of entries)');
  checkCount(doc.length);
  const tick = progressEvery(doc.length, hooks.progress);
  doc.forEach((raw: unknown, i) => {
    const e = isObj(raw) ? raw : {};
    c.push(
      entry(c.next, get(e, 'issuer'), get(e, 'account'), () => {
        if (!isObj(raw)) fail('invalid', 'the entry is not an object');
        const type = optText(e, 'kind')?.toLowerCase();
        return {
          type,
          secret: new Redacted(optText(e, 'secret') ?? ''),
          algorithm: optText(e, 'algorithm'),
          digits: optNumber(e, 'digits'),
          period: type === 'hotp' ? undefined : optNumber(e, 'timer'),
          counter: type === 'hotp' ? optNumber(e, 'counter') : undefined,
          issuer: optText(e, 'issuer'),
          label: optText(e, 'account'),
        };
      }),
    );
    tick(i + 1);
  });
}

export async function parseRaivoZip(c: Collector, bytes: Uint8Array, hooks: ImportHooks): Promise<string> {
  const { text, encrypted } = await unzipJson(bytes, hooks);
  parseRaivoDoc(c, parseJson(text, JSON_NAME), hooks);
  return encrypted ? 'Raivo export (password-protected ZIP)' : 'Raivo export (ZIP)';
}

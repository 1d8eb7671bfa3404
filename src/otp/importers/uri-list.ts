/**
 * Text with one URI per line: `otpauth://` (and `steam://`), and Google Authenticator's
 * `otpauth-migration://` (each line one QR code of a possibly multi-code export). Blank lines and
 * lines starting with `#` are skipped. A bad line is a row in the table, never an echo of the line.
 */
import { isTotpMcpError } from '../../core/errors.js';
import { parseOtpUri } from '../uri.js';
import type { Collector } from './collector.js';
import { decodeMigrationUri, isMigrationUri, migrationEntry, migrationProblem } from './google.js';
import { problemEntry, shown } from './util.js';
import type { ImportEntry } from './types.js';

/** The URI-ish lines of a text (what the importer would look at). */
export function uriLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] ?? '').trim();
    if (t === '' || t.startsWith('#')) continue;
    out.push({ line: i + 1, text: t });
  }
  return out;
}

/** One migration URI (a QR code's worth of accounts) into the collector; a duplicate code is skipped. */
function addMigration(c: Collector, uri: string, where: string): void {
  const decoded = decodeMigrationUri(uri);
  if (!c.batches.add(decoded)) {
    c.notes.push(`${where}: the same Google Authenticator QR code was read twice; its second copy is ignored`);
    return;
  }
  for (const p of decoded.parameters) c.push(migrationEntry(c.next, p));
}

function otpauthEntry(index: number, line: number, text: string): ImportEntry {
  try {
    const draft = parseOtpUri(text);
    const e: ImportEntry = {
      index,
      issuer: shown(draft.issuer),
      label: shown(draft.label),
      draft,
      problem: null,
      note: null,
    };
    if (draft.type === 'totp' && draft.issuer.toLowerCase() === 'steam') {
      e.note = 'Steam account as plain TOTP: Steam Guard needs type steam (5 characters)';
    }
    return e;
  } catch (err) {
    return problemEntry(index, `line ${line}: ${isTotpMcpError(err) ? err.message : 'unreadable URI'}`);
  }
}

export function parseUriList(
  c: Collector,
  text: string,
  where: string,
  progress?: (done: number, total: number) => void,
): void {
  const lines = uriLines(text);
  let done = 0;
  for (const { line, text: t } of lines) {
    if (isMigrationUri(t)) {
      try {
        addMigration(c, t, lines.length > 1 ? `${where}, line ${line}` : where);
      } catch (err) {
        c.push(problemEntry(c.next, `line ${line}: ${migrationProblem(err)}`));
      }
    } else if (/^motp:/i.test(t)) {
      c.push(problemEntry(c.next, `line ${line}: mOTP is not supported`));
    } else {
      c.push(otpauthEntry(c.next, line, t));
    }
    done++;
    if (progress && (done % 250 === 0 || done === lines.length)) progress(done, lines.length);
  }
}

import type { AccountDraft } from '../../core/model.js';
import type { Redacted } from '../../core/redacted.js';

/** The formats `import --format` names; `auto` detects one of these from the content. */
export const IMPORT_FORMATS = ['uri-list', 'google', 'aegis', '2fas', 'andotp', 'bitwarden', 'raivo', 'qr'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One account as found in the source: a valid draft, or the reason it cannot be imported. */
export interface ImportEntry {
  /** 1-based position in the source (across all files of a folder), for the table. */
  index: number;
  /** What the source calls it, for the table; untrusted text (the CLI makes it printable). */
  issuer: string;
  label: string;
  draft: AccountDraft | null;
  /** Fixed text when the entry is skipped: never the secret, never an echo of the input. */
  problem: string | null;
  /** A remark on an imported entry (e.g. a Steam account that arrived as plain TOTP). */
  note: string | null;
}

export interface ParsedImport {
  format: ImportFormat;
  /** What was detected or read, for a person: "Aegis export (encrypted)". */
  description: string;
  entries: ImportEntry[];
  /** Remarks on the whole source: incomplete Google batches, items without a TOTP, ... */
  notes: string[];
}

/** One input: a file's bytes (or text given on the command line / stdin). */
export interface ImportSource {
  /** For messages: a file name, "standard input", "the command line". */
  name: string;
  /** Emptied by parseImport once a JSON source is decoded as text, so that it is not held twice while parsed. */
  bytes: Uint8Array;
}

export interface ImportHooks {
  /** Asked only when the source is encrypted; the argument is the prompt text. */
  password: (prompt: string) => Promise<Redacted>;
  /** Called once the format is known, before any password is asked. */
  detected?: (description: string) => void;
  /** Called while entries are checked. */
  progress?: (done: number, total: number) => void;
}

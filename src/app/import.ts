/**
 * The owner's `import`: read a source (a file, a folder of QR images, stdin or a URI), parse it with
 * the otp importers, plan every entry against the vault (ids, duplicates, --on-conflict), and apply
 * the plan in ONE vault update, so an interrupted import leaves the vault as it was. Not
 * policy-checked: seeds come from the owner and go into the vault, never through an agent.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, isTotpMcpError } from '../core/errors.js';
import { errnoOf } from '../core/fs.js';
import { ID_PATTERN, type Account, type AccountDraft } from '../core/model.js';
import {
  MAX_INPUT_BYTES,
  isImage,
  parseImport,
  type ImportEntry,
  type ImportFormat,
  type ImportHooks,
  type ImportSource,
} from '../otp/importers/index.js';
import { checkTag } from './accounts.js';
import { recordOwner, type OwnerEvent } from './audit.js';
import type { AppContext } from './context.js';

export { IMPORT_FORMATS, type ImportFormat } from '../otp/importers/index.js';

export const CONFLICT_MODES = ['skip', 'rename', 'replace'] as const;
export type ConflictMode = (typeof CONFLICT_MODES)[number];

/** Most images read from one folder (a Google export of 1,000 accounts is 100 codes). */
const MAX_FOLDER_FILES = 200;

export type ImportInput = { kind: 'path'; path: string } | { kind: 'text'; name: string; text: string };

export interface ImportOptions {
  format: ImportFormat | 'auto';
  tags: readonly string[];
  dryRun: boolean;
  onConflict: ConflictMode;
  hooks: ImportHooks & {
    /** Called just before the vault is written (a progress line can say so). */
    writing?: (count: number) => void;
  };
}

type ImportAction = 'add' | 'replace' | 'skip' | 'invalid';

/** One row of the table a person sees: never a secret. */
interface ImportRow {
  index: number;
  action: ImportAction;
  /** The account id it becomes (add), replaces (replace) or duplicates (skip). */
  id: string | null;
  issuer: string;
  label: string;
  type: string | null;
  note: string;
  conflict: boolean;
}

interface ImportCounts {
  entries: number;
  imported: number;
  added: number;
  replaced: number;
  skipped: number;
  invalid: number;
  conflicts: number;
}

export interface ImportReport {
  format: ImportFormat;
  description: string;
  rows: ImportRow[];
  notes: string[];
  counts: ImportCounts;
  dryRun: boolean;
  /** Whether the vault was written (false for a dry run, or when nothing was to be imported). */
  written: boolean;
  /** Files of a folder that were not read, and why in a few words (names are untrusted text). */
  skippedFiles: SkippedFile[];
}

interface SkippedFile {
  name: string;
  why: string;
}

// ---- reading the source ----

function readError(e: unknown, path: string): never {
  const code = errnoOf(e);
  if (code === 'ENOENT') return fail('not_found', `no file or folder at ${path}`);
  if (code === 'EACCES' || code === 'EPERM') return fail('io', `cannot read ${path}: permission denied`);
  if (code === 'EISDIR') return fail('usage', `${path} is a folder`);
  return fail('io', `cannot read ${path}`, { cause: e });
}

async function readCapped(path: string, name: string): Promise<Buffer> {
  const st = await stat(path).catch((e: unknown) => readError(e, path));
  if (!st.isFile()) fail('usage', `${name} is not a regular file`);
  if (st.size > MAX_INPUT_BYTES)
    fail('invalid', `${name} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: not an export totp-mcp reads`);
  return readFile(path).catch((e: unknown) => readError(e, path));
}

/** A file; or a folder, read as its QR images (a Google export spread over several screenshots). */
async function readSources(input: ImportInput, skipped: SkippedFile[] = []): Promise<ImportSource[]> {
  if (input.kind === 'text') return [{ name: input.name, bytes: Buffer.from(input.text, 'utf8') }];
  const st = await stat(input.path).catch((e: unknown) => readError(e, input.path));
  if (!st.isDirectory()) return [{ name: input.path, bytes: await readCapped(input.path, input.path) }];
  const names = (await readdir(input.path).catch((e: unknown) => readError(e, input.path)))
    .filter((n) => !n.startsWith('.'))
    .sort();
  const sources: ImportSource[] = [];
  for (const n of names) {
    const p = join(input.path, n);
    const s = await stat(p).catch(() => null);
    // Said on stderr by the CLI (hidden files, .DS_Store and the like, were left out above silently).
    if (s === null) skipped.push({ name: n, why: 'cannot be read' });
    else if (s.isDirectory()) skipped.push({ name: n, why: 'a folder (folders are not read recursively)' });
    else if (!s.isFile()) skipped.push({ name: n, why: 'not a regular file' });
    else if (s.size > MAX_INPUT_BYTES)
      skipped.push({ name: n, why: `larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB` });
    if (!s?.isFile() || s.size > MAX_INPUT_BYTES) continue;
    const bytes = await readCapped(p, p);
    if (!isImage(bytes)) {
      skipped.push({ name: n, why: 'not a PNG or JPEG image' });
      continue;
    }
    if (sources.length >= MAX_FOLDER_FILES)
      fail('invalid', `${input.path} holds more than ${MAX_FOLDER_FILES} images: import them in smaller folders`);
    sources.push({ name: n, bytes });
  }
  if (sources.length === 0)
    fail('invalid', `${input.path} is a folder without PNG or JPEG images`, {
      hint: 'give the export file itself, or a folder of QR screenshots',
    });
  return sources;
}

// ---- ids ----

const MAX_ID = 64;

/** Lowercase ASCII in ID_PATTERN's characters; accents dropped, anything else becomes '-'. */
function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._@+-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[^a-z0-9]+$/, '');
}

/** A readable id from issuer and label ("github:alice@example.com"), valid for ID_PATTERN. */
function baseId(issuer: string, label: string): string {
  const i = slug(issuer);
  const l = slug(label);
  const raw = i && l && i !== l ? `${i}:${l}` : i || l;
  const id = raw.slice(0, MAX_ID).replace(/[^a-z0-9]+$/, '');
  return ID_PATTERN.test(id) ? id : 'account';
}

function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `${base.slice(0, MAX_ID - suffix.length).replace(/[-.:_@+]+$/, '')}${suffix}`;
    if (!taken.has(id)) return id;
  }
}

// ---- the plan ----

interface Target {
  id: string;
  /** The row of this import that adds or replaces it, if any. */
  row: ImportRow | null;
}

interface Planned {
  row: ImportRow;
  draft: AccountDraft | null;
}

const nameKey = (d: { issuer: string; label: string }): string | null =>
  d.issuer === '' && d.label === '' ? null : `${d.issuer.toLowerCase()}\u0000${d.label.toLowerCase()}`;

/**
 * Decides what happens to each entry: add (with a generated, de-duplicated id), replace, skip, or
 * invalid. A duplicate is the same secret, or the same issuer and label (case-insensitive), as an
 * account in the vault or an earlier entry of the same import. Pure: the same inputs, the same plan.
 */
export function planImport(
  existing: readonly Account[],
  entries: readonly ImportEntry[],
  onConflict: ConflictMode,
): Planned[] {
  const taken = new Set(existing.map((a) => a.id));
  const bySecret = new Map<string, Target>();
  const byName = new Map<string, Target>();
  const register = (d: AccountDraft, t: Target): void => {
    bySecret.set(d.secret.reveal(), t);
    const k = nameKey(d);
    if (k !== null) byName.set(k, t);
  };
  for (const a of existing) {
    const t: Target = { id: a.id, row: null };
    if (!bySecret.has(a.secret.reveal())) bySecret.set(a.secret.reveal(), t);
    const k = nameKey(a);
    if (k !== null && !byName.has(k)) byName.set(k, t);
  }

  const plan: Planned[] = [];
  for (const e of entries) {
    const base = { index: e.index, issuer: e.issuer, label: e.label, conflict: false };
    const d = e.draft;
    if (d === null) {
      plan.push({
        row: { ...base, action: 'invalid', id: null, type: null, note: e.problem ?? 'invalid entry' },
        draft: null,
      });
      continue;
    }
    const shownNames = { issuer: e.issuer, label: e.label, type: d.type };
    const bySecretHit = bySecret.get(d.secret.reveal());
    const k = nameKey(d);
    const byNameHit = k === null ? undefined : byName.get(k);
    const hit = bySecretHit ?? byNameHit;
    const why = bySecretHit ? 'same secret' : 'same issuer and label';
    const note = e.note ?? '';
    const add = (extra: string): Planned => {
      const id = uniqueId(baseId(d.issuer, d.label), taken);
      taken.add(id);
      const row: ImportRow = {
        ...base,
        ...shownNames,
        action: 'add',
        id,
        note: [extra, note].filter(Boolean).join('; '),
      };
      register(d, { id, row });
      return { row, draft: d };
    };
    if (!hit) {
      plan.push(add(''));
      continue;
    }
    const of = hit.row ? `#${hit.row.index} of this import` : hit.id;
    switch (onConflict) {
      case 'skip':
        plan.push({
          row: {
            ...base,
            ...shownNames,
            action: 'skip',
            id: hit.id,
            conflict: true,
            note: [`duplicate of ${of} (${why})`, note].filter(Boolean).join('; '),
          },
          draft: null,
        });
        break;
      case 'rename': {
        const p = add(`${why} as ${of}: added under a new id`);
        p.row.conflict = true;
        plan.push(p);
        break;
      }
      case 'replace': {
        const earlier = hit.row;
        const action: ImportAction = earlier ? earlier.action : 'replace';
        if (earlier) {
          earlier.action = 'skip';
          earlier.note = [`superseded by #${e.index} (${why})`, earlier.note].filter(Boolean).join('; ');
          const ep = plan.find((x) => x.row === earlier);
          if (ep) ep.draft = null;
        }
        const row: ImportRow = {
          ...base,
          ...shownNames,
          action,
          id: hit.id,
          conflict: true,
          note: [earlier ? `replaces #${earlier.index} of this import (${why})` : `replaces ${hit.id} (${why})`, note]
            .filter(Boolean)
            .join('; '),
        };
        hit.row = row;
        register(d, hit);
        plan.push({ row, draft: d });
        break;
      }
    }
  }
  return plan;
}

function countsOf(rows: readonly ImportRow[]): ImportCounts {
  const c: ImportCounts = {
    entries: rows.length,
    imported: 0,
    added: 0,
    replaced: 0,
    skipped: 0,
    invalid: 0,
    conflicts: 0,
  };
  for (const r of rows) {
    if (r.action === 'add') c.added++;
    else if (r.action === 'replace') c.replaced++;
    else if (r.action === 'invalid') c.invalid++;
    else c.skipped++;
    // A skipped duplicate is counted once, as a duplicate; "conflicts" are the ones imported anyway
    // (renamed or replacing an account).
    if (r.conflict && r.action !== 'skip') c.conflicts++;
  }
  c.imported = c.added + c.replaced;
  c.skipped += c.invalid;
  return c;
}

/** Applies a plan to the payload's accounts (inside the vault update). */
function apply(accounts: Account[], plan: readonly Planned[], tags: readonly string[], nowIso: string): void {
  const byId = new Map(accounts.map((a) => [a.id, a]));
  for (const { row, draft } of plan) {
    if (draft === null || row.id === null) continue;
    if (row.action === 'add') {
      const account: Account = { ...draft, id: row.id, tags: [...tags], created_at: nowIso, updated_at: nowIso };
      accounts.push(account);
      byId.set(row.id, account);
    } else if (row.action === 'replace') {
      const a = byId.get(row.id);
      if (!a) fail('internal', 'an account to replace disappeared during the import');
      // An older export of the same HOTP seed must not move its counter back: the codes between
      // the two counters were handed out already and would be valid (and issued) again.
      const keep =
        a.type === 'hotp' &&
        draft.type === 'hotp' &&
        a.counter > draft.counter &&
        a.secret.reveal() === draft.secret.reveal();
      if (keep)
        row.note = [`kept the HOTP counter at ${a.counter} (the file has ${draft.counter}: an older export)`, row.note]
          .filter(Boolean)
          .join('; ');
      Object.assign(a, {
        type: draft.type,
        secret: draft.secret,
        algorithm: draft.algorithm,
        digits: draft.digits,
        period: draft.period,
        counter: keep ? a.counter : draft.counter,
        issuer: draft.issuer,
        label: draft.label,
        tags: [...new Set([...a.tags, ...tags])].sort(),
        updated_at: nowIso,
      });
    }
  }
}

/**
 * One `account_import` event per account written, its reason `<add|replace>:<format>:<count>`
 * (the format as detected, the count of accounts this import wrote).
 */
function importEvents(plan: readonly { row: ImportRow }[], format: ImportFormat): OwnerEvent[] {
  const rows = plan.map((p) => p.row).filter((r) => (r.action === 'add' || r.action === 'replace') && r.id !== null);
  return rows.map((r) => ({
    action: 'account_import',
    account: r.id,
    decision: 'allow',
    reason: `${r.action}:${format}:${rows.length}`,
  }));
}

/**
 * The whole import. Throws before anything is written when the source cannot be read (not found,
 * not a known format, a wrong password, a hostile file). Per-entry problems are rows, not errors.
 */
export async function importAccounts(ctx: AppContext, input: ImportInput, o: ImportOptions): Promise<ImportReport> {
  const tags = [...new Set(o.tags.map(checkTag))].sort();
  const skippedFiles: SkippedFile[] = [];
  const sources = await readSources(input, skippedFiles);
  let parsed;
  try {
    parsed = await parseImport(sources, o.format, o.hooks);
  } catch (e) {
    if (isTotpMcpError(e)) throw e;
    // A library's own message may quote the file: it is kept as the cause, shown only with --debug.
    return fail('internal', 'unexpected failure while reading the source', { cause: e });
  }
  const { entries } = parsed;
  if (entries.length === 0) {
    const why = parsed.notes.length > 0 ? ` (${parsed.notes.join('; ')})` : '';
    fail('invalid', `no accounts found in the ${parsed.description}${why}`);
  }

  const vault = await ctx.vault();
  let plan = planImport((await vault.read()).accounts, entries, o.onConflict);
  const wanted = plan.filter((p) => p.draft !== null).length;
  let written = false;
  if (!o.dryRun && wanted > 0) {
    o.hooks.writing?.(wanted);
    // Re-planned under the vault's lock against the vault as it is now: one write, all or nothing.
    const done = await vault.update((p) => {
      const fresh = planImport(p.accounts, entries, o.onConflict);
      apply(p.accounts, fresh, tags, new Date(ctx.clock.now()).toISOString());
      return { fresh, payload: p };
    });
    plan = done.fresh;
    written = true;
    await recordOwner(ctx, done.payload, importEvents(plan, parsed.format));
  }
  const rows = plan.map((p) => p.row);
  return {
    format: parsed.format,
    description: parsed.description,
    rows,
    notes: parsed.notes,
    counts: countsOf(rows),
    dryRun: o.dryRun,
    written,
    skippedFiles,
  };
}

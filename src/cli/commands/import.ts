/** `totp-mcp import <source>`: accounts from an authenticator app's export, a QR image, or otpauth:// URIs. */
import { resolve } from 'node:path';
import { Option, type Command, type OptionValues } from 'commander';
import type { ConflictMode, ImportFormat, ImportInput, ImportReport } from '../../app/import.js';
import type { Clock } from '../../core/clock.js';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { printable, table } from '../format.js';
import type { Runtime } from '../runtime.js';
import { argString, collect, flagBool, flagChoice, flagList, type CommandUnit, type Deps } from '../unit.js';

// The app's lists (app/import.ts), repeated here so that declaring the flags loads no importer; a
// table test holds the two equal.
const FORMATS = ['auto', 'uri-list', 'google', 'aegis', '2fas', 'andotp', 'bitwarden', 'raivo', 'qr'] as const;
const CONFLICTS = ['skip', 'rename', 'replace'] as const;

export interface ImportOptions {
  source: string;
  format: ImportFormat | 'auto';
  passwordStdin: boolean;
  tags: string[];
  dryRun: boolean;
  onConflict: ConflictMode;
}

export const importCommand: CommandUnit<ImportOptions> = {
  define: (parent: Command) =>
    parent
      .command('import <source>')
      .description(
        "import accounts from an authenticator app's export, a QR image, or otpauth:// URIs ('-' reads stdin)",
      )
      .addOption(
        new Option('--format <format>', 'the format (default: detected from the content)')
          .choices(FORMATS)
          .default('auto'),
      )
      .option('--password-stdin', 'read the export password from stdin (else a hidden prompt)')
      .option('--tag <tag>', 'tag every imported account (repeatable)', collect)
      .option('--dry-run', 'show what would happen; write nothing')
      .addOption(
        new Option('--on-conflict <what>', 'same secret, or same issuer and label, as an existing account')
          .choices(CONFLICTS)
          .default('skip'),
      ),

  options(args: readonly unknown[], flags: OptionValues): ImportOptions {
    const o: ImportOptions = {
      source: argString(args, 0),
      format: flagChoice(flags, 'format', FORMATS) ?? 'auto',
      passwordStdin: flagBool(flags, 'passwordStdin'),
      tags: flagList(flags, 'tag') ?? [],
      dryRun: flagBool(flags, 'dryRun'),
      onConflict: flagChoice(flags, 'onConflict', CONFLICTS) ?? 'skip',
    };
    if (o.passwordStdin && o.source === '-')
      fail('usage', "--password-stdin cannot be used when the export itself comes from standard input ('-')", {
        hint: 'give the export as a file, and the password on standard input',
      });
    return o;
  },

  run: (o: ImportOptions, deps: Deps) => runImport(deps, o),
};

/** For the table test: the lists the flags accept. */
export const IMPORT_FLAG_CHOICES = { formats: FORMATS, conflicts: CONFLICTS };

/** Imports of at least this many entries show a progress line on a terminal. */
const PROGRESS_FROM = 200;

const isUriArgument = (s: string): boolean => /^(?:otpauth|otpauth-migration|steam):/i.test(s.trim());

/** All of stdin; its reader's own failure (over 16 MiB) becomes a usage error, not an internal one. */
async function readStdin(rt: Runtime, what: string): Promise<string> {
  try {
    return await rt.io.readStdin();
  } catch (e) {
    return fail('usage', `cannot read ${what} from standard input (at most 16 MiB of text)`, { cause: e });
  }
}

/** The password from stdin: everything up to the end, one trailing newline dropped. */
async function passwordFromStdin(rt: Runtime): Promise<Redacted> {
  const text = (await readStdin(rt, 'the password')).replace(/\r?\n$/, '');
  if (text === '') fail('usage', 'no password on standard input');
  return new Redacted(text);
}

/** A progress line on stderr (a terminal only), rewritten in place and at most ten times a second. */
function progressLine(rt: Runtime, clock: Clock) {
  let last = 0;
  let shown = false;
  return {
    update(text: string, force = false): void {
      const now = clock.now();
      if (!force && now - last < 100) return;
      last = now;
      shown = true;
      rt.io.err(`\r\u001b[2K${text}`);
    },
    clear(): void {
      if (shown) rt.io.err('\r\u001b[2K');
      shown = false;
    },
  };
}

const ACTION: Record<string, string> = { add: 'add', replace: 'replace', skip: 'skip', invalid: 'error' };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function printReport(rt: Runtime, r: ImportReport): void {
  for (const f of r.skippedFiles) rt.io.err(`skipped file ${printable(f.name)}: ${f.why}\n`);
  rt.io.out(
    table(
      ['#', 'ACTION', 'ID', 'ISSUER', 'LABEL', 'TYPE', 'NOTE'],
      r.rows.map((row) => [
        String(row.index),
        ACTION[row.action] ?? row.action,
        // A skipped row creates nothing: the account it duplicates is named in the note, so the
        // existing id never sits next to the incoming entry's issuer and label as if it were theirs.
        row.action === 'skip' ? '-' : (row.id ?? '-'),
        printable(row.issuer) || '-',
        printable(row.label) || '-',
        row.type ?? '-',
        printable(row.note),
      ]),
    ),
  );
  for (const n of r.notes) rt.io.err(`note: ${printable(n)}\n`);
  const c = r.counts;
  const parts = [
    `${r.dryRun ? 'dry run: would import' : 'imported'} ${c.imported}${c.replaced > 0 ? ` (${c.added} new, ${c.replaced} replaced)` : ''}`,
    `skipped ${c.skipped}${c.skipped > 0 ? ` (${c.invalid} with problems, ${plural(c.skipped - c.invalid, 'duplicate')})` : ''}`,
    `conflicts ${c.conflicts}`,
  ];
  rt.io.out(`${parts.join(', ')}${r.dryRun ? '; nothing was written' : ''}\n`);
  if (c.invalid > 0 && c.invalid === c.entries) {
    rt.io.err(`totp-mcp: nothing ${r.dryRun ? 'would be ' : ''}imported: every entry has a problem (see the table)\n`);
    rt.exitCode = 1;
  }
}

async function runImport({ rt, prompter, clock }: Deps, o: ImportOptions): Promise<void> {
  const source = o.source;
  const { importAccounts } = await import('../../app/import.js');

  let input: ImportInput;
  if (source === '-') {
    const text = await readStdin(rt, 'the export');
    // Binary data does not survive the text reader: say so rather than fail on mangled bytes.
    if (text.includes('\uFFFD'))
      fail(
        'usage',
        'standard input carries binary data (an image, a ZIP or an encrypted backup): give the file path instead',
      );
    input = { kind: 'text', name: 'standard input', text };
  } else if (isUriArgument(source)) {
    input = { kind: 'text', name: 'the URI', text: source };
  } else {
    input = { kind: 'path', path: resolve(source) };
  }

  const line = progressLine(rt, clock);
  const showProgress = rt.io.interactive;
  let passwordAsked = false;
  const report = await importAccounts(rt.ctx, input, {
    format: o.format,
    tags: o.tags,
    dryRun: o.dryRun,
    onConflict: o.onConflict,
    hooks: {
      detected: (d) => {
        line.clear();
        rt.io.err(`detected: ${printable(d)}\n`);
      },
      password: async (prompt) => {
        if (passwordAsked) fail('internal', 'the export password was asked twice');
        passwordAsked = true;
        line.clear();
        if (o.passwordStdin) return passwordFromStdin(rt);
        if (rt.io.interactive) return prompter.secret(prompt);
        return fail(
          'usage',
          'this export is encrypted: give its password with --password-stdin (or run in a terminal)',
        );
      },
      progress: (done, total) => {
        if (showProgress && total >= PROGRESS_FROM) line.update(`checking entries: ${done}/${total}`, done === total);
      },
      writing: (count) => {
        if (showProgress && count >= PROGRESS_FROM) line.update(`writing ${count} accounts to the vault…`, true);
      },
    },
  });
  line.clear();
  printReport(rt, report);
}

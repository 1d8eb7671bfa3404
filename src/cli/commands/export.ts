/**
 * `totp-mcp export`: seeds out of the vault, as otpauth:// URIs, a QR code (terminal, PNG, SVG),
 * Google Authenticator migration codes, an Aegis file or an age backup. Warns, and asks on a
 * terminal; every form is audited by app/export.ts before a secret is handed out.
 */
import { resolve } from 'node:path';
import type { Command, OptionValues } from 'commander';
import type { QrStyle } from '../../app/export.js';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { printable } from '../format.js';
import type { Runtime } from '../runtime.js';
import {
  argList,
  collect,
  flagBool,
  flagList,
  flagString,
  type CommandUnit,
  type Deps,
  type Prompter,
} from '../unit.js';

export interface ExportOptions {
  ids: string[];
  uri?: boolean;
  qr?: string;
  png?: string;
  svg?: string;
  force?: boolean;
  google?: boolean;
  aegis?: string;
  encrypt?: boolean;
  passwordStdin?: boolean;
  backup?: string;
  recipient?: string[];
  yes?: boolean;
}

export const exportCommand: CommandUnit<ExportOptions> = {
  define: (parent: Command) =>
    parent
      .command('export')
      .description(
        'export secrets: otpauth:// URIs, QR codes for a phone, Google Authenticator migration QR codes, an Aegis file, or an age backup (warns, and asks on a terminal)',
      )
      .option('--uri', 'one otpauth:// URI per line')
      .option('--qr <id>', 'a QR code in the terminal for a phone to scan')
      .option('--png <file>', 'with --qr: write the QR code to a PNG file (0600) instead')
      .option('--svg <file>', 'with --qr: write the QR code to an SVG file (0600) instead')
      .option('--force', 'overwrite an existing output file')
      .option('--google', 'Google Authenticator migration QR codes (batched as the app does)')
      .option(
        '--aegis <file>',
        'an Aegis-compatible JSON export (plain, or encrypted with --password-stdin / a prompt when --encrypt)',
      )
      .option('--encrypt', 'with --aegis: encrypt the export with a password')
      .option('--password-stdin', 'read the export password from stdin')
      .option('--backup <file>', 'an age-encrypted backup of the whole vault')
      .option(
        '--recipient <age1…>',
        'with --backup: encrypt to this recipient (repeatable; default: a passphrase)',
        collect,
      )
      .option('-y, --yes', 'do not ask')
      .argument('[ids...]', 'accounts to export (default: all)'),

  options(args: readonly unknown[], flags: OptionValues): ExportOptions {
    const o: ExportOptions = { ids: argList(args, 0) };
    for (const k of ['uri', 'force', 'google', 'encrypt', 'passwordStdin', 'yes'] as const)
      if (flagBool(flags, k)) o[k] = true;
    for (const k of ['qr', 'png', 'svg', 'aegis', 'backup'] as const) {
      const v = flagString(flags, k);
      if (v !== undefined) o[k] = v;
    }
    const recipient = flagList(flags, 'recipient');
    if (recipient !== undefined) o.recipient = recipient;
    checkOptions(o.ids, o);
    return o;
  },

  run: (o: ExportOptions, deps: Deps) => runExport(deps, o),
};

/** Every export of seeds warns on stderr, and asks on a terminal unless --yes. */
async function confirm(
  rt: Runtime,
  prompter: Prompter,
  o: ExportOptions,
  warning: string,
  question: string,
): Promise<void> {
  rt.io.err(`warning: ${warning}\n`);
  if (!o.yes && rt.io.interactive && !(await prompter.confirm(question))) fail('usage', 'not exported');
}

/** A password for an encrypted export: stdin (one trailing newline dropped), else a hidden prompt asked twice. */
async function newPassword(
  rt: Runtime,
  prompter: Prompter,
  o: ExportOptions,
  what: 'password for the Aegis export' | 'passphrase for the backup',
): Promise<Redacted> {
  let p: Redacted;
  if (o.passwordStdin) {
    let text: string;
    try {
      text = await rt.io.readStdin();
    } catch (e) {
      return fail('usage', `cannot read the ${what} from standard input`, { cause: e });
    }
    p = new Redacted(text.replace(/\r?\n$/, ''));
  } else if (rt.io.interactive) {
    p = await prompter.secret(`${what.charAt(0).toUpperCase()}${what.slice(1)}:`, { confirm: true });
  } else {
    return fail('usage', `a ${what} is needed: give it with --password-stdin (or run in a terminal)`);
  }
  if (p.reveal() === '') fail('usage', `the ${what} is empty`);
  return p;
}

/** ANSI colours make a QR code scan on any terminal theme; NO_COLOR and pipes get plain blocks. */
const qrStyle = (rt: Runtime): QrStyle => (rt.io.stdoutIsTTY && !rt.env.noColor ? 'ansi' : 'utf8');

function checkOptions(ids: string[], o: ExportOptions): void {
  const modes = [
    o.uri && '--uri',
    o.qr !== undefined && '--qr',
    o.google && '--google',
    o.aegis !== undefined && '--aegis',
    o.backup !== undefined && '--backup',
  ].filter((m): m is string => typeof m === 'string');
  if ((o.png !== undefined || o.svg !== undefined) && o.qr === undefined)
    fail('usage', '--png and --svg go with --qr <id>');
  if (modes.length === 0)
    fail('usage', 'choose a format: --uri, --qr <id>, --google, --aegis <file> or --backup <file>');
  if (modes.length > 1) fail('usage', `choose one format, not ${modes.join(' and ')}`);
  if (o.encrypt && o.aegis === undefined) fail('usage', '--encrypt goes with --aegis (a --backup is always encrypted)');
  if (o.recipient !== undefined && o.backup === undefined) fail('usage', '--recipient goes with --backup');
  if (
    o.passwordStdin &&
    !((o.aegis !== undefined && o.encrypt) || (o.backup !== undefined && o.recipient === undefined))
  ) {
    fail('usage', '--password-stdin goes with --aegis --encrypt, or with --backup without --recipient');
  }
  if (o.qr !== undefined && ids.length > 0) fail('usage', '--qr takes one account: export --qr <id>');
  if (o.png !== undefined && o.svg !== undefined) fail('usage', 'choose one image format, not --png and --svg');
  if (o.force && o.png === undefined && o.svg === undefined && o.aegis === undefined && o.backup === undefined) {
    fail('usage', '--force goes with an output file: --png, --svg, --aegis or --backup');
  }
  if (o.backup !== undefined && ids.length > 0) fail('usage', 'a backup holds the whole vault: drop the account ids');
}

async function runExport({ rt, prompter }: Deps, o: ExportOptions): Promise<void> {
  const ids = o.ids;
  const { exportUris, listAccounts } = await import('../../app/accounts.js');
  const { exportAegis, exportBackup, exportCount, exportGoogle, exportQr, exportQrImage, writeExportFile } =
    await import('../../app/export.js');

  if (o.uri) {
    // Asked before the URIs are made: making them is what the audit trail records as an export.
    const n = await exportCount(rt.ctx, ids);
    rt.io.err(`warning: the ${n} URI(s) below contain the secrets themselves. Anyone who sees them can make codes.\n`);
    if (!o.yes && rt.io.interactive && !(await prompter.confirm('Print them?'))) fail('usage', 'not exported');
    const uris = await exportUris(rt.ctx, ids);
    for (const { uri } of uris) rt.io.out(`${uri.reveal()}\n`);
    return;
  }

  if (o.qr !== undefined) {
    const id = o.qr;
    await exportCount(rt.ctx, [id]); // not found → an error before the warning
    const file = o.png ?? o.svg;
    if (file !== undefined) {
      const path = resolve(file);
      await confirm(
        rt,
        prompter,
        o,
        `${path} will hold the secret of ${id} as a QR code. Anyone who sees, copies or photographs it can make codes; delete it once scanned.`,
        'Write it?',
      );
      const r = await exportQrImage(rt.ctx, id, o.png !== undefined ? 'png' : 'svg');
      await writeExportFile(path, r.image, { overwrite: o.force === true });
      rt.io.out(`wrote the QR code of ${r.id} to ${path} (${o.png !== undefined ? 'PNG' : 'SVG'})\n`);
      return;
    }
    await confirm(
      rt,
      prompter,
      o,
      `the QR code below holds the secret of ${id}. Anyone who sees or photographs it can make codes.`,
      'Show it?',
    );
    const r = await exportQr(rt.ctx, id, qrStyle(rt));
    rt.io.out(`${r.qr.reveal()}\n`);
    rt.io.err(
      `${r.id}: scan with the phone's authenticator app${r.steam ? ' (a Steam account: only apps that know otpauth://steam show the right codes)' : ''}\n`,
    );
    return;
  }

  if (o.google) {
    const n = await exportCount(rt.ctx, ids);
    const tty = rt.io.stdoutIsTTY;
    await confirm(
      rt,
      prompter,
      o,
      `${tty ? 'the QR codes below hold' : 'the migration URIs below hold'} the secrets of ${n} account(s). Anyone who sees them can make codes.`,
      tty ? 'Show the QR codes?' : 'Print them?',
    );
    const r = await exportGoogle(rt.ctx, ids, tty ? qrStyle(rt) : null);
    for (const s of r.skipped) rt.io.err(`skipped ${s.id}: ${s.reason}\n`);
    if (r.codes.length === 0) fail('invalid', 'none of these accounts fits in a Google Authenticator export');
    r.codes.forEach((c, i) => {
      if (c.qr === null) {
        rt.io.out(`${c.uri.reveal()}\n`);
      } else {
        rt.io.out(
          `Google Authenticator export, code ${i + 1} of ${r.codes.length} (${c.ids.map(printable).join(', ')}):\n${c.qr.reveal()}\n\n`,
        );
      }
    });
    if (tty)
      rt.io.err(
        `In Google Authenticator: Transfer accounts → Import accounts, then scan the ${r.codes.length} code(s) in order.\n`,
      );
    return;
  }

  if (o.aegis !== undefined) {
    const toStdout = o.aegis === '-';
    const n = await exportCount(rt.ctx, ids);
    const password = o.encrypt ? await newPassword(rt, prompter, o, 'password for the Aegis export') : null;
    await confirm(
      rt,
      prompter,
      o,
      o.encrypt
        ? `${toStdout ? 'the Aegis export' : o.aegis} will hold the secrets of ${n} account(s), encrypted with the password you chose.`
        : `${toStdout ? 'the Aegis export' : o.aegis} will hold the secrets of ${n} account(s) in PLAIN TEXT. Anyone who reads it can make codes; delete it once imported.`,
      'Write it?',
    );
    const r = await exportAegis(rt.ctx, ids, password);
    if (toStdout) {
      rt.io.out(r.text.reveal());
      return;
    }
    const path = resolve(o.aegis);
    await writeExportFile(path, r.text, { overwrite: o.force === true });
    rt.io.out(`wrote ${r.count} account(s) to ${path} (Aegis, ${o.encrypt ? 'encrypted' : 'plain'})\n`);
    return;
  }

  if (o.backup !== undefined) {
    const path = resolve(o.backup);
    const recipients = o.recipient ?? [];
    const n = (await listAccounts(rt.ctx)).length;
    const passphrase = recipients.length === 0 ? await newPassword(rt, prompter, o, 'passphrase for the backup') : null;
    await confirm(
      rt,
      prompter,
      o,
      `${path} will hold every secret of the vault (${n} account(s)), age-encrypted to ${passphrase ? 'your passphrase' : `${recipients.length} recipient(s)`}.`,
      'Write it?',
    );
    const r = await exportBackup(rt.ctx, passphrase ? { passphrase } : { recipients });
    await writeExportFile(path, new Redacted(r.bytes), { overwrite: o.force === true });
    rt.io.out(`wrote an age backup of ${r.count} account(s) to ${path}\n`);
  }
}

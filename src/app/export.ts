/**
 * The owner's exports beyond `--uri` (accounts.ts): a terminal QR code for one account, Google
 * Authenticator migration codes, an Aegis file (plain or encrypted), and an age backup of the
 * whole vault. Each carries seeds, so every result is Redacted until the front writes it; the
 * front warns and asks first. Not policy-checked: this is the owner's path, never an agent's.
 */
import { dirname } from 'node:path';
import { fail, isTotpMcpError } from '../core/errors.js';
import { errnoOf, writeFileAtomic } from '../core/fs.js';
import type { Account } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import { formatOtpUri } from '../otp/index.js';
import { aegisExport, googleExport, renderQr, renderQrImage, type QrStyle } from '../otp/exporters/index.js';
import { encryptBackup, serializePayload, type BackupTarget } from '../vault/index.js';
import { checkId, findAccount } from './accounts.js';
import { perAccount, recordOwner } from './audit.js';
import type { AppContext } from './context.js';
import type { Payload } from '../vault/index.js';

export type { QrStyle } from '../otp/exporters/index.js';

async function pick(ctx: AppContext, ids: readonly string[]): Promise<{ list: Account[]; payload: Payload }> {
  const payload = await (await ctx.vault()).read();
  const list = ids.length === 0 ? payload.accounts : ids.map((id) => findAccount(payload.accounts, checkId(id)));
  if (list.length === 0) fail('not_found', 'the vault holds no account to export');
  return { list, payload };
}

/**
 * The accounts an export will hold, audited (`account_export`, one event per account, the format
 * and the count in the reason) before any secret is rendered: the trail names every export even
 * when writing it fails afterwards.
 */
async function chosen(ctx: AppContext, ids: readonly string[], format: string): Promise<Account[]> {
  const { list, payload } = await pick(ctx, ids);
  await recordOwner(
    ctx,
    payload,
    perAccount(
      'account_export',
      list.map((a) => a.id),
      format,
    ),
  );
  return list;
}

/** Ids of the accounts an export would hold (for the warning, before anything is rendered). */
export async function exportCount(ctx: AppContext, ids: readonly string[]): Promise<number> {
  return (await pick(ctx, ids)).list.length;
}

/** One account's otpauth:// URI as a QR code for the terminal. */
export async function exportQr(
  ctx: AppContext,
  id: string,
  style: QrStyle,
): Promise<{ id: string; qr: Redacted; steam: boolean }> {
  const [a] = await chosen(ctx, [id], 'qr');
  if (!a) return fail('not_found', `no account '${id}'`);
  return { id: a.id, qr: await renderQr(formatOtpUri(a), style), steam: a.type === 'steam' };
}

/** One account's otpauth:// URI as a QR image (PNG bytes or SVG text), for a file. */
export async function exportQrImage(
  ctx: AppContext,
  id: string,
  format: 'png' | 'svg',
): Promise<{ id: string; image: Redacted<string | Uint8Array>; steam: boolean }> {
  const [a] = await chosen(ctx, [id], `qr_${format}`);
  if (!a) return fail('not_found', `no account '${id}'`);
  return { id: a.id, image: await renderQrImage(formatOtpUri(a), format), steam: a.type === 'steam' };
}

interface GoogleCodeOut {
  uri: Redacted;
  /** The terminal rendering, when one was asked for. */
  qr: Redacted | null;
  ids: string[];
}

export async function exportGoogle(
  ctx: AppContext,
  ids: readonly string[],
  style: QrStyle | null,
): Promise<{ codes: GoogleCodeOut[]; skipped: { id: string; reason: string }[] }> {
  const { list: accounts, payload } = await pick(ctx, ids);
  const g = googleExport(accounts);
  // Only what goes into a migration code is exported (skipped accounts are not).
  const exported = g.codes.flatMap((c) => c.members.map((i) => (accounts[i] as Account).id));
  if (exported.length > 0) await recordOwner(ctx, payload, perAccount('account_export', exported, 'google'));
  const codes: GoogleCodeOut[] = [];
  for (const c of g.codes) {
    codes.push({
      uri: c.uri,
      qr: style === null ? null : await renderQr(c.uri, style, 'L'),
      ids: c.members.map((i) => (accounts[i] as Account).id),
    });
  }
  return { codes, skipped: g.skipped.map((s) => ({ id: (accounts[s.index] as Account).id, reason: s.reason })) };
}

/** An Aegis export's text: plain, or encrypted with the password (scrypt + AES-256-GCM, as Aegis). */
export async function exportAegis(
  ctx: AppContext,
  ids: readonly string[],
  password: Redacted | null,
): Promise<{ text: Redacted; count: number }> {
  const accounts = await chosen(ctx, ids, password === null ? 'aegis' : 'aegis_encrypted');
  return { text: await aegisExport(accounts, password), count: accounts.length };
}

/** The whole vault payload (accounts, AWS blocks, policy pin, audit key) as an age file. */
export async function exportBackup(ctx: AppContext, to: BackupTarget): Promise<{ bytes: Buffer; count: number }> {
  const p = await (await ctx.vault()).read();
  const plain = Buffer.from(serializePayload(p), 'utf8');
  let bytes: Buffer;
  try {
    bytes = await encryptBackup(plain, to);
  } finally {
    plain.fill(0);
  }
  // After the encryption (a bad recipient exports nothing), before the bytes reach the front.
  const ids = p.accounts.map((a) => a.id);
  const format = 'passphrase' in to ? 'backup_passphrase' : 'backup_recipients';
  await recordOwner(ctx, p, perAccount('account_export', ids, format));
  return { bytes, count: ids.length };
}

/**
 * Writes an export file: mode 0600, never over an existing file (a link from a fully written and
 * fsynced temp file), so a crash leaves either no file or the whole file. With `overwrite`, the
 * temp file is renamed over the old one instead (a symlink there is replaced, not followed).
 */
export async function writeExportFile(
  path: string,
  data: Redacted<string | Uint8Array>,
  o: { overwrite?: boolean } = {},
): Promise<void> {
  try {
    await writeFileAtomic(path, data.reveal(), { overwrite: o.overwrite === true });
  } catch (e) {
    if (isTotpMcpError(e) && e.code === 'conflict')
      return fail('conflict', `${path} already exists: not overwritten`, {
        hint: 'choose another file name, or remove it first',
      });
    const code = errnoOf(e);
    if (code === 'ENOENT') return fail('not_found', `no folder ${dirname(path)}`);
    if (code === 'EACCES' || code === 'EPERM') return fail('io', `cannot write ${path}: permission denied`);
    throw e;
  }
}

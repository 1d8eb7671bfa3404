/** What `doctor` shows about a home folder: files, modes, key kinds. No secrets, no decryption. */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { isAgeFile, isArmored, isPostQuantum, isValidRecipient, readHeader } from './age.js';
import { isEnoent, isTmpOf, pidAlive } from '../core/fs.js';
import { BACKUP_GENERATIONS, listBackups } from './backups.js';
import type { HomePaths } from './paths.js';
import { parseRecipientsText } from './recipients.js';

export interface PathReport {
  path: string;
  exists: boolean;
  type: 'file' | 'directory' | 'symlink' | 'other' | null;
  /** Permission bits as octal text, e.g. "0600". */
  mode: string | null;
  /** Group or others have any permission on it. */
  tooOpen: boolean;
  size: number | null;
}

export interface HomeReport {
  home: PathReport;
  vault: PathReport;
  identityTxt: PathReport;
  identityAge: PathReport;
  recipients: PathReport;
  policy: PathReport;
  state: PathReport;
  backups: PathReport;
  lock: PathReport;
  /** How the vault unlocks, judged from the files present and vault.age's header. */
  identityKind: 'identity' | 'passphrase-identity' | 'passphrase' | 'none';
  /** identity.age is an age file encrypted to a passphrase (a single scrypt stanza). */
  identityAgeIsPassphrase: boolean | null;
  vaultHeader: { armored: boolean; stanzas: string[]; scryptWorkFactor: number | null } | { error: string } | null;
  recipientsCount: number | null;
  /** Lines of recipients.txt that are not valid age recipients (line numbers). */
  badRecipientLines: number[];
  recipientsMixPostQuantum: boolean;
  lockHolder: { pid: number; host: string; alive: boolean | null } | null;
  leftoverTmp: string[];
  backupCount: number;
  /** Findings worth a person's attention, in plain words. Empty when all is well. */
  problems: string[];
}

async function pathReport(path: string): Promise<PathReport> {
  try {
    const st = await lstat(path);
    const type = st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
    const perm = st.mode & 0o777;
    return {
      path,
      exists: true,
      type,
      mode: `0${perm.toString(8).padStart(3, '0')}`,
      tooOpen: type !== 'symlink' && (perm & 0o077) !== 0,
      size: type === 'file' ? st.size : null,
    };
  } catch (e) {
    if (!isEnoent(e)) return { path, exists: false, type: 'other', mode: null, tooOpen: false, size: null };
    return { path, exists: false, type: null, mode: null, tooOpen: false, size: null };
  }
}

const readSmall = (path: string, max = 8 * 1024 * 1024): Promise<Buffer | null> =>
  readFile(path).then(
    (b) => (b.length > max ? null : b),
    () => null,
  );

/** `identityFile`: an identity given outside the home (--identity, $TOTP_MCP_IDENTITY) unlocks the vault. */
export async function inspectHome(paths: HomePaths, opts: { identityFile?: string | undefined } = {}): Promise<HomeReport> {
  const [home, vault, identityTxt, identityAge, recipients, policy, state, backups, lock] = await Promise.all(
    [paths.home, paths.vault, paths.identityTxt, paths.identityAge, paths.recipients, paths.policy, paths.state, paths.backups, paths.lock].map(
      pathReport,
    ),
  ) as [PathReport, PathReport, PathReport, PathReport, PathReport, PathReport, PathReport, PathReport, PathReport];
  const problems: string[] = [];

  if (!home.exists) problems.push(`${paths.home} does not exist: run totp-mcp init`);
  for (const r of [home, vault, identityTxt, identityAge, recipients, policy, state, backups]) {
    if (r.tooOpen) {
      problems.push(`${r.path} has mode ${r.mode ?? '?'}: group or others have access (chmod ${r.type === 'directory' ? '700' : '600'} it)`);
    }
    // The home itself may be a link the owner made (to a folder); what is inside may not.
    if (r === home && r.type === 'symlink' && (await stat(r.path).then((s) => s.isDirectory(), () => false))) continue;
    if (r.type === 'symlink' || r.type === 'other') problems.push(`${r.path} is not a regular ${r === home || r === state || r === backups ? 'folder' : 'file'}`);
  }
  for (const dir of state.type === 'directory' ? [paths.state, join(paths.state, 'aws')] : []) {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isSymbolicLink()) problems.push(`${join(dir, e.name)} is a symbolic link: totp-mcp refuses links inside its home (replace it with a real file)`);
    }
  }

  // vault.age header
  let vaultHeader: HomeReport['vaultHeader'] = null;
  if (vault.exists) {
    const bytes = await readSmall(paths.vault, Number.MAX_SAFE_INTEGER);
    if (bytes === null) vaultHeader = { error: 'cannot be read' };
    else {
      try {
        const h = await readHeader(bytes);
        vaultHeader = { armored: isArmored(bytes), stanzas: h.stanzaTypes, scryptWorkFactor: h.scryptLogN };
      } catch (e) {
        vaultHeader = { error: e instanceof Error ? e.message : 'unreadable' };
        problems.push(`${paths.vault} is damaged or not an age file (${vaultHeader.error}): restore it from ${paths.backups}`);
      }
    }
  } else if (home.exists) {
    problems.push(`no vault at ${paths.vault}: run totp-mcp init`);
  }
  const passphraseVault = vaultHeader !== null && 'stanzas' in vaultHeader && vaultHeader.stanzas.includes('scrypt');

  // identity.age
  let identityAgeIsPassphrase: boolean | null = null;
  if (identityAge.exists) {
    const bytes = await readSmall(paths.identityAge);
    identityAgeIsPassphrase = false;
    if (bytes && isAgeFile(bytes)) {
      try {
        const h = await readHeader(bytes);
        identityAgeIsPassphrase = h.stanzaTypes.length === 1 && h.stanzaTypes[0] === 'scrypt';
      } catch {
        identityAgeIsPassphrase = false;
      }
    }
    if (!identityAgeIsPassphrase) problems.push(`${paths.identityAge} is not a passphrase-encrypted age file`);
  }
  if (identityTxt.exists && identityAge.exists) {
    problems.push(`both ${basename(paths.identityTxt)} and ${basename(paths.identityAge)} exist: identity.txt is used; remove the one you do not use`);
  }
  const identityKind: HomeReport['identityKind'] = passphraseVault
    ? 'passphrase'
    : identityTxt.exists
      ? 'identity'
      : identityAge.exists
        ? 'passphrase-identity'
        : 'none';
  if (vault.exists && identityKind === 'none' && opts.identityFile === undefined) {
    problems.push(`no identity.txt or identity.age in ${paths.home}, and the vault is not passphrase-encrypted: it needs --identity FILE`);
  }

  // recipients.txt
  let recipientsCount: number | null = null;
  const badRecipientLines: number[] = [];
  let recipientsMixPostQuantum = false;
  if (recipients.exists) {
    const bytes = await readSmall(paths.recipients);
    if (bytes) {
      const lines = bytes.toString('utf8').split('\n');
      lines.forEach((l, i) => {
        const t = l.trim();
        if (t !== '' && !t.startsWith('#') && !isValidRecipient(t)) badRecipientLines.push(i + 1);
      });
      const list = parseRecipientsText(bytes.toString('utf8')).entries.map((e) => e.recipient).filter(isValidRecipient);
      recipientsCount = list.length;
      const pq = list.filter(isPostQuantum).length;
      recipientsMixPostQuantum = pq !== 0 && pq !== list.length;
      if (recipientsCount === 0) problems.push(`${paths.recipients} lists no recipient`);
      if (badRecipientLines.length) problems.push(`${paths.recipients}: line(s) ${badRecipientLines.join(', ')} are not age recipients`);
      if (recipientsMixPostQuantum) problems.push(`${paths.recipients} mixes post-quantum and classic recipients`);
    }
    if (passphraseVault) problems.push(`${paths.recipients} is unused: the vault is passphrase-encrypted`);
  }
  if (
    vaultHeader !== null &&
    'stanzas' in vaultHeader &&
    vaultHeader.stanzas.some((s) => s === 'mlkem768x25519' || s === 'mlkem768p256tag')
  ) {
    problems.push('the vault is post-quantum encrypted: recovering it with the age CLI needs age 1.3 or later (or age-plugin-pq)');
  }

  // lock
  let lockHolder: HomeReport['lockHolder'] = null;
  if (lock.exists) {
    const bytes = await readSmall(paths.lock, 4096);
    try {
      const h = JSON.parse(bytes?.toString('utf8') ?? '') as { pid?: unknown; host?: unknown };
      if (typeof h.pid === 'number' && typeof h.host === 'string') {
        const same = h.host === hostname();
        lockHolder = { pid: h.pid, host: h.host, alive: same ? pidAlive(h.pid) : null };
        if (same && !lockHolder.alive) problems.push(`${paths.lock} was left by process ${h.pid}, which is gone: the next write removes it`);
      }
    } catch {
      problems.push(`${paths.lock} exists but is unreadable: if no totp-mcp is running, remove it`);
    }
  }

  // leftovers and backups
  const names = await readdir(paths.home).catch(() => [] as string[]);
  const targets = [paths.vault, paths.recipients, paths.identityTxt, paths.identityAge].map((p) => basename(p));
  const leftoverTmp = names.filter((n) => targets.some((t) => isTmpOf(n, t)));
  if (leftoverTmp.length) problems.push(`${leftoverTmp.length} temp file(s) left by an interrupted write: the next write removes them`);
  const backupCount = (await listBackups(paths.backups).catch(() => [])).length;
  if (backupCount > BACKUP_GENERATIONS) problems.push(`${backupCount} backups where ${BACKUP_GENERATIONS} are kept: the next write prunes them`);

  return {
    home,
    vault,
    identityTxt,
    identityAge,
    recipients,
    policy,
    state,
    backups,
    lock,
    identityKind,
    identityAgeIsPassphrase,
    vaultHeader,
    recipientsCount,
    badRecipientLines,
    recipientsMixPostQuantum,
    lockHolder,
    leftoverTmp,
    backupCount,
    problems,
  };
}

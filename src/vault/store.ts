/**
 * The vault store: unlock once, read without a lock (rename is atomic), write under the
 * cross-process lock with verify-before-rename and backup generations.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TotpMcpError } from '../core/errors.js';
import { withLock } from '../core/lock.js';
import { Redacted } from '../core/redacted.js';
import {
  AgeError,
  MIX_ERROR,
  armorEncode,
  decryptAge,
  decrypterFor,
  encryptAge,
  generateIdentityText,
  isAgeFile,
  isBinaryAge,
  isPostQuantum,
  isValidRecipient,
  parseIdentityText,
  readHeader,
  unlockHeader,
  type Decrypter,
  type Recipient,
} from './age.js';
import {
  ensurePrivateDir,
  exists,
  readOrNull,
  removeLeftoverTmp,
  writeFileAtomic,
} from '../core/fs.js';
import { keepBackup, listBackups, pruneBackups } from './backups.js';
import { PASSPHRASE_NEEDED, type PassphraseSource } from './passphrase.js';
import { PAYLOAD_VERSION, checkedSerialize, parsePayload, serializePayload, type Payload } from './payload.js';
import type { HomePaths } from './paths.js';
import {
  AsyncScryptIdentity,
  AsyncScryptRecipient,
  DEFAULT_WORK_FACTOR,
  MAX_WORK_FACTOR,
  type ScryptKeyCache,
} from './scrypt.js';
import { formatRecipientsFile, parseRecipientsText } from './recipients.js';

export type UnlockKind = 'identity' | 'passphrase-identity' | 'passphrase';

export type InitMode =
  | { kind: 'identity' }
  | { kind: 'identity-file'; file: string }
  | { kind: 'passphrase-identity' }
  | { kind: 'passphrase' };

export interface Vault {
  readonly paths: HomePaths;
  readonly unlockKind: UnlockKind;
  /**
   * This home's id, for what the vault remembers per home (audit anchors): derived from the
   * public key of the identity that unlocked it, so it survives a wiped state folder and differs
   * on every machine with its own identity. A passphrase-only vault has no identity: its one id
   * is 'passphrase' (every copy of it is the same home).
   */
  readonly homeId: string;
  /** The highest payload generation this process has read or written. */
  readonly generationSeen: number;
  /** Decrypts the current vault.age (a rename is atomic: no lock needed). */
  read(): Promise<Payload>;
  /**
   * lock → re-read → mutate in place → set updated_at → validate → encrypt → write a temp file →
   * fsync → verify it decrypts → keep a backup generation → rename → fsync the folder.
   * If mutate throws, nothing is written. Returns mutate's result.
   */
  update<T>(mutate: (p: Payload) => T | Promise<T>): Promise<T>;
  /** The vault's recipients: recipients.txt, or those of the identity if it is missing; [] for a passphrase vault. */
  recipients(): Promise<string[]>;
  /** Replaces the recipients and re-encrypts the vault to all of them, under the lock. */
  setRecipients(list: string[]): Promise<void>;
  /**
   * Decrypts another age file encrypted to this vault's recipients (the AWS session cache) with
   * the identity that unlocked the vault. Throws 'invalid' without detail when it cannot.
   * A passphrase-only vault has no identity: it throws.
   */
  unseal(bytes: Uint8Array): Promise<Buffer>;
  /** The backup generations in backups/, oldest first: file name and bytes (`restore`). */
  backups(): Promise<{ name: string; bytes: Buffer }[]>;
  /** Decrypts and validates a backup with the key that unlocked this vault. Throws 'invalid' without detail when it cannot. */
  openBackup(bytes: Uint8Array): Promise<Payload>;
  /**
   * Puts a backup back as vault.age byte for byte (its generation and anchors unchanged, so the
   * audit trail sees how far back it goes), under the lock, after keeping the current vault as a
   * backup. `check` runs under the lock with the current and the restored payload; throwing
   * refuses (nothing changes). Returns the restored payload.
   */
  restore(bytes: Uint8Array, check: (current: Payload, restored: Payload) => void | Promise<void>): Promise<Payload>;
}

export interface OpenOptions {
  /** An identity file to use instead of the home's identity.txt / identity.age. */
  identityFile?: string | undefined;
  passphrase?: PassphraseSource | undefined;
  now?: (() => number) | undefined;
  /**
   * Called inside every write, under the lock, after the change and before the generation is
   * raised (the app records its audit anchor there). Throwing refuses the write.
   */
  beforeWrite?: ((p: Payload, homeId: string) => void | Promise<void>) | undefined;
}

export interface InitOptions {
  passphrase?: PassphraseSource | undefined;
  now: number;
  /** scrypt log2(N) for identity.age or a passphrase vault: default 18, at most 20. */
  workFactor?: number | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const RECIPIENTS_HEADER = [
  '# totp-mcp: vault.age is encrypted to every recipient below (age -R syntax).',
  '# Change the list through totp-mcp, which re-encrypts the vault; a hand edit applies at the next write.',
];

// ---- helpers ----

/** Calls the source at most once and refuses an empty passphrase. */
function passphraseOnce(source: PassphraseSource | undefined): (prompt: string) => Promise<Redacted> {
  let got: Promise<Redacted> | null = null;
  return (prompt) => {
    got ??= (async () => {
      if (!source) throw new TotpMcpError('vault_locked', PASSPHRASE_NEEDED);
      let p: Redacted;
      try {
        p = await source(prompt);
      } catch (e) {
        if (e instanceof TotpMcpError) throw e;
        throw new TotpMcpError('vault_locked', 'could not read the passphrase', { cause: e });
      }
      if (p.reveal().length === 0) throw new TotpMcpError('vault_locked', 'the passphrase is empty');
      return p;
    })();
    return got;
  };
}

const restoreHint = (paths: HomePaths): string =>
  `restore the newest good copy from ${paths.backups} (age -d -i identity.txt FILE shows what it holds)`;

/** Maps a codec failure on vault.age to the error a person should see. Never quotes the file. */
function vaultError(e: unknown, paths: HomePaths, kind: UnlockKind | null, identityPath: string | null): TotpMcpError {
  if (e instanceof TotpMcpError) return e;
  if (e instanceof AgeError) {
    switch (e.kind) {
      case 'no_match':
        return kind === 'passphrase'
          ? new TotpMcpError(
              'vault_locked',
              `cannot unlock ${paths.vault}: the passphrase does not open it (wrong passphrase, or the file was damaged)`,
            )
          : new TotpMcpError(
              'vault_locked',
              `cannot unlock ${paths.vault}: the identity in ${identityPath ?? 'the identity file'} matches none of its recipients ` +
                '(a different identity, the vault re-encrypted without it, or a damaged file)',
              { hint: 'pass the right identity with --identity FILE' },
            );
      case 'work_factor':
        return new TotpMcpError('invalid', `cannot open ${paths.vault}: ${e.message}`);
      case 'malformed':
      case 'damaged':
        return new TotpMcpError('vault_corrupt', `${paths.vault} is damaged or not an age file: ${e.message}`, {
          hint: restoreHint(paths),
        });
    }
  }
  return new TotpMcpError('internal', `unexpected failure while decrypting ${paths.vault}`, { cause: e });
}

function identityFileError(e: unknown, path: string): TotpMcpError {
  if (e instanceof TotpMcpError) return e;
  if (e instanceof AgeError) {
    switch (e.kind) {
      case 'no_match':
        return new TotpMcpError(
          'vault_locked',
          `cannot decrypt the identity file ${path}: the passphrase does not open it (wrong passphrase, or the file was damaged)`,
        );
      case 'work_factor':
        return new TotpMcpError('invalid', `cannot decrypt the identity file ${path}: ${e.message}`);
      default:
        // The identity is wrong (exit 4, as a wrong identity is), not the data the command was given.
        return new TotpMcpError('vault_locked', `${path} is not a usable age identity file: ${e.message}`);
    }
  }
  return new TotpMcpError('internal', `unexpected failure while reading the identity file ${path}`, { cause: e });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodePayload(plain: Uint8Array, paths: HomePaths): Payload {
  let text: string;
  try {
    text = utf8.decode(plain);
  } catch {
    throw new TotpMcpError('vault_corrupt', 'vault payload is not UTF-8 text', { hint: restoreHint(paths) });
  }
  try {
    return parsePayload(text);
  } catch (e) {
    if (e instanceof TotpMcpError && e.code === 'vault_corrupt') {
      throw new TotpMcpError(e.code, e.message, { hint: restoreHint(paths), cause: e });
    }
    throw e;
  }
}

async function readVaultBytes(paths: HomePaths): Promise<Buffer> {
  const bytes = await readOrNull(paths.vault);
  if (bytes === null) throw new TotpMcpError('not_found', `no vault at ${paths.vault}`, { hint: 'run totp-mcp init' });
  return bytes;
}

/** Same-process writers queue here before taking the file lock (which is per process, not per call). */
const queues = new Map<string, Promise<unknown>>();
function inProcessQueue<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/** Serialised, cross-process exclusive section; leftover temp files of crashed writers go first. */
function locked<T>(paths: HomePaths, fn: () => Promise<T>): Promise<T> {
  return inProcessQueue(paths.lock, () =>
    withLock(paths.lock, async () => {
      await removeLeftoverTmp(paths.home, [paths.vault, paths.recipients, paths.identityTxt, paths.identityAge]);
      return fn();
    }),
  );
}

function checkRecipientList(list: readonly string[], source: string): void {
  if (list.length === 0) throw new TotpMcpError('invalid', `${source} lists no recipient`);
  list.forEach((r, i) => {
    if (!isValidRecipient(r)) {
      const shown = /^AGE-SECRET-KEY-/i.test(r)
        ? 'a secret key (give the age1… public key instead)'
        : /^age1[0-9a-z]{1,100}$/.test(r)
          ? `"${r.slice(0, 16)}…" (bad checksum or length)`
          : 'not an age recipient (age1…)';
      throw new TotpMcpError('invalid', `${source}: recipient ${i + 1} is ${shown}`);
    }
  });
  const pq = list.filter(isPostQuantum).length;
  if (pq !== 0 && pq !== list.length) throw new TotpMcpError('invalid', MIX_ERROR);
}

/**
 * Encrypts, then decrypts the result with the unlocking key (scrypt keys come from the cache) and
 * compares. Returns the ciphertext.
 */
async function sealAndVerify(plain: Buffer, recipients: readonly (string | Recipient)[], decrypter: Decrypter): Promise<Buffer> {
  const ct = await encryptAge(plain, recipients);
  const back = await decryptAge(ct, decrypter).catch(() => null);
  if (back === null || !back.equals(plain)) {
    throw new TotpMcpError('internal', 'the re-encrypted vault did not decrypt with this vault’s own key: nothing was written');
  }
  return ct;
}

// ---- the vault ----

interface Key {
  kind: UnlockKind;
  decrypter: Decrypter;
  /** Recipients of the unlocking identities (empty for a passphrase vault). */
  own: string[];
  passphrase: Redacted | null;
  cache: ScryptKeyCache;
  identityPath: string | null;
}

export const PASSPHRASE_HOME_ID = 'passphrase';

/** A home id from the unlocking identity's recipient (see Vault.homeId). */
export const homeIdOf = (recipient: string | undefined): string =>
  recipient === undefined ? PASSPHRASE_HOME_ID : `id-${createHash('sha256').update(`totp-mcp home\n${recipient}`).digest('hex').slice(0, 16)}`;

class FileVault implements Vault {
  readonly paths: HomePaths;
  readonly unlockKind: UnlockKind;
  readonly homeId: string;
  readonly #key: Key;
  readonly #now: () => number;
  readonly #beforeWrite: OpenOptions['beforeWrite'];
  #generationSeen = 0;

  constructor(paths: HomePaths, key: Key, now: () => number, beforeWrite?: OpenOptions['beforeWrite']) {
    this.paths = paths;
    this.unlockKind = key.kind;
    this.homeId = homeIdOf(key.kind === 'passphrase' ? undefined : key.own[0]);
    this.#key = key;
    this.#now = now;
    this.#beforeWrite = beforeWrite;
  }

  get generationSeen(): number {
    return this.#generationSeen;
  }

  #saw(p: Payload): Payload {
    if (p.generation > this.#generationSeen) this.#generationSeen = p.generation;
    return p;
  }

  /**
   * Every write: the app's hook, then the next generation. One more than the file's own, not than
   * the highest seen: a rolled-back vault stays behind its trail until the owner accepts it.
   */
  async #nextGeneration(p: Payload): Promise<void> {
    await this.#beforeWrite?.(p, this.homeId);
    p.generation += 1;
    this.#saw(p);
  }

  async #decrypt(bytes: Uint8Array): Promise<Buffer> {
    try {
      return await decryptAge(bytes, this.#key.decrypter);
    } catch (e) {
      throw vaultError(e, this.paths, this.#key.kind, this.#key.identityPath);
    }
  }

  async read(): Promise<Payload> {
    const bytes = await readVaultBytes(this.paths);
    return this.#saw(decodePayload(await this.#decrypt(bytes), this.paths));
  }

  /** Under the lock: the current file, decrypted and validated. Any failure refuses the write. */
  async #current(): Promise<{ bytes: Buffer; plain: Buffer; payload: Payload }> {
    const bytes = await readVaultBytes(this.paths);
    const plain = await this.#decrypt(bytes);
    return { bytes, plain, payload: this.#saw(decodePayload(plain, this.paths)) };
  }

  async #readRecipientsFile(): Promise<{ text: string | null; list: string[] }> {
    const raw = await readOrNull(this.paths.recipients);
    if (raw === null) return { text: null, list: [...this.#key.own] };
    const text = raw.toString('utf8');
    return { text, list: parseRecipientsText(text).entries.map((e) => e.recipient) };
  }

  async unseal(bytes: Uint8Array): Promise<Buffer> {
    if (this.#key.kind === 'passphrase') throw new TotpMcpError('invalid', 'a passphrase-only vault has no identity to decrypt with');
    try {
      return await decryptAge(bytes, this.#key.decrypter);
    } catch {
      throw new TotpMcpError('invalid', 'the file does not decrypt with this vault’s identity');
    }
  }

  async backups(): Promise<{ name: string; bytes: Buffer }[]> {
    const out: { name: string; bytes: Buffer }[] = [];
    for (const b of await listBackups(this.paths.backups)) {
      const bytes = await readOrNull(join(this.paths.backups, b.name));
      if (bytes !== null) out.push({ name: b.name, bytes });
    }
    return out;
  }

  async openBackup(bytes: Uint8Array): Promise<Payload> {
    let plain: Buffer;
    try {
      plain = await decryptAge(bytes, this.#key.decrypter);
    } catch {
      throw new TotpMcpError('invalid', 'the backup does not decrypt with the key that unlocked this vault');
    }
    try {
      return decodePayload(plain, this.paths);
    } catch {
      throw new TotpMcpError('invalid', 'the backup decrypts but does not hold a valid vault');
    }
  }

  restore(bytes: Uint8Array, check: (current: Payload, restored: Payload) => void | Promise<void>): Promise<Payload> {
    return locked(this.paths, async () => {
      const { payload: current } = await this.#current();
      const restored = await this.openBackup(bytes);
      await check(current, restored);
      await writeFileAtomic(this.paths.vault, Buffer.from(bytes), {
        overwrite: true,
        verify: true,
        beforeReplace: () => keepBackup(this.paths.vault, this.paths.backups, this.#now()),
      });
      await pruneBackups(this.paths.backups);
      return restored;
    });
  }

  async recipients(): Promise<string[]> {
    if (this.#key.kind === 'passphrase') return [];
    return (await this.#readRecipientsFile()).list;
  }

  #checkKeepsOwner(list: readonly string[], source: string): void {
    if (!list.some((r) => this.#key.own.includes(r))) {
      const own = this.#key.own[0] ?? '';
      throw new TotpMcpError(
        'conflict',
        `${source} does not include this vault's own recipient ${own}: writing would lock you out of the vault`,
        { hint: `keep ${own} in the list` },
      );
    }
  }

  /** What the next write encrypts to. */
  async #writeRecipients(current: Buffer): Promise<(string | Recipient)[]> {
    if (this.#key.kind === 'passphrase') {
      const pass = this.#key.passphrase as Redacted;
      let logN = DEFAULT_WORK_FACTOR;
      try {
        logN = (await readHeader(current)).scryptLogN ?? DEFAULT_WORK_FACTOR;
      } catch {
        // the current file decrypted a moment ago; keep the default
      }
      return [new AsyncScryptRecipient(pass, Math.min(Math.max(logN, 1), MAX_WORK_FACTOR), this.#key.cache)];
    }
    const { list } = await this.#readRecipientsFile();
    checkRecipientList(list, this.paths.recipients);
    this.#checkKeepsOwner(list, this.paths.recipients);
    return list;
  }

  /**
   * tmp (0600, wx) → fsync → read back and verify → [beforeRename] → backup link → rename → fsync
   * folder → prune backups. Call under the lock.
   */
  async #commit(plain: Buffer, recipients: readonly (string | Recipient)[], beforeRename?: () => Promise<void>): Promise<void> {
    const ct = await sealAndVerify(plain, recipients, this.#key.decrypter);
    await writeFileAtomic(this.paths.vault, ct, {
      overwrite: true,
      verify: true,
      beforeReplace: async () => {
        await beforeRename?.();
        await keepBackup(this.paths.vault, this.paths.backups, this.#now());
      },
    });
    await pruneBackups(this.paths.backups);
  }

  update<T>(mutate: (p: Payload) => T | Promise<T>): Promise<T> {
    return locked(this.paths, async () => {
      const { bytes, payload } = await this.#current();
      const result = await mutate(payload);
      await this.#nextGeneration(payload);
      payload.updated_at = iso(this.#now());
      const text = checkedSerialize(payload);
      await this.#commit(Buffer.from(text, 'utf8'), await this.#writeRecipients(bytes));
      return result;
    });
  }

  async setRecipients(input: string[]): Promise<void> {
    if (this.#key.kind === 'passphrase') {
      throw new TotpMcpError('invalid', 'a passphrase-only vault has no recipients', {
        hint: 'to share a vault, create it with an identity (totp-mcp init) and add recipients to that',
      });
    }
    const list = [...new Set(input.map((r) => r.trim()).filter((r) => r !== ''))];
    checkRecipientList(list, 'the new recipient list');
    this.#checkKeepsOwner(list, 'the new recipient list');
    await locked(this.paths, async () => {
      const { payload } = await this.#current();
      // A re-encryption is a write too: a rollback to the old recipients must be seen.
      await this.#nextGeneration(payload);
      const plain = Buffer.from(checkedSerialize(payload), 'utf8');
      const before = await this.#readRecipientsFile();
      const text = formatRecipientsFile(before.text === null ? null : parseRecipientsText(before.text), list, RECIPIENTS_HEADER);
      // recipients.txt first: after a crash between the two renames the next write converges on the new list.
      await this.#commit(plain, list, () => writeFileAtomic(this.paths.recipients, text, { overwrite: true }));
    });
  }
}

// ---- open ----

async function readIdentityFile(path: string, explicit: boolean): Promise<Buffer> {
  const bytes = await readOrNull(path);
  if (bytes === null) {
    throw explicit
      ? new TotpMcpError('vault_locked', `no identity file at ${path}`) // the identity named is wrong: exit 4
      : new TotpMcpError('vault_locked', `the identity file ${path} disappeared`);
  }
  return bytes;
}

/** Unlocks a passphrase-encrypted identity file (age -p, armored or not) with the async scrypt identity. */
async function decryptIdentityFile(bytes: Buffer, path: string, ask: (prompt: string) => Promise<Redacted>): Promise<string> {
  let types: string[];
  try {
    types = (await readHeader(bytes)).stanzaTypes;
  } catch (e) {
    throw identityFileError(e, path);
  }
  if (types.length !== 1 || types[0] !== 'scrypt') {
    throw new TotpMcpError('vault_locked', `the identity file ${path} is encrypted to a key, not to a passphrase: totp-mcp cannot unlock it`);
  }
  const pass = await ask(`Enter passphrase for identity file ${path}:`);
  try {
    const plain = await decryptAge(bytes, decrypterFor([new AsyncScryptIdentity(pass)]));
    return utf8.decode(plain);
  } catch (e) {
    if (e instanceof TypeError) throw new TotpMcpError('vault_locked', `the identity file ${path} does not hold text`);
    throw identityFileError(e, path);
  }
}

async function identityKeys(text: string, path: string): Promise<{ keys: string[]; recipients: string[] }> {
  try {
    return await parseIdentityText(text);
  } catch (e) {
    throw identityFileError(e, path);
  }
}

export async function openVault(paths: HomePaths, opts: OpenOptions = {}): Promise<Vault> {
  const now = opts.now ?? Date.now;
  const ask = passphraseOnce(opts.passphrase);
  const bytes = await readVaultBytes(paths);
  let stanzaTypes: string[];
  try {
    stanzaTypes = (await readHeader(bytes)).stanzaTypes;
  } catch (e) {
    throw vaultError(e, paths, null, null);
  }
  const cache: ScryptKeyCache = new Map();
  let key: Key;
  if (stanzaTypes.includes('scrypt')) {
    const pass = await ask(`Enter passphrase for ${paths.vault}:`);
    key = {
      kind: 'passphrase',
      decrypter: decrypterFor([new AsyncScryptIdentity(pass, { cache })]),
      own: [],
      passphrase: pass,
      cache,
      identityPath: null,
    };
  } else {
    const explicit = opts.identityFile !== undefined;
    const idPath =
      opts.identityFile ??
      ((await exists(paths.identityTxt)) ? paths.identityTxt : (await exists(paths.identityAge)) ? paths.identityAge : null);
    if (idPath === null) {
      throw new TotpMcpError('vault_locked', `no identity to unlock ${paths.vault}: neither identity.txt nor identity.age is in ${paths.home}`, {
        hint: 'pass the identity with --identity FILE',
      });
    }
    const idBytes = await readIdentityFile(idPath, explicit);
    const encrypted = isAgeFile(idBytes);
    const text = encrypted ? await decryptIdentityFile(idBytes, idPath, ask) : idBytes.toString('utf8');
    const { keys, recipients } = await identityKeys(text, idPath);
    key = {
      kind: encrypted ? 'passphrase-identity' : 'identity',
      decrypter: decrypterFor(keys),
      own: recipients,
      passphrase: null,
      cache,
      identityPath: idPath,
    };
  }
  try {
    await unlockHeader(bytes, key.decrypter);
  } catch (e) {
    throw vaultError(e, paths, key.kind, key.identityPath);
  }
  return new FileVault(paths, key, now, opts.beforeWrite);
}

// ---- init ----

export function newPayload(nowMs: number): Payload {
  return {
    version: PAYLOAD_VERSION,
    accounts: [],
    policy_pin: null,
    audit_key: new Redacted(randomBytes(32).toString('base64')),
    created_at: iso(nowMs),
    updated_at: iso(nowMs),
    generation: 0,
    anchors: {},
  };
}

async function refuseExisting(...files: string[]): Promise<void> {
  for (const f of files) {
    if (await exists(f)) {
      throw new TotpMcpError('conflict', `${f} already exists: refusing to overwrite a key`, {
        hint: 'move it away (it may be a key you need), or use it with init --identity-file',
      });
    }
  }
}

export async function initVault(paths: HomePaths, mode: InitMode, opts: InitOptions): Promise<{ recipient: string | null; payload: Payload }> {
  const logN = opts.workFactor ?? DEFAULT_WORK_FACTOR;
  if (!Number.isInteger(logN) || logN < 1 || logN > MAX_WORK_FACTOR) {
    throw new TotpMcpError('usage', `the scrypt work factor must be an integer from 1 to ${MAX_WORK_FACTOR}`);
  }
  const ask = passphraseOnce(opts.passphrase);
  if (mode.kind === 'passphrase-identity' || mode.kind === 'passphrase') {
    if (await exists(paths.vault)) {
      throw new TotpMcpError('conflict', `a vault already exists at ${paths.vault}`, { hint: 'use it, or move the folder away to start over' });
    }
    // Asked before anything is created: a refused or abandoned passphrase leaves no half-made home.
    await ask(mode.kind === 'passphrase' ? `Choose a passphrase for ${paths.vault}:` : `Choose a passphrase for the identity file ${paths.identityAge}:`);
  }
  // What this init created, to take back if it fails: an aborted init leaves nothing behind.
  const made: string[] = [];
  const created = async (path: string, make: () => Promise<void>): Promise<void> => {
    const had = await exists(path);
    await make();
    if (!had) made.push(path);
  };
  try {
    await created(paths.home, () => ensurePrivateDir(paths.home, { link: 'allow' })); // the owner's own link is fine
    if (!(await exists(paths.lock))) made.push(paths.lock);
    return await initLocked(paths, mode, opts, logN, ask, created);
  } catch (e) {
    for (const path of made.reverse()) await rm(path, { recursive: false, force: true }).catch(() => rmdir(path).catch(() => undefined));
    throw e;
  }
}

async function initLocked(
  paths: HomePaths,
  mode: InitMode,
  opts: InitOptions,
  logN: number,
  ask: (prompt: string) => Promise<Redacted>,
  created: (path: string, make: () => Promise<void>) => Promise<void>,
): Promise<{ recipient: string | null; payload: Payload }> {
  return locked(paths, async () => {
    if (await exists(paths.vault)) {
      throw new TotpMcpError('conflict', `a vault already exists at ${paths.vault}`, {
        hint: 'use it, or move the folder away to start over',
      });
    }
    await created(paths.state, () => ensurePrivateDir(paths.state));
    await created(paths.backups, () => ensurePrivateDir(paths.backups));
    const cache: ScryptKeyCache = new Map();
    let own: string[] = [];
    let recipients: (string | Recipient)[];
    let decrypter: Decrypter;

    switch (mode.kind) {
      case 'identity': {
        await refuseExisting(paths.identityTxt, paths.identityAge);
        const id = await generateIdentityText(opts.now);
        const { keys, recipients: r } = await identityKeys(id.text, paths.identityTxt);
        await created(paths.identityTxt, () => writeFileAtomic(paths.identityTxt, id.text, { overwrite: false }));
        own = r;
        recipients = r;
        decrypter = decrypterFor(keys);
        break;
      }
      case 'identity-file': {
        await refuseExisting(paths.identityTxt, paths.identityAge);
        const bytes = await readIdentityFile(mode.file, true);
        const encrypted = isAgeFile(bytes);
        const text = encrypted ? await decryptIdentityFile(bytes, mode.file, ask) : bytes.toString('utf8');
        const { keys, recipients: r } = await identityKeys(text, mode.file);
        if (encrypted) {
          const armored = isBinaryAge(bytes) ? armorEncode(bytes) : bytes;
          await created(paths.identityAge, () => writeFileAtomic(paths.identityAge, armored, { overwrite: false }));
        } else {
          await created(paths.identityTxt, () => writeFileAtomic(paths.identityTxt, bytes, { overwrite: false }));
        }
        own = r;
        recipients = r;
        decrypter = decrypterFor(keys);
        break;
      }
      case 'passphrase-identity': {
        await refuseExisting(paths.identityTxt, paths.identityAge);
        const pass = await ask(`Choose a passphrase for the identity file ${paths.identityAge}:`);
        const id = await generateIdentityText(opts.now);
        const { keys, recipients: r } = await identityKeys(id.text, paths.identityAge);
        const sealed = await sealAndVerifyIdentity(id.text, pass, logN);
        await created(paths.identityAge, () => writeFileAtomic(paths.identityAge, armorEncode(sealed), { overwrite: false }));
        own = r;
        recipients = r;
        decrypter = decrypterFor(keys);
        break;
      }
      case 'passphrase': {
        const pass = await ask(`Choose a passphrase for ${paths.vault}:`);
        recipients = [new AsyncScryptRecipient(pass, logN, cache)];
        decrypter = decrypterFor([new AsyncScryptIdentity(pass, { cache })]);
        break;
      }
    }

    if (mode.kind !== 'passphrase') {
      const text = formatRecipientsFile(null, own, RECIPIENTS_HEADER);
      await created(paths.recipients, () => writeFileAtomic(paths.recipients, text, { overwrite: true }));
    }
    // Returned so that init can audit itself (its key is in the payload) without unlocking again.
    const payload = newPayload(opts.now);
    const plain = Buffer.from(serializePayload(payload), 'utf8');
    const ct = await sealAndVerify(plain, recipients, decrypter);
    await writeFileAtomic(paths.vault, ct, { overwrite: false });
    return { recipient: own[0] ?? null, payload };
  });
}

async function sealAndVerifyIdentity(text: string, pass: Redacted, logN: number): Promise<Buffer> {
  const cache: ScryptKeyCache = new Map();
  const plain = Buffer.from(text, 'utf8');
  const ct = await sealAndVerify(plain, [new AsyncScryptRecipient(pass, logN, cache)], decrypterFor([new AsyncScryptIdentity(pass, { cache })]));
  return ct;
}


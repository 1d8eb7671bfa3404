// Export files of every format, built here from the published specs, never
// from the code under test: the Google payload from its .proto text (protobufjs' own parser), the
// JSON formats from their documented structure, and the encrypted ones from their KDF and cipher
// parameters on node:crypto. Nothing here imports src/.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  randomUUID,
  scryptSync,
} from 'node:crypto';
import protobuf from 'protobufjs';
import QRCode from 'qrcode';
import { base32 } from '../otp/reference.js';
import { prng } from '../../bench/prng.js';

export type FxType = 'totp' | 'hotp' | 'steam';
export type FxAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface FxAccount {
  issuer: string;
  label: string;
  type: FxType;
  algorithm: FxAlgorithm;
  digits: number;
  period: number;
  counter: number;
  key: Buffer;
}

const key = (seed: string, length = 20): Buffer => createHash('sha512').update(seed).digest().subarray(0, length);

/** KeePassXC's Steam vector secret: codes FR8RV at 1511200518, 9P3VP at 1511200714. */
export const STEAM_SECRET = '63BEDWCQZKTQWPESARIERL5DTTQFCJTK';
export const STEAM_VECTORS: [number, string][] = [
  [1511200518, 'FR8RV'],
  [1511200714, '9P3VP'],
];
const steamKey = (): Buffer => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of STEAM_SECRET) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
};

/** The accounts every fixture carries (or the part of them its format can hold). */
export const ACCOUNTS: FxAccount[] = [
  {
    issuer: 'GitHub',
    label: 'alice@example.com',
    type: 'totp',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: 0,
    key: key('github'),
  },
  {
    issuer: 'ACME Co',
    label: 'john.doe',
    type: 'totp',
    algorithm: 'SHA256',
    digits: 8,
    period: 60,
    counter: 0,
    key: key('acme', 32),
  },
  {
    issuer: 'Bank',
    label: 'savings',
    type: 'totp',
    algorithm: 'SHA512',
    digits: 7,
    period: 20,
    counter: 0,
    key: key('bank', 64),
  },
  { issuer: 'VPN', label: 'me', type: 'hotp', algorithm: 'SHA1', digits: 6, period: 30, counter: 5, key: key('vpn') },
  {
    issuer: 'Steam',
    label: 'gamer',
    type: 'steam',
    algorithm: 'SHA1',
    digits: 5,
    period: 30,
    counter: 0,
    key: steamKey(),
  },
  {
    issuer: 'Ünïcode Ltd',
    label: 'bob smith',
    type: 'totp',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: 0,
    key: key('unicode', 10),
  },
];

/** What Google Authenticator's payload can hold: no Steam, period 30, digits 6 or 8. */
export const GOOGLE_ACCOUNTS = ACCOUNTS.filter(
  (a) => a.type !== 'steam' && a.period === 30 && (a.digits === 6 || a.digits === 8),
).concat([
  {
    issuer: 'Shop',
    label: 'eight',
    type: 'totp',
    algorithm: 'SHA256',
    digits: 8,
    period: 30,
    counter: 0,
    key: key('shop'),
  },
]);
/** Raivo has TOTP and HOTP only. */
export const RAIVO_ACCOUNTS = ACCOUNTS.filter((a) => a.type !== 'steam');

export const b32 = (a: FxAccount): string => base32(a.key);

export function otpauthUri(a: FxAccount): string {
  const e = encodeURIComponent;
  const params = [`secret=${b32(a)}`, `issuer=${e(a.issuer)}`, `algorithm=${a.algorithm}`, `digits=${a.digits}`];
  params.push(a.type === 'hotp' ? `counter=${a.counter}` : `period=${a.period}`);
  return `otpauth://${a.type}/${e(a.issuer)}:${e(a.label)}?${params.join('&')}`;
}

// ---- Google Authenticator (Aegis' google_auth.proto) ----

export const GOOGLE_PROTO = `
syntax = "proto3";
message MigrationPayload {
  enum Algorithm { ALGORITHM_UNSPECIFIED = 0; ALGORITHM_SHA1 = 1; ALGORITHM_SHA256 = 2; ALGORITHM_SHA512 = 3; ALGORITHM_MD5 = 4; }
  enum DigitCount { DIGIT_COUNT_UNSPECIFIED = 0; DIGIT_COUNT_SIX = 1; DIGIT_COUNT_EIGHT = 2; }
  enum OtpType { OTP_TYPE_UNSPECIFIED = 0; OTP_TYPE_HOTP = 1; OTP_TYPE_TOTP = 2; }
  message OtpParameters {
    bytes secret = 1;
    string name = 2;
    string issuer = 3;
    Algorithm algorithm = 4;
    DigitCount digits = 5;
    OtpType type = 6;
    int64 counter = 7;
  }
  repeated OtpParameters otp_parameters = 1;
  int32 version = 2;
  int32 batch_size = 3;
  int32 batch_index = 4;
  int32 batch_id = 5;
}`;

export const MigrationPayload = protobuf.parse(GOOGLE_PROTO, { keepCase: true }).root.lookupType('MigrationPayload');

export interface GoogleParams {
  secret: Uint8Array;
  name: string;
  issuer: string;
  algorithm: number;
  digits: number;
  type: number;
  counter?: number;
}

export function googleParams(a: FxAccount): GoogleParams {
  return {
    secret: a.key,
    name: a.label,
    issuer: a.issuer,
    algorithm: { SHA1: 1, SHA256: 2, SHA512: 3 }[a.algorithm],
    digits: a.digits === 8 ? 2 : 1,
    type: a.type === 'hotp' ? 1 : 2,
    ...(a.type === 'hotp' ? { counter: a.counter } : {}),
  };
}

export function googlePayload(params: GoogleParams[], batch = { size: 1, index: 0, id: 0 }, version = 1): Uint8Array {
  return MigrationPayload.encode(
    MigrationPayload.fromObject({
      otp_parameters: params,
      version,
      batch_size: batch.size,
      batch_index: batch.index,
      batch_id: batch.id,
    }),
  ).finish();
}

export const migrationUri = (payload: Uint8Array): string =>
  `otpauth-migration://offline?data=${encodeURIComponent(Buffer.from(payload).toString('base64'))}`;

/** The accounts as Google exports them: `perCode` to a QR code, one batch id. */
export function googleExport(accounts: FxAccount[], perCode = 10, id = 123456789): string[] {
  const chunks: FxAccount[][] = [];
  for (let i = 0; i < accounts.length; i += perCode) chunks.push(accounts.slice(i, i + perCode));
  return chunks.map((c, index) => migrationUri(googlePayload(c.map(googleParams), { size: chunks.length, index, id })));
}

// ---- Aegis ----

function aegisEntry(a: FxAccount): Record<string, unknown> {
  const info: Record<string, unknown> = { secret: b32(a), algo: a.algorithm, digits: a.digits };
  if (a.type === 'hotp') info['counter'] = a.counter;
  else info['period'] = a.period;
  return {
    type: a.type,
    uuid: randomUUID(),
    name: a.label,
    issuer: a.issuer,
    note: '',
    favorite: false,
    icon: null,
    info,
    groups: [],
  };
}

export function aegisContent(accounts: FxAccount[], extra: unknown[] = []): Record<string, unknown> {
  return { version: 3, entries: [...accounts.map(aegisEntry), ...extra], groups: [] };
}

export function aegisPlain(accounts: FxAccount[], extra: unknown[] = []): string {
  return JSON.stringify(
    { version: 1, header: { slots: null, params: null }, db: aegisContent(accounts, extra) },
    null,
    4,
  );
}

function gcm(k: Buffer, plain: Buffer): { ct: Buffer; nonce: Buffer; tag: Buffer } {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', k, nonce);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { ct, nonce, tag: c.getAuthTag() };
}

/** scrypt N=32768 r=8 p=1 over a 32-byte salt wraps a random master key; the master key seals the content. */
export function aegisEncrypted(accounts: FxAccount[], password: string, params = { n: 32768, r: 8, p: 1 }): string {
  const master = randomBytes(32);
  const salt = randomBytes(32);
  const derived = scryptSync(password, salt, 32, { N: params.n, r: params.r, p: params.p, maxmem: 256 * 1024 * 1024 });
  const slot = gcm(derived, master);
  const db = gcm(master, Buffer.from(JSON.stringify(aegisContent(accounts))));
  return JSON.stringify({
    version: 1,
    header: {
      slots: [
        {
          type: 2,
          uuid: randomUUID(),
          key: randomBytes(32).toString('hex'),
          key_params: { nonce: randomBytes(12).toString('hex'), tag: randomBytes(16).toString('hex') },
        },
        {
          type: 1,
          uuid: randomUUID(),
          key: slot.ct.toString('hex'),
          key_params: { nonce: slot.nonce.toString('hex'), tag: slot.tag.toString('hex') },
          n: params.n,
          r: params.r,
          p: params.p,
          salt: salt.toString('hex'),
          repaired: true,
        },
      ],
      params: { nonce: db.nonce.toString('hex'), tag: db.tag.toString('hex') },
    },
    db: db.ct.toString('base64'),
  });
}

export interface AegisEntryDoc {
  type: string;
  uuid: string;
  name: string;
  issuer: string;
  info: Record<string, unknown>;
}

interface AegisSlotDoc {
  type: number;
  key: string;
  key_params: { nonce: string; tag: string };
  n: number;
  r: number;
  p: number;
  salt: string;
}

export interface AegisDoc {
  version: number;
  header: { slots: AegisSlotDoc[] | null; params: { nonce: string; tag: string } | null };
  db: { version: number; entries: AegisEntryDoc[] } | string;
}

/** An independent decryption of an Aegis export, per docs/vault.md (for checking our exporter). */
export function aegisDecrypt(text: string, password: string): { version: number; entries: AegisEntryDoc[] } {
  const doc = JSON.parse(text) as AegisDoc;
  for (const slot of (doc.header.slots ?? []).filter((s) => s.type === 1)) {
    const derived = scryptSync(password, Buffer.from(slot.salt, 'hex'), 32, {
      N: slot.n,
      r: slot.r,
      p: slot.p,
      maxmem: 256 * 1024 * 1024,
    });
    const d = (k: Buffer, nonce: string, tag: string, ct: Buffer) => {
      const x = createDecipheriv('aes-256-gcm', k, Buffer.from(nonce, 'hex'));
      x.setAuthTag(Buffer.from(tag, 'hex'));
      return Buffer.concat([x.update(ct), x.final()]);
    };
    const master = d(derived, slot.key_params.nonce, slot.key_params.tag, Buffer.from(slot.key, 'hex'));
    const params = doc.header.params!;
    return JSON.parse(
      d(master, params.nonce, params.tag, Buffer.from(doc.db as string, 'base64')).toString('utf8'),
    ) as { version: number; entries: AegisEntryDoc[] };
  }
  throw new Error('no password slot');
}

// ---- 2FAS (schema 4) ----

function twoFasService(a: FxAccount, i: number): Record<string, unknown> {
  const otp: Record<string, unknown> = {
    link: otpauthUri(a).replace('otpauth://totp/', a.type === 'steam' ? 'otpauth://steam/' : 'otpauth://totp/'),
    label: `${a.issuer}:${a.label}`,
    account: a.label,
    issuer: a.issuer,
    digits: a.digits,
    algorithm: a.algorithm,
    tokenType: a.type.toUpperCase(),
    source: 'Link',
  };
  if (a.type === 'hotp') otp['counter'] = a.counter;
  else otp['period'] = a.period;
  return {
    name: a.issuer,
    secret: b32(a),
    updatedAt: 1700000000000 + i,
    otp,
    order: { position: i },
    icon: { selected: 'Label', label: { text: 'XX', backgroundColor: 'Orange' } },
  };
}

const TWOFAS_TOP = {
  groups: [],
  updatedAt: 1700000000000,
  schemaVersion: 4,
  appVersionCode: 5000012,
  appVersionName: '5.0.1',
  appOrigin: 'android',
};

export function twoFasPlain(accounts: FxAccount[]): string {
  return JSON.stringify({ services: accounts.map(twoFasService), ...TWOFAS_TOP });
}

/** PBKDF2-HMAC-SHA256, 10 000 iterations, 256-byte salt, AES-256-GCM: `b64(ct‖tag):b64(salt):b64(iv)`. */
function twoFasSeal(password: string, plain: string): string {
  const salt = randomBytes(256);
  const iv = randomBytes(12);
  const k = pbkdf2Sync(password, salt, 10_000, 32, 'sha256');
  const c = createCipheriv('aes-256-gcm', k, iv);
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
  return `${ct.toString('base64')}:${salt.toString('base64')}:${iv.toString('base64')}`;
}

export function twoFasEncrypted(accounts: FxAccount[], password: string): string {
  return JSON.stringify({
    services: [],
    ...TWOFAS_TOP,
    servicesEncrypted: twoFasSeal(password, JSON.stringify(accounts.map(twoFasService))),
    reference: twoFasSeal(password, 'tRViSsLKzd8P6JHuYqVJcuU1bCP7gnBt0mMKxILsfz8'),
  });
}

// ---- andOTP ----

function andOtpEntry(a: FxAccount, old: boolean): Record<string, unknown> {
  const padded = b32(a).padEnd(Math.ceil(b32(a).length / 8) * 8, '=');
  const e: Record<string, unknown> = {
    secret: padded,
    label: old ? `${a.issuer} - ${a.label}` : a.label,
    digits: a.digits,
    type: a.type.toUpperCase(),
    algorithm: a.algorithm,
    thumbnail: 'Default',
    last_used: 1700000000000,
    used_frequency: 0,
    tags: [],
  };
  if (!old) e['issuer'] = a.issuer;
  if (a.type === 'hotp') e['counter'] = a.counter;
  else e['period'] = a.period;
  return e;
}

export const andOtpPlain = (accounts: FxAccount[], old = false): string =>
  JSON.stringify(accounts.map((a) => andOtpEntry(a, old)));

/** New format: `[int32 BE iterations][salt 12][nonce 12][ct][tag 16]`, PBKDF2-HMAC-SHA1 → AES-256-GCM. */
export function andOtpEncrypted(accounts: FxAccount[], password: string, iterations = 145_776): Buffer {
  const salt = randomBytes(12);
  const nonce = randomBytes(12);
  const k = pbkdf2Sync(password, salt, iterations, 32, 'sha1');
  const c = createCipheriv('aes-256-gcm', k, nonce);
  const ct = Buffer.concat([c.update(andOtpPlain(accounts), 'utf8'), c.final()]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(iterations);
  return Buffer.concat([head, salt, nonce, ct, c.getAuthTag()]);
}

/** Old format: `[nonce 12][ct][tag 16]`, key = SHA-256(password). */
export function andOtpEncryptedOld(accounts: FxAccount[], password: string): Buffer {
  const nonce = randomBytes(12);
  const k = createHash('sha256').update(password, 'utf8').digest();
  const c = createCipheriv('aes-256-gcm', k, nonce);
  const ct = Buffer.concat([c.update(andOtpPlain(accounts), 'utf8'), c.final()]);
  return Buffer.concat([nonce, ct, c.getAuthTag()]);
}

// ---- Bitwarden ----

/** login.totp as Bitwarden stores it: an otpauth URI, steam://BASE32, or a bare secret for plain 6/30 SHA1. */
function bitwardenTotp(a: FxAccount): string {
  if (a.type === 'steam') return `steam://${b32(a)}`;
  if (a.type === 'totp' && a.algorithm === 'SHA1' && a.digits === 6 && a.period === 30)
    return b32(a)
      .toLowerCase()
      .replace(/(.{4})/g, '$1 ')
      .trim();
  return otpauthUri(a);
}

export function bitwardenItems(accounts: FxAccount[]): Record<string, unknown>[] {
  return [
    ...accounts.map((a) => ({
      id: randomUUID(),
      organizationId: null,
      folderId: null,
      type: 1,
      reprompt: 0,
      name: a.issuer,
      notes: null,
      favorite: false,
      login: {
        uris: [{ match: null, uri: 'https://example.com' }],
        username: a.label,
        password: 'not-a-seed',
        totp: bitwardenTotp(a),
      },
      collectionIds: null,
    })),
    {
      id: randomUUID(),
      organizationId: null,
      folderId: null,
      type: 2,
      name: 'a secure note',
      notes: 'x',
      favorite: false,
      secureNote: { type: 0 },
    },
    { id: randomUUID(), type: 1, name: 'login without totp', login: { username: 'u', password: 'p', totp: null } },
  ];
}

export const bitwardenPlain = (accounts: FxAccount[]): string =>
  JSON.stringify({ encrypted: false, folders: [], items: bitwardenItems(accounts) }, null, 2);

/** The Bitwarden Authenticator app's export: otpauth URIs with the issuer inside. */
export const bitwardenAuthenticator = (accounts: FxAccount[]): string =>
  JSON.stringify({
    encrypted: false,
    items: accounts.map((a) => ({
      id: randomUUID(),
      name: a.issuer,
      folderId: null,
      organizationId: null,
      collectionIds: null,
      notes: null,
      type: 1,
      login: a.type === 'steam' ? { totp: `steam://${b32(a)}`, username: a.label } : { totp: otpauthUri(a) },
      favorite: false,
    })),
  });

/**
 * Password-protected: PBKDF2-SHA256(password, salt text) → HKDF-Expand "enc"/"mac" (one SHA-256
 * block each) → EncString `2.iv|ct|mac`, AES-256-CBC with HMAC-SHA256 over iv‖ct.
 */
export function bitwardenProtected(accounts: FxAccount[], password: string, iterations = 5000): string {
  const salt = randomBytes(16).toString('base64');
  const master = pbkdf2Sync(password, Buffer.from(salt, 'utf8'), iterations, 32, 'sha256');
  const enc = createHmac('sha256', master).update('enc\x01').digest();
  const mac = createHmac('sha256', master).update('mac\x01').digest();
  const encString = (plain: string): string => {
    const iv = randomBytes(16);
    const c = createCipheriv('aes-256-cbc', enc, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    const m = createHmac('sha256', mac).update(iv).update(ct).digest();
    return `2.${iv.toString('base64')}|${ct.toString('base64')}|${m.toString('base64')}`;
  };
  return JSON.stringify({
    encrypted: true,
    passwordProtected: true,
    salt,
    kdfType: 0,
    kdfIterations: iterations,
    encKeyValidation_DO_NOT_EDIT: encString(randomUUID()),
    data: encString(bitwardenPlain(accounts)),
  });
}

// ---- Raivo ----

export function raivoJson(accounts: FxAccount[]): string {
  return JSON.stringify(
    accounts.map((a) => ({
      pinned: 'false',
      iconValue: '',
      secret: b32(a),
      issuer: a.issuer,
      counter: String(a.counter),
      account: a.label,
      iconType: '',
      algorithm: a.algorithm,
      kind: a.type.toUpperCase(),
      digits: String(a.digits),
      timer: String(a.period),
    })),
  );
}

async function zipLib() {
  const zip = await import('@zip.js/zip.js/lib/zip-core-native.js');
  zip.configure({ useWebWorkers: false });
  return zip;
}

/** raivo-otp-export.zip: the JSON and an HTML page, password-protected (AES-256, or ZipCrypto). */
export async function raivoZip(
  accounts: FxAccount[],
  password: string | null,
  mode: 'aes' | 'zipcrypto' = 'aes',
): Promise<Buffer> {
  const zip = await zipLib();
  const options =
    password === null
      ? {}
      : mode === 'aes'
        ? { password, encryptionStrength: 3 as const }
        : { password, zipCrypto: true };
  const w = new zip.ZipWriter(new zip.Uint8ArrayWriter(), options);
  await w.add('raivo-otp-export.json', new zip.TextReader(raivoJson(accounts)));
  await w.add('raivo-otp-export.html', new zip.TextReader('<html><body>QR codes</body></html>'));
  return Buffer.from(await w.close());
}

/** A ZIP whose JSON entry unpacks to `size` bytes of zeros (a bomb), optionally encrypted. */
export async function zipBomb(size: number, password: string | null = null): Promise<Buffer> {
  const zip = await zipLib();
  const w = new zip.ZipWriter(new zip.Uint8ArrayWriter(), password === null ? { level: 9 } : { password, level: 9 });
  await w.add('raivo-otp-export.json', new zip.Uint8ArrayReader(new Uint8Array(size)));
  return Buffer.from(await w.close());
}

// ---- QR images ----

export const qrPng = (text: string, scale = 4): Promise<Buffer> =>
  QRCode.toBuffer(text, { type: 'png', scale, errorCorrectionLevel: 'M', margin: 4 });

/** Deterministic pseudo-random bytes (mulberry32), for images and fuzz inputs. */
export function prngBytes(length: number, seed: number): Buffer {
  const rand = prng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 4294967296) & 0xff;
  return out;
}

/** A ZIP holding `n` small files (too many for a Raivo export). */
export async function zipMany(n: number): Promise<Buffer> {
  const zip = await zipLib();
  const w = new zip.ZipWriter(new zip.Uint8ArrayWriter());
  for (let i = 0; i < n; i++) await w.add(`f${i}.txt`, new zip.TextReader('x'));
  await w.add('raivo-otp-export.json', new zip.TextReader('[]'));
  return Buffer.from(await w.close());
}

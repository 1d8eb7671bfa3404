/**
 * The vault's plaintext: one JSON document, validated once per read.
 *
 * The reference schema is zod (payload-schema.ts). It is loaded only when the plain checks below
 * do not recognise a document: zod's bundle costs more to load than a whole `totp-mcp code` may
 * take, and a well-formed vault never needs it. Errors never echo a value from the document (a
 * value may be a seed): they name the path (`accounts[12].digits`) and a fixed reason only.
 */
import { TotpMcpError } from '../core/errors.js';
import {
  ALGORITHMS,
  ID_PATTERN,
  MAX_DIGITS,
  MAX_PERIOD,
  MIN_DIGITS,
  OTP_TYPES,
  TAG_PATTERN,
  type Account,
} from '../core/model.js';
import { Redacted } from '../core/redacted.js';

export const PAYLOAD_VERSION = 1;

export interface PolicyPin {
  sha256: string;
  applied_at: string;
  /** The validated policy as JSON (policy/compiled.ts), so agents need not parse YAML. */
  compiled?: Record<string, unknown> | undefined;
}

/** The last audit head a vault write saw in one home's trail (app/trail.ts). */
export interface Anchor {
  seq: number;
  mac: string;
}

export interface Payload {
  version: 1;
  accounts: Account[];
  policy_pin: PolicyPin | null;
  /** base64 of 32 random bytes: the audit log's MAC key. */
  audit_key: Redacted;
  created_at: string;
  updated_at: string;
  /**
   * Incremented by every vault write (store.ts), never lowered: the audit trail records it, so a
   * vault older than the trail has seen is a rollback. Absent (0) in vaults written before it.
   */
  generation: number;
  /** Per home id (Vault.homeId): the audit head seen at the last write. Absent ({}) before. */
  anchors: Record<string, Anchor>;
}

/** Steam Guard codes are always 5 characters. */
export const STEAM_DIGITS = 5;
export const BASE32_CANONICAL = /^[A-Z2-7]+$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const AUDIT_KEY = /^[A-Za-z0-9+/]{43}=$/;
/** RFC 3339 date-time (what Date#toISOString writes, or with an offset). One regex for zod and the fast path. */
export const TIMESTAMP = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
export const MAX_TEXT = 256;
export const MAX_SECRET = 1024;
export const MAX_TAGS = 64;
/** A home id: lowercase letters, digits and '-' (never `__proto__` or another special key). */
export const HOME_ID = /^[a-z0-9-]{1,64}$/;
/** Most homes one vault remembers an anchor for. */
export const MAX_ANCHORS = 1024;

export const digitsOk = (type: string, digits: number): boolean =>
  type === 'steam' ? digits === STEAM_DIGITS : digits >= MIN_DIGITS && digits <= MAX_DIGITS;

const ACCOUNT_KEYS = new Set([
  'id', 'issuer', 'label', 'type', 'secret', 'algorithm', 'digits', 'period', 'counter', 'tags', 'aws', 'created_at', 'updated_at',
]);
const TYPES: ReadonlySet<unknown> = new Set(OTP_TYPES);
const ALGOS: ReadonlySet<unknown> = new Set(ALGORITHMS);
const isStr = (x: unknown): x is string => typeof x === 'string';

/**
 * zod alone, on a cold start, would break the budget for opening a vault of 10,000 accounts
 * (figures: bench/README.md). This plain check passes only accounts that
 * the schema accepts too (a property test holds it to that); anything it does not recognise goes
 * to zod, which decides and words the error.
 */
export function fastAccountOk(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || Object.getPrototypeOf(x) !== Object.prototype) return false;
  const a = x as Record<string, unknown>;
  let n = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k) || !ACCOUNT_KEYS.has(k)) return false;
    n++;
  }
  const aws = a['aws'];
  if (aws === undefined) {
    if (n !== (Object.hasOwn(a, 'aws') ? 13 : 12)) return false;
  } else {
    if (n !== 13 || typeof aws !== 'object' || aws === null || Array.isArray(aws)) return false;
    if (Object.getPrototypeOf(aws) !== Object.prototype) return false;
  }
  const { id, issuer, label, type, secret, algorithm, digits, period, counter, tags, created_at, updated_at } = a;
  if (!isStr(id) || !ID_PATTERN.test(id)) return false;
  if (!isStr(issuer) || issuer.length > MAX_TEXT || !isStr(label) || label.length > MAX_TEXT) return false;
  if (!TYPES.has(type) || !ALGOS.has(algorithm)) return false;
  if (!isStr(secret) || secret.length > MAX_SECRET || !BASE32_CANONICAL.test(secret)) return false;
  if (!Number.isSafeInteger(digits) || !digitsOk(type as string, digits as number)) return false;
  if (!Number.isSafeInteger(period) || (period as number) < 1 || (period as number) > MAX_PERIOD) return false;
  if (!Number.isSafeInteger(counter) || (counter as number) < 0) return false;
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) return false;
  for (const t of tags as unknown[]) if (!isStr(t) || !TAG_PATTERN.test(t)) return false;
  return isStr(created_at) && TIMESTAMP.test(created_at) && isStr(updated_at) && TIMESTAMP.test(updated_at);
}

/** Field names of the schema: the only names an error may show (an unknown key could be anything, a seed included). */
export const KNOWN_KEYS: ReadonlySet<unknown> = new Set([
  ...ACCOUNT_KEYS,
  'version',
  'accounts',
  'policy_pin',
  'audit_key',
  'sha256',
  'applied_at',
  'compiled',
  'generation',
  'anchors',
  'seq',
  'mac',
]);

function duplicateId(accounts: readonly { id: string }[]): string | null {
  const seen = new Set<string>();
  for (let i = 0; i < accounts.length; i++) {
    const id = (accounts[i] as { id: string }).id;
    if (seen.has(id)) return `accounts[${i}].id: duplicate account id`;
    seen.add(id);
  }
  return null;
}

const HEAD_KEYS = new Set(['version', 'policy_pin', 'audit_key', 'created_at', 'updated_at', 'accounts', 'generation', 'anchors']);
/** Keys a payload may lack (written by versions before them). */
const OPTIONAL_HEAD_KEYS = 2;
const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;

function anchorsOk(x: unknown): boolean {
  if (!isPlainObject(x)) return false;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || !HOME_ID.test(k) || ++n > MAX_ANCHORS) return false;
    const a = x[k];
    if (!isPlainObject(a) || Object.keys(a).length !== 2) return false;
    const { seq, mac } = a;
    if (!Number.isSafeInteger(seq) || (seq as number) < 0 || !isStr(mac) || !SHA256_HEX.test(mac)) return false;
  }
  return true;
}

/** Everything but the accounts' contents; accepts only what the schema accepts (a property test holds it to that). */
export function fastHeadOk(x: unknown): x is Record<string, unknown> & { accounts: unknown[] } {
  if (!isPlainObject(x)) return false;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || !HEAD_KEYS.has(k)) return false;
    n++;
  }
  const { version, policy_pin, audit_key, created_at, updated_at, accounts, generation, anchors } = x;
  if (n !== HEAD_KEYS.size - OPTIONAL_HEAD_KEYS + (generation === undefined ? 0 : 1) + (anchors === undefined ? 0 : 1)) return false;
  if (version !== PAYLOAD_VERSION || !Array.isArray(accounts)) return false;
  if (generation !== undefined && !(Number.isSafeInteger(generation) && (generation as number) >= 0)) return false;
  if (anchors !== undefined && !anchorsOk(anchors)) return false;
  if (!isStr(audit_key) || !AUDIT_KEY.test(audit_key)) return false;
  if (!isStr(created_at) || !TIMESTAMP.test(created_at) || !isStr(updated_at) || !TIMESTAMP.test(updated_at)) return false;
  if (policy_pin === null) return true;
  if (!isPlainObject(policy_pin)) return false;
  const pinKeys = Object.keys(policy_pin).length;
  const { sha256, applied_at, compiled } = policy_pin;
  if (pinKeys !== (compiled === undefined ? 2 : 3) || !(compiled === undefined || isPlainObject(compiled))) return false;
  return isStr(sha256) && SHA256_HEX.test(sha256) && isStr(applied_at) && TIMESTAMP.test(applied_at);
}

const fastOk = (doc: unknown): doc is Record<string, unknown> & { accounts: unknown[] } => fastHeadOk(doc) && doc.accounts.every(fastAccountOk);

/** What is wrong with a plaintext payload object (never quoting a value), or null. */
async function problemOf(doc: unknown): Promise<string | null> {
  if (fastOk(doc)) return duplicateId(doc.accounts as { id: string }[]);
  const { validate } = await import('./payload-schema.js');
  const r = validate(doc);
  return r.ok ? duplicateId(r.payload.accounts) : r.problem;
}

/** Validates an object fresh from JSON.parse (ours to reuse: accepted accounts are converted in place). */
async function adopt(doc: unknown): Promise<Payload> {
  if (fastOk(doc)) {
    const dup = duplicateId(doc.accounts as { id: string }[]);
    if (dup !== null) throw corrupt(dup);
    for (const a of doc.accounts as Record<string, unknown>[]) a['secret'] = new Redacted(a['secret'] as string);
    const generation = (doc['generation'] as number | undefined) ?? 0;
    const anchors = (doc['anchors'] as Payload['anchors'] | undefined) ?? {};
    return { ...(doc as unknown as Payload), audit_key: new Redacted(doc['audit_key'] as string), generation, anchors };
  }
  const { validate } = await import('./payload-schema.js');
  const r = validate(doc);
  if (!r.ok) throw corrupt(r.problem);
  const dup = duplicateId(r.payload.accounts);
  if (dup !== null) throw corrupt(dup);
  return r.payload;
}

const corrupt = (problem: string): TotpMcpError => new TotpMcpError('vault_corrupt', `vault payload is invalid: ${problem}`);

function checkVersion(doc: unknown): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new TotpMcpError('vault_corrupt', 'vault payload is not a JSON object');
  }
  const v = (doc as { version?: unknown }).version;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > PAYLOAD_VERSION) {
    throw new TotpMcpError(
      'unsupported_version',
      `vault payload version ${v} is newer than this totp-mcp understands (${PAYLOAD_VERSION}): upgrade totp-mcp`,
    );
  }
  if (v !== PAYLOAD_VERSION) throw new TotpMcpError('vault_corrupt', 'vault payload has no valid version');
}

/** Parses and validates the vault's JSON. Secrets come out as Redacted. */
export async function parsePayload(json: string): Promise<Payload> {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    // V8's message quotes the text around the error: never pass it on.
    throw new TotpMcpError('vault_corrupt', 'vault payload is not valid JSON');
  }
  checkVersion(doc);
  return await adopt(doc);
}

interface PlainAccount {
  id: string;
  issuer: string;
  label: string;
  type: string;
  secret: string;
  algorithm: string;
  digits: number;
  period: number;
  counter: number;
  tags: string[];
  aws?: unknown;
  created_at: string;
  updated_at: string;
}

interface PlainPayload {
  version: number;
  created_at: string;
  updated_at: string;
  policy_pin: PolicyPin | null;
  audit_key: string;
  generation: number;
  anchors: Record<string, Anchor>;
  accounts: PlainAccount[];
}

/** Reveals a Redacted value; plain values pass (a mutator is TypeScript, but be safe at runtime). */
const open = (x: unknown): unknown => (x instanceof Redacted ? x.reveal() : x);

/** For free-form blocks (`aws`): JSON.stringify calls toJSON before a replacer sees the value, so look at the holder. */
function revealReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw: unknown = (this as Record<string, unknown>)[key];
  return raw instanceof Redacted ? raw.reveal() : value;
}

function toPlain(p: Payload): PlainPayload {
  const accounts = new Array<PlainAccount>(p.accounts.length);
  for (let i = 0; i < p.accounts.length; i++) {
    const a = p.accounts[i] as Account;
    const plain: PlainAccount = {
      id: a.id,
      issuer: a.issuer,
      label: a.label,
      type: a.type,
      secret: open(a.secret) as string,
      algorithm: a.algorithm,
      digits: a.digits,
      period: a.period,
      counter: a.counter,
      tags: a.tags,
      created_at: a.created_at,
      updated_at: a.updated_at,
    };
    if (a.aws !== undefined) plain.aws = JSON.parse(JSON.stringify(a.aws, revealReplacer)) as unknown;
    accounts[i] = plain;
  }
  return {
    version: p.version,
    created_at: p.created_at,
    updated_at: p.updated_at,
    policy_pin:
      p.policy_pin === null
        ? null
        : {
            sha256: p.policy_pin.sha256,
            applied_at: p.policy_pin.applied_at,
            ...(p.policy_pin.compiled !== undefined && { compiled: p.policy_pin.compiled }),
          },
    audit_key: open(p.audit_key) as string,
    generation: p.generation,
    anchors: Object.fromEntries(Object.entries(p.anchors).map(([k, a]) => [k, { seq: a.seq, mac: a.mac }])),
    accounts,
  };
}

/** Pretty at the top, one account per line: readable after `age -d`, and compact for 10,000 accounts. */
function format(p: PlainPayload): string {
  const head = [
    `  "version": ${JSON.stringify(p.version)}`,
    `  "created_at": ${JSON.stringify(p.created_at)}`,
    `  "updated_at": ${JSON.stringify(p.updated_at)}`,
    `  "policy_pin": ${JSON.stringify(p.policy_pin)}`,
    `  "audit_key": ${JSON.stringify(p.audit_key)}`,
    `  "generation": ${JSON.stringify(p.generation)}`,
    `  "anchors": ${JSON.stringify(p.anchors)}`,
  ];
  const lines = p.accounts.map((a) => `    ${JSON.stringify(a)}`);
  const accounts = lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n  ]`;
  return `{\n${head.join(',\n')},\n  "accounts": ${accounts}\n}\n`;
}

/** JSON text of the payload, secrets revealed. Does not validate (see `checkedSerialize`). */
export function serializePayload(p: Payload): string {
  return format(toPlain(p));
}

/**
 * Serialises after validating with the same schema as a read, so a write never produces a vault
 * that the next read refuses. Throws 'invalid' naming the field, never its value.
 */
export async function checkedSerialize(p: Payload): Promise<string> {
  const plain = toPlain(p);
  const problem = await problemOf(plain);
  if (problem !== null) throw new TotpMcpError('invalid', `refusing to write an invalid vault: ${problem}`);
  return format(plain);
}

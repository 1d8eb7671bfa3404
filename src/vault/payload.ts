/**
 * The vault's plaintext: one JSON document, validated once per read. Its fields are the table
 * `PAYLOAD` below (accounts: `ACCOUNT` in core/model.ts), from which the type, the validator and
 * the written form all come. Errors never echo a value from the document (a value may be a seed):
 * they name the path (`accounts[12].digits`) and a fixed reason only.
 */
import { TotpMcpError } from '../core/errors.js';
import { ACCOUNT, timestamp } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import {
  ShapeError,
  anyObject,
  array,
  convert,
  filled,
  int,
  nullable,
  object,
  oneOf,
  optional,
  plainOf,
  readShape,
  record,
  str,
  type Infer,
} from '../core/shape.js';
import { HEX64 } from '../core/vocab.js';

export const PAYLOAD_VERSION = 1;

/** A home id: lowercase letters, digits and '-' (never `__proto__` or another special key). */
const HOME_ID = /^[a-z0-9-]{1,64}$/;
/** Most homes one vault remembers an anchor for. */
const MAX_ANCHORS = 1024;

const POLICY_PIN = object({
  sha256: str({ re: HEX64 }),
  applied_at: timestamp,
  /** The validated policy as JSON (policy/compiled.ts), so agents need not parse YAML. */
  compiled: optional(anyObject),
});

/** The last audit head a vault write saw in one home's trail (app/trail.ts). */
const ANCHOR = object({ seq: int(0), mac: str({ re: HEX64 }) });

/** Table order is the order written to disk; `accounts` goes last, one per line (see `format`). */
const PAYLOAD = object(
  {
    version: oneOf([PAYLOAD_VERSION] as const),
    created_at: timestamp,
    updated_at: timestamp,
    policy_pin: nullable(POLICY_PIN),
    /** base64 of 32 random bytes: the audit log's MAC key. */
    audit_key: convert(
      str({ re: /^[A-Za-z0-9+/]{43}=$/ }),
      (s) => new Redacted(s),
      (r: Redacted) => (r instanceof Redacted ? r.reveal() : r),
    ),
    /**
     * Incremented by every vault write (store.ts), never lowered: the audit trail records it, so a
     * vault older than the trail has seen is a rollback. Absent (0) in vaults written before it.
     */
    generation: filled(int(0), () => 0),
    /** Per home id (Vault.homeId): the audit head seen at the last write. Absent ({}) before. */
    anchors: filled(record(HOME_ID, ANCHOR, MAX_ANCHORS), () => ({})),
    accounts: array(ACCOUNT),
  },
  (p) => {
    const seen = new Set<string>();
    for (let i = 0; i < p.accounts.length; i++) {
      const id = (p.accounts[i] as { id: string }).id;
      if (seen.has(id)) throw new ShapeError(['accounts', i, 'id'], 'duplicate account id');
      seen.add(id);
    }
  },
);

export type Anchor = Infer<typeof ANCHOR.fields>;
export type Payload = Infer<typeof PAYLOAD.fields>;
type PlainPayload = Record<keyof Payload, unknown> & { accounts: unknown[] };

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
export function parsePayload(json: string): Payload {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    // V8's message quotes the text around the error: never pass it on.
    throw new TotpMcpError('vault_corrupt', 'vault payload is not valid JSON');
  }
  checkVersion(doc);
  const r = readShape(PAYLOAD, doc);
  if (!r.ok) throw new TotpMcpError('vault_corrupt', `vault payload is invalid: ${r.error.describe()}`);
  return r.value;
}

/** Pretty at the top, one account per line: readable after `age -d`, and compact for 10,000 accounts. */
function format(p: PlainPayload): string {
  const head: string[] = [];
  for (const k of Object.keys(p)) if (k !== 'accounts') head.push(`  ${JSON.stringify(k)}: ${JSON.stringify(p[k as keyof Payload])}`);
  const lines = p.accounts.map((a) => `    ${JSON.stringify(a)}`);
  const accounts = lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n  ]`;
  return `{\n${head.join(',\n')},\n  "accounts": ${accounts}\n}\n`;
}

/** JSON text of the payload, secrets revealed. Does not validate (see `checkedSerialize`). */
export function serializePayload(p: Payload): string {
  return format(plainOf(PAYLOAD, p) as PlainPayload);
}

/**
 * Serialises after validating the written form with the same table as a read, so a write never
 * produces a vault that the next read refuses. Throws 'invalid' naming the field, never its value.
 */
export function checkedSerialize(p: Payload): string {
  const plain = plainOf(PAYLOAD, p) as PlainPayload;
  const r = readShape(PAYLOAD, plain);
  if (!r.ok) throw new TotpMcpError('invalid', `refusing to write an invalid vault: ${r.error.describe()}`);
  return format(plain);
}

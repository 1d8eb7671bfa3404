/**
 * The session cache on disk: `<state>/aws/<serial-hash>.sessions.age`, one per MFA serial, shared
 * by the CLI, credential_process, the container endpoint and the MCP server.
 *
 * Encryption: to the vault's recipients (recipients.txt), decrypted with the identity that
 * unlocked the vault. A passphrase-only vault has no recipients, and an scrypt-encrypted cache
 * would cost a second passphrase derivation (~1 s) on every read; such a vault keeps a random
 * X25519 identity inside its aws block instead (created by `aws setup`), and the cache is
 * encrypted to that: readable by exactly who can open the vault.
 *
 * Authentication: the recipients are public, so encryption alone proves nothing about who wrote
 * the file. The plaintext carries an HMAC under a key derived from the vault's audit key
 * (src/aws/cache-auth.ts); a file that does not verify is ignored like a damaged one, and its
 * sessions are fetched again from STS.
 *
 * A file that is missing, damaged, foreign, undecryptable or unauthenticated is ignored (and
 * rebuilt on the next mint): never a crash.
 */
import { join } from 'node:path';
import {
  authenticateCache,
  cacheMacKey,
  cachePathFor,
  parseCache,
  serializeCache,
  verifyCache,
  type AwsConfig,
  type CacheDoc,
  type CacheStore,
} from '../aws/index.js';
import { TotpMcpError, isTotpMcpError } from '../core/errors.js';
import { readFileNoFollow, writeFileAtomic } from '../core/fs.js';
import { recipientOf, sealToRecipients, unsealWithIdentities, type Vault } from '../vault/index.js';
import { auditKey } from './audit.js';
import type { AppContext } from './context.js';
import type { Coordinator } from '../fleet/coordinator.js';

export const awsStateDir = (ctx: AppContext): string => join(ctx.paths.state, 'aws');

async function decrypt(vault: Vault, config: AwsConfig, bytes: Buffer): Promise<Buffer> {
  return config.cache_identity ? unsealWithIdentities(bytes, [config.cache_identity]) : vault.unseal(bytes);
}

async function recipients(vault: Vault, config: AwsConfig): Promise<string[]> {
  if (config.cache_identity) return [await recipientOf(config.cache_identity)];
  const list = await vault.recipients();
  if (list.length === 0) {
    throw new TotpMcpError('invalid', 'this vault has no recipients to encrypt the AWS session cache to', {
      kind: 'not_configured',
      hint: 'run aws setup for the account again (a passphrase-only vault gets a cache key then)',
    });
  }
  return list;
}

/**
 * Where the sealed bytes live: the local file, or (fleet mode, issue 15) a blob in the coordinator
 * that expires with the last of its sessions. Either way only ciphertext leaves this process.
 */
interface CacheBytes {
  read(): Promise<Buffer>;
  write(ct: Uint8Array, doc: CacheDoc): Promise<void>;
}

const fileBytes = (path: string): CacheBytes => ({
  read: () => readFileNoFollow(path),
  write: (ct) => writeFileAtomic(path, ct, { overwrite: true }),
});

/** A blob without sessions (only the checked-keys fingerprint) is kept an hour. */
const EMPTY_CACHE_TTL_MS = 3_600_000;

const fleetBytes = (fleet: Coordinator, serial: string, now: () => number): CacheBytes => ({
  async read() {
    const b = await fleet.getBlob(`aws-cache\0${serial}`);
    if (b === null) throw new TotpMcpError('invalid', 'no session cache in the coordinator');
    return b;
  },
  async write(ct, doc) {
    const until = Math.max(now() + EMPTY_CACHE_TTL_MS, ...doc.sessions.map((s) => s.expires));
    await fleet.putBlob(`aws-cache\0${serial}`, ct, until);
  },
});

/** The encrypted cache of `config.mfa_serial`. `onIgnored` hears about a damaged file (for --debug). */
export function sessionCache(
  ctx: AppContext,
  config: AwsConfig,
  onIgnored?: (why: string) => void,
  fleet?: Coordinator | null,
): CacheStore {
  const path = cachePathFor(awsStateDir(ctx), config.mfa_serial);
  const where = fleet ? fleetBytes(fleet, config.mfa_serial, () => ctx.clock.now()) : fileBytes(path);
  let key: Promise<Buffer> | undefined;
  const macKey = (): Promise<Buffer> =>
    (key ??= ctx.vault().then(async (v) => cacheMacKey(auditKey(await v.read()).reveal())));
  return {
    async read(): Promise<CacheDoc | null> {
      let bytes: Buffer;
      try {
        bytes = await where.read();
      } catch (e) {
        // The coordinator unreachable is not a missing cache: fail closed, never mint past it.
        if (fleet && isTotpMcpError(e) && e.code === 'io') throw e;
        if (isTotpMcpError(e)) onIgnored?.(`${e.message}: ignored, it will be replaced`);
        return null;
      }
      let text: string;
      try {
        text = (await decrypt(await ctx.vault(), config, bytes)).toString('utf8');
      } catch {
        onIgnored?.('the session cache does not decrypt: ignored, it will be rebuilt');
        return null;
      }
      const checked = verifyCache(text, await macKey());
      if (!checked.ok) {
        onIgnored?.(
          checked.why === 'bad_mac'
            ? 'the session cache does not verify with this vault (forged, or written for another vault): ignored, sessions are fetched again'
            : 'the session cache is not authenticated by this vault (forged, or written by an older version): ignored, sessions are fetched again',
        );
        return null;
      }
      const doc = parseCache(checked.body, config.mfa_serial);
      if (doc === null) onIgnored?.('the session cache does not hold sessions for this device: ignored');
      return doc;
    },
    async write(doc: CacheDoc): Promise<void> {
      const text = authenticateCache(serializeCache(doc), await macKey());
      const ct = await sealToRecipients(Buffer.from(text, 'utf8'), await recipients(await ctx.vault(), config));
      await where.write(ct, doc);
    },
  };
}

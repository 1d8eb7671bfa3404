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
 * A file that is missing, damaged, foreign or undecryptable is ignored (and rebuilt on the next
 * mint): never a crash.
 */
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { cachePathFor, parseCache, serializeCache, type AwsConfig, type CacheDoc, type CacheStore } from '../aws/index.js';
import { TotpMcpError, isTotpMcpError } from '../core/errors.js';
import { readFileNoFollow } from '../core/safe-fs.js';
import { recipientOf, sealToRecipients, unsealWithIdentities, type Vault } from '../vault/index.js';
import type { AppContext } from './context.js';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

export const awsStateDir = (ctx: AppContext): string => join(ctx.paths.state, 'aws');

async function decrypt(vault: Vault, config: AwsConfig, bytes: Buffer): Promise<Buffer> {
  return config.cache_identity ? unsealWithIdentities(bytes, [config.cache_identity]) : vault.unseal(bytes);
}

async function recipients(vault: Vault, config: AwsConfig): Promise<string[]> {
  if (config.cache_identity) return [await recipientOf(config.cache_identity)];
  const list = await vault.recipients();
  if (list.length === 0) {
    throw new TotpMcpError('invalid', 'this vault has no recipients to encrypt the AWS session cache to', {
      hint: 'run aws setup for the account again (a passphrase-only vault gets a cache key then)',
    });
  }
  return list;
}

/** The encrypted cache of `config.mfa_serial`. `onIgnored` hears about a damaged file (for --debug). */
export function sessionCache(ctx: AppContext, config: AwsConfig, onIgnored?: (why: string) => void): CacheStore {
  const path = cachePathFor(awsStateDir(ctx), config.mfa_serial);
  return {
    async read(): Promise<CacheDoc | null> {
      let bytes: Buffer;
      try {
        bytes = await readFileNoFollow(path);
      } catch (e) {
        if (isTotpMcpError(e)) onIgnored?.(`${e.message}: ignored, it will be replaced`);
        return null;
      }
      try {
        const doc = parseCache((await decrypt(await ctx.vault(), config, bytes)).toString('utf8'), config.mfa_serial);
        if (doc === null) onIgnored?.('the session cache does not hold sessions for this device: ignored');
        return doc;
      } catch {
        onIgnored?.('the session cache does not decrypt: ignored, it will be rebuilt');
        return null;
      }
    },
    async write(doc: CacheDoc): Promise<void> {
      const ct = await sealToRecipients(Buffer.from(serializeCache(doc), 'utf8'), await recipients(await ctx.vault(), config));
      const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(ct);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await rename(tmp, path);
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw new TotpMcpError('io', `cannot write ${path}`, { cause: e });
      }
    },
  };
}

/**
 * The vault: one standard age file (`age -d -i identity.txt vault.age` prints the JSON payload),
 * unlocked by an identity file, a passphrase-encrypted identity, or a passphrase. The only module
 * that imports age-encryption.
 */
export { homePaths, type HomePaths } from './paths.js';
export { PAYLOAD_VERSION, parsePayload, serializePayload, type Payload } from './payload.js';
export {
  initVault,
  openVault,
  type InitMode,
  type InitOptions,
  type OpenOptions,
  type UnlockKind,
  type Vault,
} from './store.js';
export { DEFAULT_PASSPHRASE_TIMEOUT_MS, passphraseFromCommand, passphraseFromFile, PASSPHRASE_NEEDED, type PassphraseSource } from './passphrase.js';
export { inspectHome, type HomeReport, type PathReport } from './inspect.js';
export { DEFAULT_WORK_FACTOR, MAX_WORK_FACTOR } from './scrypt.js';
export { newSealIdentity, recipientOf, sealToRecipients, unsealWithIdentities } from './seal.js';
export { encryptBackup, type BackupTarget } from './backup.js';

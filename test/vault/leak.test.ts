/**
 * Leak canary: a recognisable seed, planted in the vault and pushed through every path (writes,
 * re-encryption, failed writes, damaged files, doctor), never appears in plaintext in any file of
 * the home folder, nor in any error message.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, describe, expect, test } from 'vitest';
import { initVault, inspectHome, openVault, serializePayload, type HomePaths } from '../../src/vault/index.js';
import { NOW, TEST_WORK_FACTOR, account, cleanupHomes, passphrase, tempHome } from './helpers.js';

const CANARY = 'LEAKCANARY7777QQQQZZZZ2222XXXX';
/**
 * Forms a careless writer might use: as is, lower case, the raw bytes as hex and base64, and
 * fragments (V8's JSON errors quote only ~10 characters around the fault).
 */
const FORMS = [
  CANARY,
  CANARY.toLowerCase(),
  Buffer.from(CANARY).toString('base64'),
  Buffer.from(CANARY).toString('hex'),
  'LEAKCANA',
  'leakcana',
  'Y7777QQQ',
  'ZZZZ2222',
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function expectNoLeakOnDisk(paths: HomePaths): number {
  const files = filesUnder(paths.home);
  for (const f of files) {
    const text = readFileSync(f).toString('latin1');
    for (const form of FORMS) expect({ file: f, leaked: text.includes(form) }).toEqual({ file: f, leaked: false });
  }
  return files.length;
}

const messages: string[] = [];
async function collect(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { hint?: string; cause?: unknown };
    messages.push(err.message, err.hint ?? '', String(err), inspect(err));
  }
}

afterAll(cleanupHomes);

describe('leak canary', () => {
  test.each(['identity', 'passphrase-identity', 'passphrase'] as const)('%s home: the seed is only ever ciphertext', async (kind) => {
    const paths = tempHome();
    const pw = 'canary passphrase';
    await initVault(paths, { kind }, { now: NOW, passphrase: passphrase(pw), workFactor: TEST_WORK_FACTOR });
    const vault = await openVault(paths, { passphrase: passphrase(pw) });
    await vault.update((p) => {
      p.accounts.push(account('canary', CANARY), account('other'));
    });
    // sanity: the canary really is in the vault (so the scan below can fail)
    expect((await vault.read()).accounts[0]?.secret.reveal()).toBe(CANARY);
    expect(serializePayload(await vault.read())).toContain(CANARY);

    for (let i = 0; i < 4; i++) {
      await vault.update((p) => {
        p.accounts[1]!.counter = i;
      });
    }
    if (kind !== 'passphrase') {
      const mate = await identityToRecipient(await generateX25519Identity());
      await vault.setRecipients([...(await vault.recipients()), mate]);
    }

    // failing writes whose data carries the canary
    await collect(
      vault.update((p) => {
        p.accounts[0]!.digits = 42;
      }),
    );
    await collect(
      vault.update((p) => {
        p.accounts.push(account('bad', CANARY.toLowerCase()));
      }),
    );
    await collect(
      vault.update((p) => {
        p.accounts.push(account('canary', CANARY));
      }),
    );
    await collect(
      vault.update((p) => {
        p.accounts[0]!.tags = [CANARY];
      }),
    );

    // a vault.age replaced by its own plaintext, and by damaged ciphertext
    const good = readFileSync(paths.vault);
    writeFileSync(paths.vault, serializePayload(await vault.read()));
    await collect(openVault(paths, { passphrase: passphrase(pw) }));
    await collect(vault.read());
    await collect(vault.update(() => undefined));
    const damaged = Buffer.from(good);
    damaged[damaged.length - 5] = (damaged[damaged.length - 5] as number) ^ 1;
    writeFileSync(paths.vault, damaged);
    await collect(vault.read());
    writeFileSync(paths.vault, good);

    // doctor's report
    messages.push(JSON.stringify(await inspectHome(paths)));

    const count = expectNoLeakOnDisk(paths);
    expect(count).toBeGreaterThanOrEqual(kind === 'passphrase' ? 4 : 6); // vault, backups, keys…
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) for (const form of FORMS) expect(m).not.toContain(form);
    messages.length = 0;
  });

  test('a vault whose JSON quotes the canary in odd places: errors still never show it', async () => {
    const paths = tempHome();
    const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
    const v = await openVault(paths, {});
    const base = JSON.parse(serializePayload(await v.read())) as Record<string, unknown>;
    const docs = [
      CANARY,
      `{"version":1,"${CANARY}":1`,
      JSON.stringify({ ...base, [CANARY]: true }),
      JSON.stringify({ ...base, created_at: CANARY }),
      JSON.stringify({ ...base, audit_key: CANARY }),
      JSON.stringify({ ...base, policy_pin: { sha256: CANARY, applied_at: CANARY } }),
      JSON.stringify({ ...base, accounts: [{ [CANARY]: CANARY }] }),
      JSON.stringify({ ...base, accounts: { [CANARY]: CANARY } }),
      JSON.stringify({ ...base, version: CANARY }),
    ];
    for (const text of docs) {
      const e = new Encrypter();
      e.addRecipient(recipient as string);
      writeFileSync(paths.vault, await e.encrypt(text));
      await collect(v.read());
    }
    expect(messages).toHaveLength(docs.length * 4);
    for (const m of messages) for (const form of FORMS) expect(m).not.toContain(form);
    messages.length = 0;
    // the identity decrypts what we planted (the files really held the canary)
    const d = new Decrypter();
    d.addIdentity(readFileSync(paths.identityTxt, 'utf8').split('\n')[2]!);
    expect(await d.decrypt(new Uint8Array(readFileSync(paths.vault)), 'text')).toContain(CANARY);
  });
});

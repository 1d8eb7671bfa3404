import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decrypter, Encrypter, generateHybridIdentity, generateX25519Identity, identityToRecipient, Stanza } from 'age-encryption';
import { afterAll, describe, expect, test } from 'vitest';
import {
  PASSPHRASE_NEEDED,
  initVault,
  openVault,
  serializePayload,
  type HomePaths,
  type Payload,
} from '../../src/vault/index.js';
import { newPayload } from '../../src/vault/store.js';
import { NOW, TEST_WORK_FACTOR, account, cleanupHomes, passphrase, tempHome } from './helpers.js';
import { rejection } from '../helpers/errors.js';

afterAll(cleanupHomes);

const mode = (p: string): number => statSync(p).mode & 0o777;
const bytesOf = (p: string): Buffer => readFileSync(p);

async function identityHome(): Promise<{ paths: HomePaths; recipient: string }> {
  const paths = tempHome();
  const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
  return { paths, recipient: recipient as string };
}

function identityKey(paths: HomePaths): string {
  return readFileSync(paths.identityTxt, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-')) as string;
}

async function decryptWith(key: string, file: string): Promise<string> {
  const d = new Decrypter();
  d.addIdentity(key);
  return d.decrypt(new Uint8Array(readFileSync(file)), 'text');
}

describe('initVault', () => {
  test('identity mode: private folder and files, age-keygen style identity, recipients.txt, empty payload', async () => {
    const { paths, recipient } = await identityHome();
    expect(mode(paths.home)).toBe(0o700);
    for (const f of [paths.vault, paths.identityTxt, paths.recipients]) expect(mode(f)).toBe(0o600);
    for (const d of [paths.state, paths.backups]) expect(mode(d)).toBe(0o700);
    const id = readFileSync(paths.identityTxt, 'utf8');
    expect(id).toMatch(/^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1\S+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    expect(id).toContain(`# public key: ${recipient}\n`);
    expect(await identityToRecipient(identityKey(paths))).toBe(recipient);
    expect(readFileSync(paths.recipients, 'utf8').split('\n').filter((l) => l.startsWith('age1'))).toEqual([recipient]);

    const vault = await openVault(paths, {});
    expect(vault.unlockKind).toBe('identity');
    const p = await vault.read();
    expect(p).toMatchObject({ version: 1, accounts: [], policy_pin: null, created_at: new Date(NOW).toISOString() });
    expect(Buffer.from(p.audit_key.reveal(), 'base64')).toHaveLength(32);
    expect(await vault.recipients()).toEqual([recipient]);
    expect(existsSync(paths.policy)).toBe(false); // policy is not the vault's business
  });

  test('refuses to overwrite an existing vault or key', async () => {
    const { paths } = await identityHome();
    const before = bytesOf(paths.vault);
    const e = await rejection(initVault(paths, { kind: 'identity' }, { now: NOW }));
    expect(e.code).toBe('conflict');
    expect(e.message).toContain('already exists');
    expect(bytesOf(paths.vault).equals(before)).toBe(true);

    const other = tempHome();
    await initVault(other, { kind: 'identity' }, { now: NOW });
    const { rmSync } = await import('node:fs');
    rmSync(other.vault);
    const keyBefore = readFileSync(other.identityTxt, 'utf8');
    expect((await rejection(initVault(other, { kind: 'identity' }, { now: NOW }))).code).toBe('conflict');
    expect(readFileSync(other.identityTxt, 'utf8')).toBe(keyBefore);
  });

  test('passphrase mode: a lone scrypt stanza at the chosen work factor, no identity, no recipients', async () => {
    const paths = tempHome();
    const ask = passphrase('pw one');
    const r = await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: ask, workFactor: TEST_WORK_FACTOR });
    expect(r.recipient).toBeNull();
    expect(ask.calls).toHaveLength(1);
    const lines = readFileSync(paths.vault, 'latin1').split('\n');
    expect(lines[0]).toBe('age-encryption.org/v1');
    expect(lines[1]).toMatch(new RegExp(`^-> scrypt [A-Za-z0-9+/]{22} ${TEST_WORK_FACTOR}$`));
    expect(lines[3]).toMatch(/^--- /);
    expect(existsSync(paths.identityTxt) || existsSync(paths.identityAge) || existsSync(paths.recipients)).toBe(false);
    const v = await openVault(paths, { passphrase: passphrase('pw one') });
    expect(v.unlockKind).toBe('passphrase');
    expect(await v.recipients()).toEqual([]);
    expect((await rejection(v.setRecipients(['age1x']))).code).toBe('invalid');
  });

  test('passphrase-identity mode: identity.age is armored and scrypt-encrypted; no identity.txt', async () => {
    const paths = tempHome();
    const r = await initVault(paths, { kind: 'passphrase-identity' }, { now: NOW, passphrase: passphrase('pw'), workFactor: TEST_WORK_FACTOR });
    const text = readFileSync(paths.identityAge, 'utf8');
    expect(text).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(text).not.toContain('AGE-SECRET-KEY');
    expect(mode(paths.identityAge)).toBe(0o600);
    expect(existsSync(paths.identityTxt)).toBe(false);
    const ask = passphrase('pw');
    const v = await openVault(paths, { passphrase: ask });
    expect(v.unlockKind).toBe('passphrase-identity');
    expect(ask.calls).toEqual([`Enter passphrase for identity file ${paths.identityAge}:`]);
    expect(await v.recipients()).toEqual([r.recipient]);
  });

  test('identity-file mode copies a plain identity file; a PQ identity works too', async () => {
    const paths = tempHome();
    const key = await generateHybridIdentity();
    const src = join(paths.home, '..', 'pq.txt');
    writeFileSync(src, `# my pq key\n${key}\n`);
    const r = await initVault(paths, { kind: 'identity-file', file: src }, { now: NOW });
    expect(r.recipient).toBe(await identityToRecipient(key));
    expect(r.recipient?.startsWith('age1pq1')).toBe(true);
    expect(readFileSync(paths.identityTxt, 'utf8')).toBe(readFileSync(src, 'utf8'));
    expect(mode(paths.identityTxt)).toBe(0o600);
    expect(readFileSync(paths.vault, 'latin1').split('\n')[1]).toMatch(/^-> mlkem768x25519 /);
    const v = await openVault(paths, {});
    await v.update((p) => {
      p.accounts.push(account('pq'));
    });
    const other = await identityToRecipient(await generateX25519Identity());
    const e = await rejection(v.setRecipients([r.recipient as string, other]));
    expect(e.message).toBe(
      "incompatible recipients: can't mix post-quantum and classic recipients, or the file would be vulnerable to quantum computers",
    );
    const pq2 = await identityToRecipient(await generateHybridIdentity());
    await v.setRecipients([r.recipient as string, pq2]);
    expect(await v.recipients()).toEqual([r.recipient, pq2]);
  });

  test('rejects a bad work factor, a missing or empty passphrase, a non-identity file', async () => {
    const paths = tempHome();
    expect((await rejection(initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('x'), workFactor: 21 }))).code).toBe(
      'usage',
    );
    const missing = await rejection(initVault(paths, { kind: 'passphrase' }, { now: NOW }));
    expect([missing.code, missing.message]).toEqual(['vault_locked', PASSPHRASE_NEEDED]);
    expect((await rejection(initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('') }))).message).toMatch(/empty/);
    const junk = join(paths.home, '..', 'junk.txt');
    writeFileSync(junk, 'AGE-SECRET-KEY-1NOTAKEY\n');
    const bad = await rejection(initVault(paths, { kind: 'identity-file', file: junk }, { now: NOW }));
    expect(bad.code).toBe('vault_locked'); // an identity that is not a key: exit 4 (issue 18, item 10)
    expect(bad.message).not.toContain('NOTAKEY'); // never echo a key line
    expect(existsSync(paths.vault)).toBe(false);
  });
});

describe('openVault', () => {
  test('no vault → not_found with a hint', async () => {
    const paths = tempHome();
    const e = await rejection(openVault(paths, {}));
    expect(e.code).toBe('not_found');
    expect(e.message).toBe(`no vault at ${paths.vault}`);
    expect(e.hint).toBe('run totp-mcp init');
  });

  test('passphrase needed but no source → vault_locked with the guidance message; the source is asked once', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('pw'), workFactor: TEST_WORK_FACTOR });
    const e = await rejection(openVault(paths, {}));
    expect([e.code, e.message, e.exitCode]).toEqual(['vault_locked', PASSPHRASE_NEEDED, 4]);
    const ask = passphrase('pw');
    const v = await openVault(paths, { passphrase: ask });
    await v.read();
    await v.update(() => undefined);
    await v.read();
    expect(ask.calls).toEqual([`Enter passphrase for ${paths.vault}:`]);
  });

  test('an identity vault never asks for a passphrase', async () => {
    const { paths } = await identityHome();
    const ask = passphrase('unused');
    await (await openVault(paths, { passphrase: ask })).read();
    expect(ask.calls).toEqual([]);
  });

  test('wrong passphrase / wrong identity / empty passphrase → vault_locked, without claiming certainty', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('right'), workFactor: TEST_WORK_FACTOR });
    const wrong = await rejection(openVault(paths, { passphrase: passphrase('wrong') }));
    expect(wrong.code).toBe('vault_locked');
    expect(wrong.message).toMatch(/wrong passphrase, or/);
    expect((await rejection(openVault(paths, { passphrase: passphrase('') }))).message).toMatch(/empty/);

    const { paths: p2 } = await identityHome();
    const stranger = join(p2.home, '..', 'stranger.txt');
    writeFileSync(stranger, `${await generateX25519Identity()}\n`);
    const e = await rejection(openVault(p2, { identityFile: stranger }));
    expect(e.code).toBe('vault_locked');
    expect(e.message).toContain(stranger);
    expect(e.message).toMatch(/matches none of its recipients/);

    const pid = tempHome();
    await initVault(pid, { kind: 'passphrase-identity' }, { now: NOW, passphrase: passphrase('right'), workFactor: TEST_WORK_FACTOR });
    const e2 = await rejection(openVault(pid, { passphrase: passphrase('wrong') }));
    expect(e2.code).toBe('vault_locked');
    expect(e2.message).toContain(pid.identityAge);
  });

  test('an explicit identity file that does not exist → not_found; no identity at all → vault_locked', async () => {
    const { paths } = await identityHome();
    expect((await rejection(openVault(paths, { identityFile: join(paths.home, 'nope.txt') }))).code).toBe('vault_locked'); // exit 4: the identity named is wrong (issue 18, item 10)
    const { rmSync } = await import('node:fs');
    rmSync(paths.identityTxt);
    const e = await rejection(openVault(paths, {}));
    expect(e.code).toBe('vault_locked');
    expect(e.hint).toMatch(/--identity/);
  });

  test('a scrypt work factor above 20 is refused clearly, before any scrypt runs', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('pw'), workFactor: TEST_WORK_FACTOR });
    const e = new Encrypter();
    const salt = Buffer.from(randomBytes(16)).toString('base64').replace(/=+$/, '');
    e.addRecipient({ wrapFileKey: () => [new Stanza(['scrypt', salt, '22'], new Uint8Array(randomBytes(32)))] });
    writeFileSync(paths.vault, await e.encrypt('{}'));
    const started = performance.now();
    const err = await rejection(openVault(paths, { passphrase: passphrase('pw') }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('invalid');
    expect(err.message).toMatch(/work factor is 2\^22, above the limit of 2\^20/);
  });

  test('recipients.txt missing: recipients come from the identity and writes still work', async () => {
    const { paths, recipient } = await identityHome();
    const { rmSync } = await import('node:fs');
    rmSync(paths.recipients);
    const v = await openVault(paths, {});
    expect(await v.recipients()).toEqual([recipient]);
    await v.update((p) => {
      p.accounts.push(account('a'));
    });
    expect(await decryptWith(identityKey(paths), paths.vault)).toContain('"id":"a"');
  });
});

describe('update', () => {
  test('returns mutate’s result, sets updated_at from the clock, keeps created_at', async () => {
    const { paths } = await identityHome();
    let t = NOW + 60_000;
    const v = await openVault(paths, { now: () => t });
    const n = await v.update((p) => {
      p.accounts.push(account('github'));
      return p.accounts.length;
    });
    expect(n).toBe(1);
    const p = await v.read();
    expect(p.updated_at).toBe(new Date(NOW + 60_000).toISOString());
    expect(p.created_at).toBe(new Date(NOW).toISOString());
    t += 1000;
    await v.update(async (q) => {
      await Promise.resolve();
      q.accounts[0]!.counter = 7;
    });
    expect((await v.read()).accounts[0]?.counter).toBe(7);
  });

  test('if mutate throws, or makes the payload invalid, nothing is written', async () => {
    const { paths } = await identityHome();
    const v = await openVault(paths, {});
    await v.update((p) => {
      p.accounts.push(account('keep'));
    });
    const before = bytesOf(paths.vault);
    const backups = readdirSync(paths.backups);
    await expect(
      v.update((p) => {
        p.accounts.length = 0;
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const e = await rejection(
      v.update((p) => {
        p.accounts[0]!.digits = 99;
      }),
    );
    expect(e.code).toBe('invalid');
    expect(e.message).toBe('refusing to write an invalid vault: accounts[0].digits: digits must be 6..10');
    const dup = await rejection(
      v.update((p) => {
        p.accounts.push(account('keep'));
      }),
    );
    expect(dup.message).toMatch(/accounts\[1\]\.id: duplicate account id/);
    expect(bytesOf(paths.vault).equals(before)).toBe(true);
    expect(readdirSync(paths.backups)).toEqual(backups);
    expect(readdirSync(paths.home).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await v.read()).accounts.map((a) => a.id)).toEqual(['keep']);
  });

  test('keeps 3 backup generations (sortable names, 0600), each a previous vault', async () => {
    const { paths } = await identityHome();
    const v = await openVault(paths, {});
    const generations: Buffer[] = [bytesOf(paths.vault)];
    for (let i = 0; i < 5; i++) {
      await v.update((p) => {
        p.accounts.push(account(`acct-${i}`));
      });
      generations.push(bytesOf(paths.vault));
    }
    const names = readdirSync(paths.backups).sort();
    expect(names).toHaveLength(3);
    for (const n of names) expect(n).toMatch(/^vault-\d{8}-\d{8}T\d{6}Z\.age$/);
    const seqs = names.map((n) => Number(n.slice(6, 14)));
    expect(seqs).toEqual([3, 4, 5]); // name order is generation order
    const kept = names.map((n) => bytesOf(join(paths.backups, n)));
    // the three newest previous generations, oldest first
    expect(kept.map((b) => generations.findIndex((g) => g.equals(b)))).toEqual([2, 3, 4]);
    for (const n of names) expect(mode(join(paths.backups, n))).toBe(0o600);
    expect(mode(paths.vault)).toBe(0o600);
  });

  test('leftover temp files of crashed writers are ignored by reads and removed under the lock', async () => {
    const { paths } = await identityHome();
    const leftovers = [`vault.age.99999.0123456789ab.tmp`, `recipients.txt.4242.abcdefabcdef.tmp`];
    for (const n of leftovers) writeFileSync(join(paths.home, n), 'garbage from a crash');
    writeFileSync(join(paths.home, 'policy.yaml.tmp'), 'not ours');
    const v = await openVault(paths, {});
    expect((await v.read()).accounts).toEqual([]);
    await v.update(() => undefined);
    const names = readdirSync(paths.home);
    for (const n of leftovers) expect(names).not.toContain(n);
    expect(names).toContain('policy.yaml.tmp');
  });

  test('a stale lock left by a dead process does not block a write', async () => {
    const { paths } = await identityHome();
    writeFileSync(paths.lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), nonce: 'x', ts: 0 }));
    const v = await openVault(paths, {});
    await v.update((p) => {
      p.accounts.push(account('after-crash'));
    });
    expect(existsSync(paths.lock)).toBe(false);
  });

  test('refuses to overwrite a vault that no longer decrypts with the unlocked key', async () => {
    const { paths } = await identityHome();
    const v = await openVault(paths, {});
    // someone re-encrypts the vault to a key we do not hold
    const e = new Encrypter();
    e.addRecipient(await identityToRecipient(await generateX25519Identity()));
    writeFileSync(paths.vault, await e.encrypt(serializePayload(newPayload(NOW))));
    const foreign = bytesOf(paths.vault);
    let called = false;
    const err = await rejection(
      v.update(() => {
        called = true;
      }),
    );
    expect(err.code).toBe('vault_locked');
    expect(called).toBe(false);
    expect(bytesOf(paths.vault).equals(foreign)).toBe(true);
    expect(readdirSync(paths.backups)).toEqual([]);
  });

  test('refuses to write when recipients.txt no longer lists the vault’s own recipient', async () => {
    const { paths } = await identityHome();
    const v = await openVault(paths, {});
    writeFileSync(paths.recipients, `${await identityToRecipient(await generateX25519Identity())}\n`);
    const before = bytesOf(paths.vault);
    const e = await rejection(v.update(() => undefined));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/lock you out/);
    expect(bytesOf(paths.vault).equals(before)).toBe(true);
  });

  test('20 concurrent updates (two Vault objects) all land', async () => {
    const { paths } = await identityHome();
    const a = await openVault(paths, {});
    const b = await openVault(paths, {});
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).update((p) => {
          p.accounts.push(account(`c-${i}`));
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const ids = (await a.read()).accounts.map((x) => x.id).sort();
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `c-${i}`).sort());
    expect(readdirSync(paths.backups)).toHaveLength(3);
    expect(existsSync(paths.lock)).toBe(false);
  });
});

describe('setRecipients', () => {
  test('re-encrypts to all (a second identity decrypts), keeps comments, leaves the payload unchanged', async () => {
    const { paths, recipient } = await identityHome();
    const v = await openVault(paths, {});
    await v.update((p) => {
      p.accounts.push(account('team'));
    });
    writeFileSync(paths.recipients, `# our team\n\n# me, laptop\n${recipient}\n`);
    const before: Payload = await v.read();
    const mateKey = await generateX25519Identity();
    const mate = await identityToRecipient(mateKey);
    await v.setRecipients([recipient, ` ${mate} `, recipient]);
    expect(await v.recipients()).toEqual([recipient, mate]);
    expect(readFileSync(paths.recipients, 'utf8')).toBe(`# our team\n\n# me, laptop\n${recipient}\n${mate}\n`);
    expect(mode(paths.recipients)).toBe(0o600);
    const stanzas = readFileSync(paths.vault, 'latin1').split('\n').filter((l) => l.startsWith('-> '));
    expect(stanzas.map((s) => s.split(' ')[1])).toEqual(['X25519', 'X25519']);
    expect(await decryptWith(mateKey, paths.vault)).toContain('"id":"team"');
    expect(await decryptWith(identityKey(paths), paths.vault)).toContain('"id":"team"');
    const after = await v.read();
    // Only the generation moves: a re-encryption is a write (a rollback to the old recipients is seen).
    expect(after.generation).toBe(before.generation + 1);
    expect(serializePayload({ ...after, generation: before.generation })).toBe(serializePayload(before));
    expect(readdirSync(paths.backups)).toHaveLength(2);

    // and back: drop the teammate
    await v.setRecipients([recipient]);
    await expect(decryptWith(mateKey, paths.vault)).rejects.toThrow();
  });

  test('refuses mixing PQ and classic, dropping its own recipient, bad or secret keys, an empty list', async () => {
    const { paths, recipient } = await identityHome();
    const v = await openVault(paths, {});
    const vaultBefore = bytesOf(paths.vault);
    const recBefore = readFileSync(paths.recipients, 'utf8');
    const pq = await identityToRecipient(await generateHybridIdentity());
    const other = await identityToRecipient(await generateX25519Identity());

    const mix = await rejection(v.setRecipients([recipient, pq]));
    expect([mix.code, mix.message]).toEqual([
      'invalid',
      "incompatible recipients: can't mix post-quantum and classic recipients, or the file would be vulnerable to quantum computers",
    ]);
    const drop = await rejection(v.setRecipients([other]));
    expect(drop.code).toBe('conflict');
    expect(drop.message).toContain(recipient);
    const typo = await rejection(v.setRecipients([recipient, other.slice(0, -1) + (other.endsWith('q') ? 'p' : 'q')]));
    expect(typo.code).toBe('invalid');
    const secret = await generateX25519Identity();
    const leaked = await rejection(v.setRecipients([recipient, secret]));
    expect(leaked.message).toMatch(/secret key/);
    expect(leaked.message).not.toContain(secret.slice(16));
    expect((await rejection(v.setRecipients(['ssh-ed25519 AAAAC3Nza', recipient]))).code).toBe('invalid');
    expect((await rejection(v.setRecipients([' ', '']))).code).toBe('invalid');

    expect(bytesOf(paths.vault).equals(vaultBefore)).toBe(true);
    expect(readFileSync(paths.recipients, 'utf8')).toBe(recBefore);
  });
});

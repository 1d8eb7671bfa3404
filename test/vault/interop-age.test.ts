/**
 * Interop with the real Go age CLI (Debian's age 1.1.1), both ways: a person can always get their
 * secrets back without totp-mcp, and files made by age open here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { requireTool } from '../helpers/tools.js';
import { initVault, openVault, serializePayload } from '../../src/vault/index.js';
import { newPayload } from '../../src/vault/store.js';
import { NOW, TEST_WORK_FACTOR, account, cleanupHomes, passphrase, runOnPty, tempHome } from './helpers.js';

const haveAge = requireTool('age', 'age') && requireTool('age-keygen', 'age') && requireTool('python3', 'python3');
const PASS = 'correct horse battery staple';
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const ageDecrypt = (args: string[]): string => execFileSync('age', ['-d', ...args], { encoding: 'utf8' });

function keygen(dir: string, name: string): { file: string; recipient: string } {
  const file = join(dir, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'pipe' });
  const recipient = execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
  return { file, recipient };
}

afterAll(cleanupHomes);

describe.runIf(haveAge)('Go age CLI interop', () => {
  test('our identity vault decrypts with `age -d -i identity.txt vault.age` to the JSON payload', async () => {
    const paths = tempHome();
    const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    const vault = await openVault(paths, {});
    await vault.update((p) => {
      p.accounts.push(account('github', SECRET));
    });
    const doc = JSON.parse(ageDecrypt(['-i', paths.identityTxt, paths.vault])) as {
      version: number;
      accounts: { id: string; secret: string }[];
    };
    expect(doc.version).toBe(1);
    expect(doc.accounts).toEqual([expect.objectContaining({ id: 'github', secret: SECRET })]);
    // age reads our recipients file too: encrypt with -R, open with our code.
    const extra = join(paths.home, 'from-age.age');
    execFileSync('age', ['-R', paths.recipients, '-o', extra], { input: 'hello' });
    expect(ageDecrypt(['-i', paths.identityTxt, extra])).toBe('hello');
  });

  test('a payload encrypted by `age -r <our recipient>` (binary and armored) opens with openVault', async () => {
    const paths = tempHome();
    const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
    const p = newPayload(NOW);
    p.accounts.push(account('aws-prod', SECRET, { tags: ['work'] }));
    const json = join(paths.home, 'payload.json');
    writeFileSync(json, serializePayload(p));
    for (const armor of [[], ['-a']]) {
      execFileSync('age', [...armor, '-r', recipient as string, '-o', paths.vault + '.new', json]);
      execFileSync('mv', [paths.vault + '.new', paths.vault]);
      const read = await (await openVault(paths, {})).read();
      expect(read.accounts.map((a) => [a.id, a.secret.reveal(), a.tags])).toEqual([['aws-prod', SECRET, ['work']]]);
      expect(read.audit_key.reveal()).toBe(p.audit_key.reveal());
    }
  });

  test('an identity passphrase-encrypted by `age -p` (on a pty) unlocks our vault', async () => {
    const paths = tempHome();
    const dir = join(paths.home, '..');
    const key = keygen(dir, 'key.txt');
    const encrypted = join(dir, 'key.age');
    const made = runOnPty(PASS, ['age', '-p', '-a', '-o', encrypted, key.file]);
    expect(made.status, made.transcript).toBe(0);
    expect(readFileSync(encrypted, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);

    const ask = passphrase(PASS);
    const { recipient } = await initVault(paths, { kind: 'identity-file', file: encrypted }, { now: NOW, passphrase: ask });
    expect(recipient).toBe(key.recipient);
    expect(ask.calls).toHaveLength(1);

    const ask2 = passphrase(PASS);
    const vault = await openVault(paths, { passphrase: ask2 });
    expect(vault.unlockKind).toBe('passphrase-identity');
    await vault.update((p) => {
      p.accounts.push(account('bank', SECRET));
    });
    expect((await vault.read()).accounts[0]?.secret.reveal()).toBe(SECRET);
    expect(ask2.calls).toHaveLength(1); // unlock once per open
    // and age itself reads the vault with that identity
    expect(ageDecrypt(['-i', key.file, paths.vault])).toContain(SECRET);
  });

  test('our passphrase-encrypted identity.age decrypts our vault with `age -d -i identity.age` (pty)', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase-identity' }, { now: NOW, passphrase: passphrase(PASS), workFactor: TEST_WORK_FACTOR });
    const vault = await openVault(paths, { passphrase: passphrase(PASS) });
    await vault.update((p) => {
      p.accounts.push(account('mail', SECRET));
    });
    const out = join(paths.home, '..', 'out.json');
    const r = runOnPty(PASS, ['age', '-d', '-i', paths.identityAge, '-o', out, paths.vault]);
    expect(r.status, r.transcript).toBe(0);
    expect(r.transcript).toMatch(/Enter passphrase for identity file/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ version: 1, accounts: [{ id: 'mail', secret: SECRET }] });
  });

  test('our passphrase-only vault decrypts with `age -d` given the passphrase on a pty', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase(PASS), workFactor: TEST_WORK_FACTOR });
    const vault = await openVault(paths, { passphrase: passphrase(PASS) });
    await vault.update((p) => {
      p.accounts.push(account('forum', SECRET));
    });
    const out = join(paths.home, '..', 'out.json');
    const r = runOnPty(PASS, ['age', '-d', '-o', out, paths.vault]);
    expect(r.status, r.transcript).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ accounts: [{ id: 'forum', secret: SECRET }] });
    // a wrong passphrase is refused by age too (the test can tell the difference)
    const bad = runOnPty('wrong', ['age', '-d', '-o', out + '.bad', paths.vault]);
    expect(bad.status).not.toBe(0);
  });

  test('a passphrase-only vault made by `age -p` opens and stays readable by age after our write', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase(PASS), workFactor: TEST_WORK_FACTOR });
    const p = newPayload(NOW);
    p.accounts.push(account('legacy', SECRET));
    const json = join(paths.home, 'payload.json');
    writeFileSync(json, serializePayload(p));
    const made = runOnPty(PASS, ['age', '-p', '-o', paths.vault + '.new', json]);
    expect(made.status, made.transcript).toBe(0);
    execFileSync('mv', [paths.vault + '.new', paths.vault]);

    const vault = await openVault(paths, { passphrase: passphrase(PASS) });
    expect(vault.unlockKind).toBe('passphrase');
    expect((await vault.read()).accounts.map((a) => a.id)).toEqual(['legacy']);
    await vault.update((q) => {
      q.accounts.push(account('second', SECRET));
    });
    const out = join(paths.home, '..', 'out.json');
    const r = runOnPty(PASS, ['age', '-d', '-o', out, paths.vault]);
    expect(r.status, r.transcript).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { accounts: unknown[] }).accounts).toHaveLength(2);
  });

  test('setRecipients re-encrypts to a teammate made by age-keygen: `age -d -i teammate.txt` reads it', async () => {
    const paths = tempHome();
    const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
    const mate = keygen(join(paths.home, '..'), 'mate.txt');
    const vault = await openVault(paths, {});
    await vault.update((p) => {
      p.accounts.push(account('shared', SECRET));
    });
    await vault.setRecipients([recipient as string, mate.recipient]);
    expect(ageDecrypt(['-i', mate.file, paths.vault])).toContain(SECRET);
    expect(ageDecrypt(['-i', paths.identityTxt, paths.vault])).toContain(SECRET);
    // the teammate can open it with our code as well
    const theirs = await openVault(paths, { identityFile: mate.file });
    expect((await theirs.read()).accounts[0]?.id).toBe('shared');
  });
});

import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, describe, expect, test } from 'vitest';
import { homePaths, initVault, inspectHome, openVault, passphraseFromCommand, passphraseFromFile } from '../../src/vault/index.js';
import { NOW, TEST_WORK_FACTOR, account, cleanupHomes, passphrase, tempHome } from './helpers.js';
import { rejection } from '../helpers/errors.js';

afterAll(cleanupHomes);

describe('homePaths', () => {
  test('lays out the home folder', () => {
    expect(homePaths('/h')).toEqual({
      home: '/h',
      vault: '/h/vault.age',
      identityTxt: '/h/identity.txt',
      identityAge: '/h/identity.age',
      recipients: '/h/recipients.txt',
      policy: '/h/policy.yaml',
      state: '/h/state',
      backups: '/h/backups',
      lock: '/h/vault.lock',
    });
  });
});

describe('inspectHome', () => {
  test('a fresh identity home is clean', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'identity' }, { now: NOW });
    const r = await inspectHome(paths);
    expect(r.problems).toEqual([]);
    expect(r.identityKind).toBe('identity');
    expect(r.vaultHeader).toEqual({ armored: false, stanzas: ['X25519'], scryptWorkFactor: null });
    expect(r.recipientsCount).toBe(1);
    expect(r.backupCount).toBe(0);
    expect(r.leftoverTmp).toEqual([]);
    expect(r.lockHolder).toBeNull();
    expect([r.home.mode, r.vault.mode, r.identityTxt.mode, r.recipients.mode, r.state.mode]).toEqual(['0700', '0600', '0600', '0600', '0700']);
    expect(r.policy.exists).toBe(false);
  });

  test('flags open permissions, leftovers, a dead lock holder, bad recipients, a PQ/classic mix', async () => {
    const paths = tempHome();
    const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
    chmodSync(paths.identityTxt, 0o644);
    chmodSync(paths.home, 0o755);
    writeFileSync(join(paths.home, 'vault.age.123.0123456789ab.tmp'), 'x');
    writeFileSync(paths.lock, JSON.stringify({ pid: 2 ** 22 + 999, host: (await import('node:os')).hostname(), nonce: 'n', ts: 0 }));
    const pq = await identityToRecipient(await generateHybridIdentity());
    writeFileSync(paths.recipients, `${recipient}\n${pq}\nnot-a-recipient\n`);
    const r = await inspectHome(paths);
    expect(r.identityTxt.tooOpen).toBe(true);
    expect(r.home.tooOpen).toBe(true);
    expect(r.leftoverTmp).toEqual(['vault.age.123.0123456789ab.tmp']);
    expect(r.lockHolder).toMatchObject({ alive: false });
    expect(r.badRecipientLines).toEqual([3]);
    expect(r.recipientsMixPostQuantum).toBe(true);
    const all = r.problems.join('\n');
    for (const bit of ['identity.txt has mode 0644', 'has mode 0755', 'temp file', 'which is gone', 'line(s) 3', 'mixes post-quantum']) {
      expect(all).toContain(bit);
    }
  });

  test('a passphrase vault, a passphrase identity, a missing home, a damaged vault', async () => {
    const pv = tempHome();
    await initVault(pv, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('x'), workFactor: TEST_WORK_FACTOR });
    const a = await inspectHome(pv);
    expect([a.identityKind, a.vaultHeader, a.problems]).toEqual([
      'passphrase',
      { armored: false, stanzas: ['scrypt'], scryptWorkFactor: TEST_WORK_FACTOR },
      [],
    ]);

    const pi = tempHome();
    await initVault(pi, { kind: 'passphrase-identity' }, { now: NOW, passphrase: passphrase('x'), workFactor: TEST_WORK_FACTOR });
    const b = await inspectHome(pi);
    expect([b.identityKind, b.identityAgeIsPassphrase, b.problems]).toEqual(['passphrase-identity', true, []]);

    const none = await inspectHome(tempHome());
    expect(none.home.exists).toBe(false);
    expect(none.identityKind).toBe('none');
    expect(none.problems[0]).toMatch(/does not exist: run totp-mcp init/);

    writeFileSync(pv.vault, 'garbage');
    const c = await inspectHome(pv);
    expect(c.vaultHeader).toHaveProperty('error');
    expect(c.problems.join('\n')).toMatch(/damaged or not an age file/);
  });

  test('counts backups after writes', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'identity' }, { now: NOW });
    const v = await openVault(paths, {});
    for (let i = 0; i < 4; i++) await v.update((p) => void p.accounts.push(account(`a${i}`)));
    expect((await inspectHome(paths)).backupCount).toBe(3);
    // a missing recipients.txt is fine for an identity vault
    rmSync(paths.recipients);
    expect((await inspectHome(paths)).problems).toEqual([]);
  });
});

describe('passphraseFromFile', () => {
  const dir = (): string => {
    const d = join(tempHome().home, '..', 'pf');
    mkdirSync(d, { recursive: true });
    return d;
  };

  test('first line, line ending stripped; the rest of the file is ignored', async () => {
    const f = join(dir(), 'pass');
    writeFileSync(f, 'top secret\r\nsecond line\n', { mode: 0o600 });
    expect((await passphraseFromFile(f)).reveal()).toBe('top secret');
    writeFileSync(f, '  spaces kept  ');
    expect((await passphraseFromFile(f)).reveal()).toBe('  spaces kept  ');
  });

  test('refuses an empty passphrase and a missing file; warns about a readable one', async () => {
    const d = dir();
    const empty = join(d, 'empty');
    writeFileSync(empty, '\nsecond\n', { mode: 0o600 });
    expect((await rejection(passphraseFromFile(empty))).message).toMatch(/empty/);
    expect((await rejection(passphraseFromFile(join(d, 'missing')))).code).toBe('not_found');
    const open = join(d, 'open');
    writeFileSync(open, 'pw\n');
    chmodSync(open, 0o644);
    const warnings: string[] = [];
    expect((await passphraseFromFile(open, { onWarning: (m) => warnings.push(m) })).reveal()).toBe('pw');
    expect(warnings).toEqual([`passphrase file ${open} can be read by group or others (mode 0644): chmod 600 it`]);
  });
});

describe('passphraseFromCommand', () => {
  test('takes the first line of stdout', async () => {
    expect((await passphraseFromCommand("printf 'from keychain\\nignored\\n'; echo noise >&2")).reveal()).toBe('from keychain');
  });

  test('non-zero exit → vault_locked, without echoing anything the command printed', async () => {
    const e = await rejection(passphraseFromCommand('echo LEAKED-PASS; echo LEAKED-ERR >&2; exit 3'));
    expect([e.code, e.message]).toEqual(['vault_locked', 'the passphrase command (echo) exited with status 3']);
    expect(JSON.stringify(e) + String(e)).not.toMatch(/LEAKED/);
  });

  test('empty output, a closed stdin, a timeout', async () => {
    expect((await rejection(passphraseFromCommand('true'))).message).toMatch(/empty passphrase/);
    // stdin is closed, not inherited (on an MCP server stdin carries the protocol)
    expect((await rejection(passphraseFromCommand('cat'))).message).toMatch(/empty passphrase/);
    const started = Date.now();
    const e = await rejection(passphraseFromCommand('sleep 20', 300));
    expect(e.message).toBe('the passphrase command (sleep) timed out after 0.3s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('plugs into openVault as a PassphraseSource', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase('via command'), workFactor: TEST_WORK_FACTOR });
    const v = await openVault(paths, { passphrase: () => passphraseFromCommand("echo 'via command'") });
    expect(v.unlockKind).toBe('passphrase');
    await expect(openVault(paths, { passphrase: () => passphraseFromCommand('exit 1') })).rejects.toMatchObject({ code: 'vault_locked' });
  });
});

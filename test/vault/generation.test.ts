// Item 3 of issue 12 at the vault layer: a monotonic generation, written by every write; vaults
// from before it read as generation 0 and are upgraded on their next write; the home id.
import { readFileSync, writeFileSync } from 'node:fs';
import { Decrypter, Encrypter } from 'age-encryption';
import { afterAll, describe, expect, test } from 'vitest';
import { initVault, openVault } from '../../src/vault/index.js';
import { homeIdOf, PASSPHRASE_HOME_ID } from '../../src/vault/store.js';
import { NOW, TEST_WORK_FACTOR, account, cleanupHomes, passphrase, tempHome } from './helpers.js';

afterAll(cleanupHomes);

function identityKey(path: string): string {
  return readFileSync(path, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) as string;
}

describe('vault generation', () => {
  test('every write raises it by one (update and re-encryption), and the payload carries it', async () => {
    const paths = tempHome();
    const { recipient } = await initVault(paths, { kind: 'identity' }, { now: NOW });
    const v = await openVault(paths, {});
    expect((await v.read()).generation).toBe(0);
    await v.update((p) => {
      p.accounts.push(account('a'));
    });
    expect((await v.read()).generation).toBe(1);
    await v.update(() => undefined);
    expect((await v.read()).generation).toBe(2);
    await v.setRecipients([recipient as string]);
    expect((await v.read()).generation).toBe(3);
    expect(v.generationSeen).toBe(3);
    const d = new Decrypter();
    d.addIdentity(identityKey(paths.identityTxt));
    expect(await d.decrypt(new Uint8Array(readFileSync(paths.vault)), 'text')).toContain('"generation": 3');
  });

  test('a vault written before generations (no generation, no anchors) reads as 0 and is upgraded by its next write', async () => {
    const paths = tempHome();
    await initVault(paths, { kind: 'identity' }, { now: NOW });
    const key = identityKey(paths.identityTxt);
    const d = new Decrypter();
    d.addIdentity(key);
    const text = await d.decrypt(new Uint8Array(readFileSync(paths.vault)), 'text');
    const old = JSON.parse(text) as Record<string, unknown>;
    delete old['generation'];
    delete old['anchors'];
    const e = new Encrypter();
    e.addRecipient(readFileSync(paths.recipients, 'utf8').split('\n').find((l) => l.startsWith('age1')) as string);
    writeFileSync(paths.vault, await e.encrypt(JSON.stringify(old)));
    const v = await openVault(paths, {});
    const p = await v.read();
    expect([p.generation, p.anchors]).toEqual([0, {}]);
    await v.update(() => undefined);
    const back = JSON.parse(await d.decrypt(new Uint8Array(readFileSync(paths.vault)), 'text')) as Record<string, unknown>;
    expect(back['generation']).toBe(1);
    expect(back['anchors']).toEqual({});
  });

  test('a negative, fractional or non-number generation, or a malformed anchor, is refused', async () => {
    const { parsePayload, serializePayload } = await import('../../src/vault/payload.js');
    const { newPayload } = await import('../../src/vault/store.js');
    const base = JSON.parse(serializePayload(newPayload(NOW))) as Record<string, unknown>;
    for (const bad of [{ generation: -1 }, { generation: 1.5 }, { generation: '3' }, { anchors: { 'BAD ID': { seq: 1, mac: 'a'.repeat(64) } } }, { anchors: { 'id-1': { seq: -1, mac: 'a'.repeat(64) } } }, { anchors: { 'id-1': { seq: 1, mac: 'x' } } }]) {
      expect(() => parsePayload(JSON.stringify({ ...base, ...bad })), JSON.stringify(bad)).toThrow(/vault payload is invalid/);
    }
    const proto = JSON.stringify({ ...base, anchors: { x: { seq: 1, mac: 'a'.repeat(64) } } }).replace('"x":', '"__proto__":');
    // Refused (not a home id); either way no anchor can reach the prototype.
    let got: object = {};
    try {
      got = parsePayload(proto).anchors;
    } catch {
      // refused
    }
    expect(Object.hasOwn(got, '__proto__')).toBe(false);
    expect((got as Record<string, unknown>)['seq']).toBeUndefined();
    const ok = parsePayload(JSON.stringify({ ...base, generation: 7, anchors: { 'id-0123456789abcdef': { seq: 3, mac: 'a'.repeat(64) } } }));
    expect(ok.generation).toBe(7);
  });

  test('the home id comes from the identity (not the state folder); a passphrase-only vault has one fixed id', async () => {
    const a = tempHome();
    const { recipient } = await initVault(a, { kind: 'identity' }, { now: NOW });
    const va = await openVault(a, {});
    expect(va.homeId).toBe(homeIdOf(recipient as string));
    expect(va.homeId).toMatch(/^id-[0-9a-f]{16}$/);
    const b = tempHome();
    await initVault(b, { kind: 'identity' }, { now: NOW });
    expect((await openVault(b, {})).homeId).not.toBe(va.homeId);
    const c = tempHome();
    const pass = passphrase('correct horse battery staple');
    await initVault(c, { kind: 'passphrase' }, { now: NOW, passphrase: pass, workFactor: TEST_WORK_FACTOR });
    expect((await openVault(c, { passphrase: pass })).homeId).toBe(PASSPHRASE_HOME_ID);
  });
});

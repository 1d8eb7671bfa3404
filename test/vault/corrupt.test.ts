/**
 * Damaged vault files: every open/read fails with a clear TotpMcpError (never a crash, never
 * another error type, never a quoted value), and `update` refuses, leaving the file byte-identical.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Encrypter } from 'age-encryption';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TotpMcpError, type ErrorCode } from '../../src/core/errors.js';
import { initVault, openVault, serializePayload, type HomePaths, type Vault } from '../../src/vault/index.js';
import { newPayload } from '../../src/vault/store.js';
import { NOW, account, cleanupHomes, tempHome } from './helpers.js';

const CANARY = 'CANARYCANARYQQQQ77772222';

let paths: HomePaths;
let recipient: string;
let good: Buffer;
let unlocked: Vault;

beforeAll(async () => {
  paths = tempHome();
  recipient = (await initVault(paths, { kind: 'identity' }, { now: NOW })).recipient as string;
  unlocked = await openVault(paths, {});
  await unlocked.update((p) => {
    p.accounts.push(account('one', CANARY), account('two'), account('three', 'GEZDGNBVGY3TQOJQ', { type: 'hotp', counter: 3 }));
  });
  good = readFileSync(paths.vault);
});
afterAll(cleanupHomes);

async function encryptToUs(text: string | Uint8Array): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(text);
}

/** Installs `bytes` as vault.age and collects what open+read, read and update say. */
async function attempt(bytes: Uint8Array): Promise<{ errors: unknown[]; mutated: boolean; unchanged: boolean }> {
  writeFileSync(paths.vault, bytes);
  const errors: unknown[] = [];
  try {
    await (await openVault(paths, {})).read();
    errors.push(null);
  } catch (e) {
    errors.push(e);
  }
  try {
    await unlocked.read();
    errors.push(null);
  } catch (e) {
    errors.push(e);
  }
  let mutated = false;
  try {
    await unlocked.update((p) => {
      mutated = true;
      p.accounts.length = 0;
    });
    errors.push(null);
  } catch (e) {
    errors.push(e);
  }
  return { errors, mutated, unchanged: Buffer.from(bytes).equals(readFileSync(paths.vault)) };
}

function expectClear(errors: unknown[], allowed: readonly ErrorCode[]): void {
  for (const e of errors) {
    expect(e).toBeInstanceOf(TotpMcpError);
    const err = e as TotpMcpError;
    expect(allowed).toContain(err.code);
    expect(err.message).not.toContain(CANARY);
    expect(err.message).not.toMatch(/\n/);
  }
}

const DAMAGE: readonly ErrorCode[] = ['vault_corrupt', 'vault_locked'];

describe('corrupt and truncated vault files', () => {
  test('truncated at any offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: good.length - 1 }), async (n) => {
        const r = await attempt(good.subarray(0, n));
        expectClear(r.errors, DAMAGE);
        expect(r.mutated).toBe(false);
        expect(r.unchanged).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  test('truncated at every age STREAM boundary and the header end', async () => {
    const headerEnd = good.indexOf('\n---') + 1;
    const macEnd = good.indexOf(0x0a, headerEnd) + 1;
    for (const n of [0, 1, 22, headerEnd, macEnd - 1, macEnd, macEnd + 15, macEnd + 16, macEnd + 31, good.length - 16, good.length - 1]) {
      const r = await attempt(good.subarray(0, n));
      expectClear(r.errors, DAMAGE);
      expect(r.unchanged).toBe(true);
    }
  });

  test('a flipped byte anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const bad = Buffer.from(good);
        bad[i] = (bad[i] as number) ^ x;
        const r = await attempt(bad);
        expectClear(r.errors, DAMAGE);
        expect(r.mutated).toBe(false);
        expect(r.unchanged).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('appended bytes, and random garbage with or without the age magic line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.constantFrom('none', 'magic', 'append'),
        async (junk, how) => {
          const bytes =
            how === 'append'
              ? Buffer.concat([good, junk.length ? junk : new Uint8Array([0])])
              : how === 'magic'
                ? Buffer.concat([Buffer.from('age-encryption.org/v1\n'), junk])
                : junk;
          const r = await attempt(bytes);
          expectClear(r.errors, DAMAGE);
          expect(r.unchanged).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a plaintext payload in place of vault.age is refused without quoting it', async () => {
    const plain = serializePayload(await goodPayload());
    expect(plain).toContain(CANARY);
    const r = await attempt(Buffer.from(plain));
    expectClear(r.errors, ['vault_corrupt']);
    expect(r.unchanged).toBe(true);
  });

  test('well-encrypted but wrong payload JSON → vault_corrupt, values never quoted', async () => {
    const base = JSON.parse(serializePayload(await goodPayload())) as Record<string, unknown>;
    const fixed: string[] = [
      '',
      'not json',
      `{"version":1,"accounts":[{"id":"${CANARY}"`,
      'null',
      '[]',
      '"a string"',
      '{}',
      JSON.stringify({ ...base, version: 0 }),
      JSON.stringify({ ...base, version: '1' }),
      JSON.stringify({ ...base, accounts: [{ id: 'x', secret: CANARY.toLowerCase() }] }),
      JSON.stringify({ ...base, accounts: [{ ...(base['accounts'] as object[])[0], digits: CANARY }] }),
      JSON.stringify({ ...base, accounts: [{ ...(base['accounts'] as object[])[0], [CANARY]: 1 }] }),
      JSON.stringify({ ...base, [CANARY]: CANARY }),
      JSON.stringify({ ...base, audit_key: CANARY }),
      JSON.stringify({ ...base, accounts: [(base['accounts'] as object[])[0], (base['accounts'] as object[])[0]] }),
      '\uFFFD\u0000',
    ];
    for (const text of fixed) {
      const r = await attempt(await encryptToUs(text));
      expectClear(r.errors, ['vault_corrupt']);
      expect(r.unchanged).toBe(true);
    }
    // not UTF-8
    const r = await attempt(await encryptToUs(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    expectClear(r.errors, ['vault_corrupt']);
  });

  test('random JSON documents and random field damage → a clear error or, if still valid, a good read', async () => {
    const base = JSON.parse(serializePayload(await goodPayload())) as Record<string, unknown>;
    const field = fc.constantFrom('id', 'issuer', 'label', 'type', 'secret', 'algorithm', 'digits', 'period', 'counter', 'tags', 'aws', 'created_at', 'updated_at', 'extra');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), field, fc.boolean(), async (value, key, whole) => {
        let doc: unknown = value;
        if (!whole) {
          const accounts = structuredClone(base['accounts']) as Record<string, unknown>[];
          accounts[0]![key] = value;
          doc = { ...base, accounts };
        }
        const r = await attempt(await encryptToUs(JSON.stringify(doc)));
        for (const e of r.errors) if (e !== null) expectClear([e], ['vault_corrupt', 'unsupported_version']);
        if (r.errors[0] === null) expect(r.errors).toEqual([null, null, null]);
        else expect(r.unchanged).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  test('a newer payload version is refused as unsupported_version, with the upgrade message', async () => {
    for (const v of [2, 3, 1000]) {
      const text = serializePayload(newPayload(NOW)).replace('"version": 1,', `"version": ${v},`);
      expect(text).toContain(`"version": ${v},`);
      const r = await attempt(await encryptToUs(text));
      for (const e of r.errors) {
        expect(e).toBeInstanceOf(TotpMcpError);
        expect((e as TotpMcpError).code).toBe('unsupported_version');
        expect((e as TotpMcpError).message).toBe(
          `vault payload version ${v} is newer than this totp-mcp understands (1): upgrade totp-mcp`,
        );
      }
      expect(r.unchanged).toBe(true);
    }
  });

  test('after all that, the good file still reads (the harness itself is sound)', async () => {
    const r = await attempt(good);
    expect(r.errors).toEqual([null, null, null]);
    expect(r.mutated).toBe(true);
  });
});

async function goodPayload() {
  writeFileSync(paths.vault, good);
  return unlocked.read();
}

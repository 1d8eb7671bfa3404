/**
 * scrypt must not freeze the event loop: an MCP server answers pings while a passphrase unlocks.
 * The figure (longest gap ≤ 50 ms at the default work factor 18) is measured by
 * `npm run bench`; a test on two shared cores cannot hold an absolute time. So this test asserts
 * what separates a live loop from a blocked one whatever the load: timer ticks keep firing, and
 * no gap comes near the unlock's length (the control shows a blocking unlock is one long gap).
 */
import { readFileSync } from 'node:fs';
import { Decrypter } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_WORK_FACTOR, initVault, openVault, type HomePaths } from '../../src/vault/index.js';
import { NOW, cleanupHomes, passphrase, tempHome } from './helpers.js';

const PASS = 'event loop test passphrase';
const MAX_GAP_MS = 50;
/** Live: no gap longer than a quarter of the unlock, and ticks throughout. */
const live = (r: { gap: number; ticks: number; ms: number }): boolean => r.gap < r.ms / 4 && r.ticks >= 10;
const expectLive = (r: { gap: number; ticks: number; ms: number }): void => {
  expect({ ...r, live: live(r) }).toMatchObject({ live: true });
};

/** Runs `fn` while a 5 ms interval ticks; returns the longest gap between ticks (and around the run). */
async function longestGap(fn: () => Promise<unknown>): Promise<{ gap: number; ticks: number; ms: number }> {
  let last = performance.now();
  let gap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    gap = Math.max(gap, t - last);
    last = t;
    ticks++;
  }, 5);
  const start = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  gap = Math.max(gap, end - last);
  return { gap, ticks, ms: end - start };
}

/**
 * Up to 3 attempts, keeping the best: an unlock that blocks the loop fails every attempt (the block
 * is deterministic), while a busy machine (other test workers on two cores) only delays one.
 */
async function bestGap(fn: () => Promise<unknown>): Promise<{ gap: number; ticks: number; ms: number }> {
  let best = await longestGap(fn);
  for (let i = 1; i < 3 && !live(best); i++) {
    const r = await longestGap(fn);
    if (r.gap < best.gap) best = r;
  }
  return best;
}

afterAll(cleanupHomes);

describe('passphrase unlock keeps the event loop live', () => {
  let passphraseVault: HomePaths;
  let identityVault: HomePaths;

  beforeAll(async () => {
    passphraseVault = tempHome();
    identityVault = tempHome();
    // the default work factor, on purpose: this is the cost a real user pays
    await initVault(passphraseVault, { kind: 'passphrase' }, { now: NOW, passphrase: passphrase(PASS) });
    await initVault(identityVault, { kind: 'passphrase-identity' }, { now: NOW, passphrase: passphrase(PASS) });
  });

  test(`passphrase-only vault at logN ${DEFAULT_WORK_FACTOR}: open + read keeps the loop ticking`, async () => {
    const header = readFileSync(passphraseVault.vault, 'latin1').split('\n')[1] ?? '';
    expect(header).toMatch(new RegExp(`^-> scrypt \\S+ ${DEFAULT_WORK_FACTOR}$`));
    const r = await bestGap(async () => {
      const v = await openVault(passphraseVault, { passphrase: passphrase(PASS) });
      await v.read();
    });
    console.log(`passphrase vault unlock: ${r.ms.toFixed(0)} ms, ${r.ticks} ticks, longest gap ${r.gap.toFixed(1)} ms`);
    expect(r.ms).toBeGreaterThan(100); // scrypt really ran
    expectLive(r);
  });

  test(`passphrase-encrypted identity at logN ${DEFAULT_WORK_FACTOR}: open + update keeps the loop ticking`, async () => {
    const r = await bestGap(async () => {
      const v = await openVault(identityVault, { passphrase: passphrase(PASS) });
      await v.update(() => undefined);
    });
    console.log(`identity.age unlock + write: ${r.ms.toFixed(0)} ms, ${r.ticks} ticks, longest gap ${r.gap.toFixed(1)} ms`);
    expect(r.ms).toBeGreaterThan(100);
    expectLive(r);
  });

  test('a passphrase-only vault write (scrypt on encrypt, verify from the key cache) keeps the loop live', async () => {
    const v = await openVault(passphraseVault, { passphrase: passphrase(PASS) });
    const r = await bestGap(() => v.update(() => undefined));
    console.log(`passphrase vault write: ${r.ms.toFixed(0)} ms, longest gap ${r.gap.toFixed(1)} ms`);
    expectLive(r);
  });

  test('control: the same measurement catches a blocking unlock (typage’s synchronous scrypt)', async () => {
    const d = new Decrypter();
    d.addPassphrase(PASS);
    const bytes = new Uint8Array(readFileSync(passphraseVault.vault));
    const r = await bestGap(() => d.decrypt(bytes, 'text'));
    expect(r.gap).toBeGreaterThan(MAX_GAP_MS);
    expect(live(r)).toBe(false);
    expect(r.gap).toBeGreaterThan(r.ms * 0.8); // nearly the whole unlock was one blocked stretch
  });
});

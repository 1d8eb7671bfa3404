// The benchmarks' vaults: a home in a temporary folder, unlocked by an X25519 identity file, with n
// TOTP accounts acct-0 … acct-(n−1) that all share one well-known test seed; every tenth account
// carries `tag`. Built through the project's own vault code (dist/lib), as a user's would be.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lib = join(import.meta.dirname, '..', 'dist', 'lib');
const { homePaths, initVault, openVault } = await import(join(lib, 'vault', 'index.js'));
const { Redacted } = await import(join(lib, 'core', 'redacted.js'));

/** The well-known example seed ("Hello!\xDE\xAD\xBE\xEF", twice) that every bench account uses. */
export const BENCH_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

export function benchAccount(i, now, tag = 'ten') {
  return {
    id: `acct-${i}`,
    issuer: `Issuer ${i}`,
    label: `user${i}@example.com`,
    type: 'totp',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    counter: 0,
    secret: new Redacted(BENCH_SECRET),
    tags: i % 10 === 0 ? [tag] : [],
    created_at: now,
    updated_at: now,
  };
}

export async function makeHome(n, { prefix = 'totp-bench-', tag = 'ten' } = {}) {
  const home = join(mkdtempSync(join(tmpdir(), prefix)), 'home');
  const paths = homePaths(home);
  await initVault(paths, { kind: 'identity' }, { now: Date.now() });
  const vault = await openVault(paths, {});
  const now = new Date().toISOString();
  await vault.update((p) => {
    for (let i = 0; i < n; i++) p.accounts.push(benchAccount(i, now, tag));
  });
  return { home, paths };
}

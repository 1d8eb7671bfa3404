// Checks shared by the import tests: what landed in the vault (read in-process with the home's own
// identity), the codes it makes (against oathtool and the Steam vectors), and that a failed import
// changed nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Account } from '../../src/core/model.js';
import { generateCode } from '../../src/otp/index.js';
import { homePaths, openVault } from '../../src/vault/index.js';
import { base32ToBytes } from '../helpers/base32.js';
import { CANARY_SECRET, cli, tempDir, type Run } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { refSteam } from '../otp/reference.js';
import { b32, STEAM_VECTORS, type FxAccount } from './fixtures.js';

export const HAS_OATHTOOL = requireTool('oathtool', 'oathtool');

/** A fixed instant for code comparisons (seconds). */
export const AT = 1_700_000_000;

export function writeTemp(name: string, data: string | Uint8Array): string {
  const path = join(tempDir('totp-mcp-import-'), name);
  writeFileSync(path, data);
  return path;
}

export async function vaultAccounts(home: string): Promise<Account[]> {
  const v = await openVault(homePaths(home), {});
  return (await v.read()).accounts;
}

/** A snapshot of everything a write would change: the vault's bytes and its backup generations. */
export function snapshot(home: string): string {
  const backups = readdirSync(join(home, 'backups')).sort().join(',');
  return `${readFileSync(join(home, 'vault.age')).toString('base64')}|${backups}`;
}

/** Vault writes so far: backup generation names carry a sequence number that grows by one per write. */
export function writeCount(home: string): number {
  const seqs = readdirSync(join(home, 'backups')).map((n) => Number(/^vault-(\d+)-/.exec(n)?.[1] ?? 0));
  return Math.max(0, ...seqs);
}

export function importCli(home: string, source: string, args: string[] = [], input?: string): Run {
  return cli(home, ['import', source, ...args], input === undefined ? {} : { input });
}

const find = (accounts: Account[], a: FxAccount): Account | undefined =>
  accounts.find((x) => x.issuer === a.issuer && x.label === a.label);

/** Every fixture account is in the vault, with exactly its parameters and secret. */
export async function expectAccounts(home: string, expected: FxAccount[], exact = true): Promise<Account[]> {
  const accounts = await vaultAccounts(home);
  if (exact) expect(accounts.length).toBe(expected.length);
  for (const a of expected) {
    const got = find(accounts, a);
    expect(got, `${a.issuer} / ${a.label}`).toBeDefined();
    expect(
      { type: got!.type, algorithm: got!.algorithm, digits: got!.digits, period: got!.period, counter: got!.counter },
      a.issuer,
    ).toEqual({
      type: a.type,
      algorithm: a.type === 'steam' ? 'SHA1' : a.algorithm,
      digits: a.type === 'steam' ? 5 : a.digits,
      period: a.type === 'totp' || a.type === 'steam' ? a.period : 30,
      counter: a.type === 'hotp' ? a.counter : 0,
    });
    expect(got!.secret.reveal(), `${a.issuer} secret`).toBe(b32(a));
    expect(got!.id).toMatch(/^[a-z0-9][a-z0-9._:@+-]{0,63}$/);
  }
  return accounts;
}

function oathtool(a: FxAccount, atSeconds: number): string {
  const hex = a.key.toString('hex');
  const args =
    a.type === 'hotp'
      ? ['--hotp', '-d', String(a.digits), '-c', String(a.counter), hex]
      : [`--totp=${a.algorithm}`, '-d', String(a.digits), '-s', `${a.period}s`, '-N', `@${atSeconds}`, hex];
  return execFileSync('oathtool', args, { encoding: 'utf8' }).trim();
}

/** The vault's accounts make the same codes as oathtool (TOTP/HOTP) and the Steam vectors. */
export async function expectCodes(home: string, expected: FxAccount[]): Promise<void> {
  const accounts = await vaultAccounts(home);
  for (const a of expected) {
    const got = find(accounts, a)!;
    if (a.type === 'steam') {
      for (const [t, code] of STEAM_VECTORS) {
        if (a.key.equals(Buffer.from(STEAM_VECTORS_KEY))) expect(generateCode(got, t * 1000).code.reveal()).toBe(code);
      }
      expect(generateCode(got, AT * 1000).code.reveal()).toBe(refSteam(a.key, Math.floor(AT / 30)));
      continue;
    }
    if (!HAS_OATHTOOL) continue;
    expect(generateCode(got, AT * 1000).code.reveal(), `${a.issuer} code`).toBe(oathtool(a, AT));
  }
}

/** The Steam vector key (KeePassXC), to know when the vectors apply. */
const STEAM_VECTORS_KEY = (() => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of '63BEDWCQZKTQWPESARIERL5DTTQFCJTK') bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return bits.match(/.{8}/g)!.map((b) => parseInt(b, 2));
})();

/** One end-to-end `code --at` through the CLI, against oathtool. */
export function expectCliCode(home: string, id: string, a: FxAccount): void {
  const r = cli(home, ['code', id, '--at', String(AT), '--json']);
  expect(r.code, r.stderr).toBe(0);
  const code = (JSON.parse(r.stdout) as { code: string }).code;
  if (HAS_OATHTOOL && a.type === 'totp') expect(code).toBe(oathtool(a, AT));
}

/** A fixture account whose seed is the leak canary (test/helpers/cli.ts). */
export const CANARY_ACCOUNT: FxAccount = {
  issuer: 'Canary',
  label: 'canary',
  type: 'totp',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  counter: 0,
  key: Buffer.from(base32ToBytes(CANARY_SECRET)),
};

export { canaryForms, expectNoCanary } from '../helpers/canary.js';

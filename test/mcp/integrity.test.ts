// Issue 12, items 3 and 4, against a running MCP server (real stdio sessions): the vault rolled
// back from backups/ under a live server, and the state folder wiped under it.
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { call, connect, expectAllStdoutClean, homeWithPolicy, TEST_POLICY } from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

const POLICY = `${TEST_POLICY}  - id: bot-hotp
    agents: [bot]
    accounts: [vpn]
    actions: [code]
`;
const HOTP_URI = 'otpauth://hotp/Vpn:me?secret=JBSWY3DPEHPK3PXQ&counter=42';

describe('state integrity under a running server', () => {
  it('a vault rolled back under a live server is refused (vault_locked, both generations named) for every tool until accepted', async () => {
    const home = homeWithPolicy(POLICY, [['vpn', HOTP_URI]]);
    const c = await connect(home, { agent: 'bot' });
    let issued: { code: string; step: number };
    try {
      const first = await call(c, 'get_totp_code', { account: 'vpn' });
      expect(first.isError, first.text).toBe(false);
      issued = first.structured as { code: string; step: number };
      expect(issued.step).toBe(42);
      const older = readdirSync(join(home, 'backups')).sort().at(-1) as string;
      copyFileSync(join(home, 'backups', older), join(home, 'vault.age'));
      const again = await call(c, 'get_totp_code', { account: 'vpn' });
      expect(again.isError).toBe(true);
      expect(again.text).toMatch(
        /^vault_locked: the vault is older than its audit trail has seen \(vault generation \d+, the trail has seen generation \d+\)/,
      );
      expect(JSON.stringify(again)).not.toContain(issued.code);
      expect((await call(c, 'list_accounts')).text).toMatch(/^vault_locked: /);
      expect((await call(c, 'describe_access')).text).toMatch(/^vault_locked: /);
    } finally {
      await c.close();
    }
    expect(cli(home, ['vault', 'accept-rollback']).code).toBe(0);
    const c2 = await connect(home, { agent: 'bot' });
    try {
      const next = await call(c2, 'get_totp_code', { account: 'vpn' });
      expect(next.isError, next.text).toBe(false);
      expect((next.structured as { step: number }).step).toBe(43);
    } finally {
      await c2.close();
    }
  });

  it('the state folder wiped under a live server: a limited rule fails closed, nothing is released, the trail stays broken', async () => {
    const home = homeWithPolicy();
    const c = await connect(home, { agent: 'bot' });
    try {
      for (let i = 0; i < 5; i++) expect((await call(c, 'get_totp_code', { account: 'limited' })).isError).toBe(false);
      expect((await call(c, 'get_totp_code', { account: 'limited' })).text).toMatch(/^rate_limited: /);
      // (A writer's session lingers a few ms for the next event with its file open; a wipe within
      // that window loses what it writes then. Detection does not depend on it.)
      await new Promise((r) => setTimeout(r, 100));
      rmSync(join(home, 'state'), { recursive: true });
      const limited = await call(c, 'get_totp_code', { account: 'limited' });
      expect(limited.isError).toBe(true);
      expect(limited.text).toMatch(/^denied: the audit trail is broken: audit\.head is missing/);
      const other = await call(c, 'get_totp_code', { account: 'github:alice' });
      expect(other.isError, other.text).toBe(true); // the writer refuses to start a fresh chain: nothing without a record
      expect(other.structured).toBeUndefined();
    } finally {
      await c.close();
    }
    expect(cli(home, ['audit', 'verify']).code).toBe(1);
    expect(cli(home, ['doctor']).code).toBe(1);
  });
});

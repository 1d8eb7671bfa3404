// A home with accounts and an applied policy, shared by the CLI and MCP suites.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, newHome } from './cli.js';

export const TEST_POLICY = `version: 1
agents:
  bot: { description: a test agent }
  other: {}
rules:
  - id: no-bank
    effect: deny
    agents: ["*"]
    accounts: ["tag:bank"]
  - id: bot-github
    agents: [bot]
    accounts: ["github*"]
    actions: [list, code]
  - id: bot-limited
    agents: [bot]
    accounts: [limited]
    actions: [code]
    limit: { count: 5, per: 1h }
  - id: bot-confirm
    agents: [bot]
    accounts: [confirm]
    actions: [code]
    approval: confirm
    approval_via: [client]
`;

export const URI = 'otpauth://totp/X:y?secret=JBSWY3DPEHPK3PXP';

/** A home with github:alice, limited, confirm, bank (tag bank), github:bank (tag bank) and an applied policy. */
export function homeWithPolicy(policy = TEST_POLICY, extra: readonly (readonly [string, string])[] = []): string {
  const home = newHome();
  for (const [id, tags] of [
    ['github:alice', []],
    ['limited', []],
    ['confirm', []],
    ['bank', ['bank']],
    ['github:bank', ['bank']],
  ] as const) {
    const r = cli(home, ['add', id, '--uri', URI, ...tags.flatMap((t) => ['--tag', t])]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  for (const [id, uri] of extra) {
    const r = cli(home, ['add', id, '--uri', '-'], { input: uri });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  writePolicy(home, policy);
  return home;
}

/** Writes policy.yaml (0600) and applies it. */
export function writePolicy(home: string, policy: string): void {
  writeFileSync(join(home, 'policy.yaml'), policy, { mode: 0o600 });
  const r = cli(home, ['policy', 'apply']);
  if (r.code !== 0) throw new Error(r.stderr);
}

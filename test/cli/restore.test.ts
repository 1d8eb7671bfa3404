// Item 7 of issue 18: `restore [GENERATION]` lists backups/ (never a secret) and puts one back,
// asking first, keeping the current vault as a backup, audited, and refused where it rolls back
// past what the audit trail has seen unless the owner accepts it (then HOTP counters move past
// every counter already issued, by an agent or by the owner).
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { auditEvents, cli, cliEnv, type Run } from '../helpers/cli.js';
import { homeWithPolicy, TEST_POLICY } from '../helpers/policy.js';
import { runOnTerminal } from '../helpers/pty.js';

const HOTP_SECRET = 'JBSWY3DPEHPK3PXQ';
const HOTP_URI = `otpauth://hotp/Vpn:me?secret=${HOTP_SECRET}&counter=42`;
const POLICY = `${TEST_POLICY}  - id: bot-hotp
    agents: [bot]
    accounts: [vpn]
    actions: [code]
`;

interface Event {
  action: string;
  agent: string | null;
  decision: string;
  reason: string;
  gen?: number | null;
}
interface Listing {
  current: { generation: number; accounts: number };
  backups: {
    file: string;
    generation: number | null;
    written: string | null;
    accounts: number | null;
    error: string | null;
  }[];
}

const ok = (r: Run, what: string): Run => {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
};
const events = (home: string): Event[] => auditEvents<Event>(home);
const listing = (home: string): Listing =>
  JSON.parse(ok(cli(home, ['restore', '--json']), 'restore --json').stdout) as Listing;
const ids = (home: string): string[] =>
  (JSON.parse(cli(home, ['list', '--json']).stdout) as { id: string }[]).map((a) => a.id).sort();
const vaultBytes = (home: string): Buffer => readFileSync(join(home, 'vault.age'));

/** A home whose oldest kept backup lacks the HOTP account `later`, added after it. */
function homeWithHistory(): string {
  const home = homeWithPolicy(POLICY, [['vpn', HOTP_URI]]);
  ok(cli(home, ['add', 'later', '--uri', 'otpauth://totp/L:me?secret=GEZDGNBVGY3TQOJQ']), 'add later');
  return home;
}

describe('totp-mcp restore', () => {
  it('lists each backup with its generation, time and number of accounts, never a secret (text and --json)', () => {
    const home = homeWithHistory();
    const l = listing(home);
    expect(l.backups.length).toBeGreaterThan(0);
    expect(l.current.accounts).toBe(7);
    for (const b of l.backups) {
      expect(b.error).toBeNull();
      expect(b.generation).toBeLessThan(l.current.generation);
      expect(b.written).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(b.file).toMatch(/^vault-\d{8}-\d{8}T\d{6}Z\.age$/);
    }
    expect(l.backups.at(-1)).toMatchObject({ generation: l.current.generation - 1, accounts: 6 });
    const text = ok(cli(home, ['restore']), 'restore');
    expect(text.stdout).toMatch(/^current vault: generation \d+, written \S+, 7 account\(s\)\n/);
    expect(text.stdout).toMatch(/^GENERATION +WRITTEN +ACCOUNTS +FILE$/m);
    for (const out of [text.stdout, JSON.stringify(l)]) {
      expect(out).not.toContain(HOTP_SECRET);
      expect(out).not.toContain('JBSWY3DPEHPK3PXP');
      expect(out).not.toMatch(/AGE-SECRET-KEY/);
    }
  });

  it('off a terminal it needs --yes; a rollback past the audit trail is refused without --accept-rollback, and nothing changes', () => {
    const home = homeWithHistory();
    const before = vaultBytes(home);
    const older = listing(home).backups.at(-1)!;
    const noYes = cli(home, ['restore', String(older.generation)]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/add --yes/);
    const refused = cli(home, ['restore', String(older.generation), '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /older than what the audit trail has seen .*nothing was restored\n {2}hint: add --accept-rollback/,
    );
    expect(vaultBytes(home).equals(before)).toBe(true);
    expect(events(home).filter((e) => e.action === 'vault_restore')).toEqual([]);
    // Not a generation that is kept; not a number or a file name.
    expect(cli(home, ['restore', '999', '--yes']).code).toBe(1);
    expect(cli(home, ['restore', '../vault.age', '--yes']).code).toBe(2);
    expect(vaultBytes(home).equals(before)).toBe(true);
  });

  it('--accept-rollback restores, keeps the replaced vault as a backup, is audited, and no HOTP code is handed out again (agent or owner)', () => {
    const home = homeWithHistory();
    // Codes issued after every kept backup but the newest was written: by the agent (42), the owner (43).
    const agentCode = JSON.parse(ok(cli(home, ['code', 'vpn', '--agent', 'bot', '--json']), 'agent HOTP').stdout) as {
      code: string;
      step: number;
    };
    expect(agentCode.step).toBe(42);
    const ownerCode = JSON.parse(ok(cli(home, ['code', 'vpn', '--json']), 'owner HOTP').stdout) as {
      code: string;
      step: number;
    };
    expect(ownerCode.step).toBe(43);
    const replaced = vaultBytes(home);
    const l = listing(home);
    // The backup from before `later` was added (and before both codes).
    const target = l.backups.find((b) => b.accounts === 6)!;
    expect(target).toBeDefined();

    const r = ok(cli(home, ['restore', String(target.generation), '--yes', '--accept-rollback']), 'restore');
    expect(r.stdout).toMatch(
      new RegExp(
        `^restored generation ${target.generation} from ${target.file}; the vault it replaced \\(generation ${l.current.generation}\\) is kept in backups/`,
      ),
    );
    expect(r.stdout).toMatch(/accepted the rollback/);
    expect(r.stdout).toMatch(/vpn: HOTP counter moved forward to 44/);
    expect(ids(home)).not.toContain('later');
    // The replaced vault is one of the backups now, byte for byte.
    const kept = readdirSync(join(home, 'backups')).map((n) => readFileSync(join(home, 'backups', n)));
    expect(kept.some((b) => b.equals(replaced))).toBe(true);
    // Audited as owner events: the restore (with the generation it replaced), then the acceptance.
    const ev = events(home);
    const restore = ev.filter((e) => e.action === 'vault_restore');
    expect(restore).toEqual([
      expect.objectContaining({
        agent: null,
        decision: 'allow',
        reason: `to:${target.generation}`,
        gen: l.current.generation,
      }),
    ]);
    expect(ev.findIndex((e) => e.action === 'vault_accept_rollback')).toBeGreaterThan(
      ev.findIndex((e) => e.action === 'vault_restore'),
    );
    // Service goes on, past both issued counters.
    const next = JSON.parse(ok(cli(home, ['code', 'vpn', '--agent', 'bot', '--json']), 'agent HOTP after').stdout) as {
      code: string;
      step: number;
    };
    expect(next.step).toBe(44);
    expect([agentCode.code, ownerCode.code]).not.toContain(next.code);
    ok(cli(home, ['audit', 'verify']), 'verify');
    ok(cli(home, ['doctor']), 'doctor');
  });

  it('a broken audit trail is not papered over by restoring an older vault', () => {
    const home = homeWithHistory();
    ok(cli(home, ['code', 'vpn', '--agent', 'bot']), 'agent HOTP');
    const before = vaultBytes(home);
    const target = listing(home).backups[0]!;
    rmSync(join(home, 'state'), { recursive: true, force: true });
    const r = cli(home, ['restore', String(target.generation), '--yes', '--accept-rollback']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the audit trail is broken: .*nothing was restored/);
    expect(vaultBytes(home).equals(before)).toBe(true);
  });

  it("a trail cut back to before the current vault's anchor is not laundered by restoring a backup whose older anchor it still covers", () => {
    const home = homeWithHistory();
    const target = listing(home).backups.at(-1)!; // written before the events below: its anchor is older
    ok(cli(home, ['code', 'github:alice', '--agent', 'bot']), 'agent code 1');
    const snapshot = join(dirname(home), 'state-snapshot');
    cpSync(join(home, 'state'), snapshot, { recursive: true });
    ok(cli(home, ['code', 'github:alice', '--agent', 'bot']), 'agent code 2');
    ok(cli(home, ['code', 'github:alice', '--agent', 'bot']), 'agent code 3');
    ok(cli(home, ['tag', 'later', '+x']), 'a vault write: the vault now anchors the longer trail');
    // The attack: the trail cut back to the snapshot (events 2 and 3 gone).
    rmSync(join(home, 'state'), { recursive: true, force: true });
    cpSync(snapshot, join(home, 'state'), { recursive: true });
    expect(cli(home, ['audit', 'verify']).code).toBe(1);
    const before = vaultBytes(home);
    const r = cli(home, ['restore', String(target.generation), '--yes', '--accept-rollback']);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(
      /the audit trail is broken: the trail ends at event \d+ but the vault saw event \d+.*nothing was restored/,
    );
    expect(vaultBytes(home).equals(before)).toBe(true);
    expect(cli(home, ['audit', 'verify']).code).toBe(1);
  });

  it('on a terminal a rollback is refused before asking, not after', () => {
    const home = homeWithHistory();
    const target = listing(home).backups.at(-1)!;
    const r = runOnTerminal([process.execPath, CLI, 'restore', String(target.generation)], {
      env: cliEnv(home),
      cwd: dirname(home),
      answers: [[/Replace the vault/, 'y\r']],
      timeoutMs: 30_000,
    });
    expect(r.code, r.transcript).toBe(1);
    expect(r.transcript).toMatch(/restoring it is a rollback, nothing was restored/);
    expect(r.transcript).not.toMatch(/Replace the vault/);
  });

  it('on a terminal it asks first: no keeps the vault, yes restores it', () => {
    const home = homeWithHistory();
    const before = vaultBytes(home);
    const target = listing(home).backups.find((b) => b.accounts === 6)!;
    const run = (answer: string) =>
      runOnTerminal([process.execPath, CLI, 'restore', String(target.generation), '--accept-rollback'], {
        env: cliEnv(home),
        cwd: dirname(home),
        answers: [[/Replace the vault with backup generation/, answer]],
        timeoutMs: 30_000,
      });
    const no = run('n\r');
    expect(no.code, no.transcript).toBe(2);
    expect(no.transcript).toMatch(/not restored/);
    expect(vaultBytes(home).equals(before)).toBe(true);
    const yes = run('y\r');
    expect(yes.code, yes.transcript).toBe(0);
    expect(yes.transcript).toMatch(/restored generation/);
    expect(ids(home)).not.toContain('later');
  });
});

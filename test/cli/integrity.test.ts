// Issue 12, items 3 and 4, through the real CLI: a vault rolled back from backups/, an audit trail
// cut, forged or wiped, the owner's recorded ways back, a vault shared by a second home, and an
// older export re-imported over an HOTP counter. Each attack passed unnoticed before the fix.
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEvents, cli, newHome, tempDir, type Run } from '../helpers/cli.js';
import { homeWithPolicy, TEST_POLICY, writePolicy } from '../helpers/policy.js';
import { aegisPlain, type FxAccount } from '../import/fixtures.js';

interface Event {
  seq: number;
  agent: string | null;
  action: string;
  account: string | null;
  decision: string;
  reason: string;
  step: number | null;
  gen?: number | null;
  reset?: { seq: number; mac: string | null; reason: string };
}

const events = (home: string): Event[] => auditEvents<Event>(home);

const okRun = (r: Run, what: string): Run => {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
};

const HOTP_URI = 'otpauth://hotp/Vpn:me?secret=JBSWY3DPEHPK3PXQ&counter=42';
const LOOSE = `${TEST_POLICY}  - id: bot-hotp
    agents: [bot]
    accounts: [vpn]
    actions: [code]
`;
// The owner tightens it: the bot loses github.
const TIGHT = LOOSE.replace(/ {2}- id: bot-github\n(?: {4}.*\n)+/, '');

describe('rollback of the vault (issue 12, item 3)', () => {
  it('a backup copied over vault.age (with its older policy.yaml) is refused for agents, doctor and audit verify fail, the HOTP code is not issued again; vault accept-rollback restores service and is audited', () => {
    expect(TIGHT).not.toMatch(/bot-github/);
    const home = homeWithPolicy(LOOSE, [['vpn', HOTP_URI]]);
    const first = okRun(cli(home, ['code', 'vpn', '--agent', 'bot', '--json']), 'first HOTP code');
    const issued = JSON.parse(first.stdout) as { code: string; step: number };
    expect(issued.step).toBe(42);
    // The vault as it was just before that HOTP write (counter 42, the loose policy pinned).
    const backups = join(home, 'backups');
    const older = readdirSync(backups).sort().at(-1) as string;
    const loosePolicy = readFileSync(join(home, 'policy.yaml'));

    writePolicy(home, TIGHT);
    expect(cli(home, ['code', 'github:alice', '--agent', 'bot']).code).toBe(3);

    // The attack: the older vault and its matching policy file put back.
    copyFileSync(join(backups, older), join(home, 'vault.age'));
    writeFileSync(join(home, 'policy.yaml'), loosePolicy, { mode: 0o600 });

    const again = cli(home, ['code', 'vpn', '--agent', 'bot', '--json']);
    expect(again.code, again.stderr).toBe(4);
    expect(again.stdout).toBe('');
    const m = /vault generation (\d+), the trail has seen generation (\d+)/.exec(again.stderr);
    expect(m, again.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(Number(m![2]));
    expect(again.stderr).toMatch(/totp-mcp vault accept-rollback/);
    const github = cli(home, ['code', 'github:alice', '--agent', 'bot']);
    expect([github.code, github.stdout]).toEqual([4, '']);
    // Nor does the owner's own `code` hand out the rolled-back HOTP counter's code again.
    const owner = cli(home, ['code', 'vpn']);
    expect([owner.code, owner.stdout]).toEqual([4, '']);
    expect(owner.stderr).toMatch(/vault generation \d+, the trail has seen generation \d+/);

    const doctor = cli(home, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      /^FAIL {2}rollback {4}the vault is older than its audit trail has seen \(vault generation \d+, the trail has seen generation \d+\)/m,
    );
    const verify = cli(home, ['audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/FAILED: the vault is older than its audit trail has seen/);
    expect(
      events(home)
        .filter((e) => e.reason === 'vault_rollback')
        .map((e) => e.account),
    ).toEqual(['vpn', 'github:alice']);

    // An ordinary write would raise the older vault's generation towards the trail's and could
    // hide the rollback: it is refused until the owner accepts it.
    const tag = cli(home, ['tag', 'github:alice', '+x']);
    expect(tag.code).toBe(4);
    expect(tag.stderr).toMatch(/the vault is older than its audit trail has seen .*: nothing is written to it/);

    // The owner's explicit, recorded way back. The HOTP counter moves past the one issued.
    const accept = okRun(cli(home, ['vault', 'accept-rollback']), 'accept-rollback');
    expect(accept.stdout).toMatch(
      /^accepted: the vault \(generation \d+\) is kept although the audit trail had seen generation \d+/,
    );
    expect(accept.stdout).toMatch(/vpn: HOTP counter moved forward to 43/);
    const accepted = events(home).filter((e) => e.action === 'vault_accept_rollback');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ agent: null, decision: 'allow' });
    const next = JSON.parse(
      okRun(cli(home, ['code', 'vpn', '--agent', 'bot', '--json']), 'HOTP after accept').stdout,
    ) as { code: string; step: number };
    expect(next.step).toBe(43);
    expect(next.code).not.toBe(issued.code);
    okRun(cli(home, ['doctor']), 'doctor after accept');
    okRun(cli(home, ['audit', 'verify']), 'verify after accept');
    // Nothing to accept any more.
    expect(cli(home, ['vault', 'accept-rollback']).code).toBe(1);
  });

  it('every audit event records the vault generation it was decided with', () => {
    const home = homeWithPolicy(LOOSE, [['vpn', HOTP_URI]]);
    okRun(cli(home, ['code', 'vpn', '--agent', 'bot']), 'HOTP');
    okRun(cli(home, ['code', 'github:alice', '--agent', 'bot']), 'TOTP');
    const es = events(home);
    for (const e of es) expect(typeof e.gen, JSON.stringify(e)).toBe('number');
    const [hotp, totp] = es.slice(-2) as [Event, Event];
    // The HOTP write raised the generation, and its event records the new one.
    expect(totp.gen).toBe(hotp.gen);
    expect(hotp.gen).toBeGreaterThan(es.find((e) => e.action === 'policy_apply')!.gen!);
  });

  it('import --on-conflict replace of an older export does not move an HOTP counter back', () => {
    const home = newHome();
    const vpn: FxAccount = {
      issuer: 'VPN',
      label: 'me',
      type: 'hotp',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      counter: 44,
      key: Buffer.from('0123456789abcdefghij'),
    };
    const dir = tempDir();
    writeFileSync(join(dir, 'new.json'), aegisPlain([vpn]));
    writeFileSync(join(dir, 'old.json'), aegisPlain([{ ...vpn, counter: 42 }]));
    okRun(cli(home, ['import', join(dir, 'new.json')]), 'first import');
    const id = (JSON.parse(cli(home, ['list', '--json']).stdout) as { id: string }[])[0]!.id;
    const again = okRun(cli(home, ['import', join(dir, 'old.json'), '--on-conflict', 'replace']), 're-import');
    expect(again.stdout).toMatch(/kept the HOTP counter at 44 \(the file has 42: an older export\)/);
    expect((JSON.parse(okRun(cli(home, ['code', id, '--json']), 'code').stdout) as { step: number }).step).toBe(44);
    // A newer export still moves it forward.
    writeFileSync(join(dir, 'newer.json'), aegisPlain([{ ...vpn, counter: 50 }]));
    okRun(cli(home, ['import', join(dir, 'newer.json'), '--on-conflict', 'replace']), 'newer import');
    expect((JSON.parse(okRun(cli(home, ['code', id, '--json']), 'code').stdout) as { step: number }).step).toBe(50);
  });
});

/** A home where the bot used its limit of 5 on `limited` (the 6th was refused), then github twice. */
function usedHome(): string {
  const home = homeWithPolicy();
  for (let i = 0; i < 5; i++) okRun(cli(home, ['code', 'limited', '--agent', 'bot']), `limited ${i}`);
  expect(cli(home, ['code', 'limited', '--agent', 'bot']).code).toBe(3);
  for (let i = 0; i < 2; i++) okRun(cli(home, ['code', 'github:alice', '--agent', 'bot']), `github ${i}`);
  return home;
}

const state = (home: string, f = ''): string => join(home, 'state', f);
const logLines = (home: string): string[] => readFileSync(state(home, 'audit.log'), 'utf8').trimEnd().split('\n');
/** Keeps the first n lines of the log: the limit's allows after them are gone. */
const cutLog = (home: string, n: number): void => {
  writeFileSync(
    state(home, 'audit.log'),
    logLines(home)
      .slice(0, n)
      .map((l) => `${l}\n`)
      .join(''),
  );
};

const ATTACKS: [string, (home: string) => void][] = [
  [
    'the tail cut and audit.head deleted',
    (home) => {
      cutLog(home, 3);
      rmSync(state(home, 'audit.head'));
    },
  ],
  [
    'the tail cut and audit.head rewritten to match, unsigned (as before heads were MAC’d)',
    (home) => {
      cutLog(home, 3);
      const last = JSON.parse(logLines(home).at(-1)!) as { seq: number; mac: string };
      const ino = String(readdirSync(state(home)).length); // any inode: the writer falls back to the log
      writeFileSync(
        state(home, 'audit.head'),
        `${JSON.stringify({ v: 1, seq: last.seq, mac: last.mac, size: readFileSync(state(home, 'audit.log')).length, file: 'audit.log', ino })}\n`,
      );
    },
  ],
  [
    'the tail cut and the signed head edited to match',
    (home) => {
      cutLog(home, 3);
      const last = JSON.parse(logLines(home).at(-1)!) as { seq: number; mac: string };
      const head = JSON.parse(readFileSync(state(home, 'audit.head'), 'utf8')) as Record<string, unknown>;
      writeFileSync(
        state(home, 'audit.head'),
        `${JSON.stringify({ ...head, seq: last.seq, mac: last.mac, size: readFileSync(state(home, 'audit.log')).length })}\n`,
      );
    },
  ],
  [
    'audit.log and audit.head deleted',
    (home) => {
      rmSync(state(home, 'audit.log'));
      rmSync(state(home, 'audit.head'));
    },
  ],
  [
    'all of state/ deleted',
    (home) => {
      rmSync(state(home), { recursive: true });
    },
  ],
];

describe('wiping or shortening the audit trail (issue 12, item 4)', () => {
  it.each(ATTACKS)(
    '%s: audit verify and doctor fail, a limited rule fails closed (no fresh limit)',
    (_what, attack) => {
      const home = usedHome();
      attack(home);
      const verify = cli(home, ['audit', 'verify']);
      expect(verify.code, verify.stdout).toBe(1);
      expect(verify.stdout).toMatch(/FAILED/);
      const doctor = cli(home, ['doctor']);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/^FAIL {2}audit/m);
      for (let i = 0; i < 2; i++) {
        const r = cli(home, ['code', 'limited', '--agent', 'bot']);
        expect(r.code, r.stderr).not.toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/audit trail is broken/);
      }
      // Still broken after those attempts: nothing healed the trail behind the owner's back.
      expect(cli(home, ['audit', 'verify']).code).toBe(1);
    },
  );

  it('audit reset --reason starts a new chain whose first event names the break; service resumes and both checks pass', () => {
    const home = usedHome();
    const before = logLines(home);
    // The owner's events (init, add, policy apply: the vault's anchor is the last of them) and the
    // first two agent events are kept.
    const keep = before.findIndex((l) => (JSON.parse(l) as { agent: string | null }).agent !== null) + 2;
    const lastKept = JSON.parse(before[keep - 1]!) as { seq: number; mac: string };
    cutLog(home, keep);
    rmSync(state(home, 'audit.head'));
    expect(cli(home, ['audit', 'reset']).code).toBe(2); // --reason is required
    expect(cli(home, ['audit', 'reset', '--reason', ' \u0007 ']).code).toBe(2); // and must say something
    const reset = okRun(cli(home, ['audit', 'reset', '--reason', 'log cut on purpose in a drill\u202e']), 'reset');
    expect(reset.stdout).toMatch(/a new audit chain starts at event 1/);
    const moved = readdirSync(state(home)).filter((n) => n.startsWith('broken-'));
    expect(moved).toHaveLength(1);
    expect(existsSync(join(state(home), moved[0]!, 'audit.log'))).toBe(true); // the evidence is kept
    const es = events(home);
    expect(es[0]).toMatchObject({
      seq: 1,
      agent: null,
      action: 'audit_reset',
      decision: 'allow',
      reset: { seq: lastKept.seq, mac: lastKept.mac, reason: 'log cut on purpose in a drill' },
    });
    okRun(cli(home, ['audit', 'verify']), 'verify after reset');
    okRun(cli(home, ['doctor']), 'doctor after reset');
    okRun(cli(home, ['code', 'limited', '--agent', 'bot']), 'limited after reset');
    // And the new chain is anchored like the old one: cutting it is seen again.
    okRun(cli(home, ['tag', 'github:alice', '+x']), 'a vault write');
    rmSync(state(home, 'audit.head'));
    expect(cli(home, ['audit', 'verify']).code).toBe(1);
  });

  it('audit reset after all of state/ was deleted names the anchor the vault kept', () => {
    const home = usedHome();
    // A vault write anchors the head as it is then; the owner's own event for it comes after.
    const head = JSON.parse(readFileSync(state(home, 'audit.head'), 'utf8')) as { seq: number; mac: string };
    okRun(cli(home, ['tag', 'github:alice', '+x']), 'a vault write: the anchor moves to the head');
    rmSync(state(home), { recursive: true });
    okRun(cli(home, ['audit', 'reset', '--reason', 'disk replaced']), 'reset');
    expect(events(home)[0]).toMatchObject({
      action: 'audit_reset',
      reset: { seq: head.seq, mac: head.mac, reason: 'disk replaced' },
    });
    okRun(cli(home, ['audit', 'verify']), 'verify');
  });
});

describe('the two ways back compose', () => {
  it('audit reset does not hide a rollback: after it, the older vault still needs vault accept-rollback', () => {
    const home = homeWithPolicy(LOOSE, [['vpn', HOTP_URI]]);
    okRun(cli(home, ['code', 'vpn', '--agent', 'bot']), 'HOTP');
    const older = readdirSync(join(home, 'backups')).sort().at(-1) as string;
    copyFileSync(join(home, 'backups', older), join(home, 'vault.age'));
    rmSync(state(home, 'audit.head')); // and the trail broken too
    okRun(cli(home, ['audit', 'reset', '--reason', 'both at once']), 'reset');
    const verify = cli(home, ['audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/FAILED: the vault is older than its audit trail has seen/);
    expect(cli(home, ['code', 'vpn', '--agent', 'bot']).code).toBe(4);
    okRun(cli(home, ['vault', 'accept-rollback']), 'accept');
    okRun(cli(home, ['audit', 'verify']), 'verify');
    okRun(cli(home, ['code', 'github:alice', '--agent', 'bot']), 'service');
  });
});

describe('a vault shared by several homes (each a recipient with its own state/)', () => {
  it('a vault copied to a second home starts cleanly there, and neither trail blocks the other', () => {
    const a = usedHome();
    const b = newHome();
    const rb = okRun(cli(b, ['recipients', 'list']), 'b recipient').stdout.trim();
    okRun(cli(a, ['recipients', 'add', rb]), 'add b');
    copyFileSync(join(a, 'vault.age'), join(b, 'vault.age'));
    copyFileSync(join(a, 'recipients.txt'), join(b, 'recipients.txt'));
    writeFileSync(join(b, 'policy.yaml'), readFileSync(join(a, 'policy.yaml')), { mode: 0o600 });
    rmSync(state(b), { recursive: true, force: true });

    okRun(cli(b, ['code', 'limited', '--agent', 'bot']), 'b: limited (its own trail: a fresh limit)');
    okRun(cli(b, ['audit', 'verify']), 'b verify');
    okRun(cli(b, ['doctor']), 'b doctor');
    okRun(cli(b, ['tag', 'github:alice', '+b']), 'b writes the vault (anchors its trail)');
    expect(events(b).some((e) => e.action === 'policy_apply')).toBe(false); // b's trail is its own

    // The vault travels back (a sync): a's trail is still fine, and so is b's after a writes.
    copyFileSync(join(b, 'vault.age'), join(a, 'vault.age'));
    okRun(cli(a, ['audit', 'verify']), 'a verify');
    okRun(cli(a, ['doctor']), 'a doctor');
    expect(cli(a, ['code', 'limited', '--agent', 'bot']).code).toBe(3); // a's limit is still used up
    okRun(cli(a, ['tag', 'github:alice', '+a']), 'a writes the vault');
    copyFileSync(join(a, 'vault.age'), join(b, 'vault.age'));
    okRun(cli(b, ['audit', 'verify']), 'b verify again');
    okRun(cli(b, ['code', 'github:alice', '--agent', 'bot']), 'b: github');
    // b's anchor travelled with the vault: wiping b's trail is still seen on b.
    rmSync(state(b), { recursive: true });
    expect(cli(b, ['audit', 'verify']).code).toBe(1);
    okRun(cli(a, ['audit', 'verify']), 'a unaffected');
  });
});

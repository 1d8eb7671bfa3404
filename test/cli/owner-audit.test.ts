// The owner's own acts leave audit events (agent null): every command that changes the vault, its
// recipients or its policy, and every export of seeds, whatever its form. The events name ids,
// counts and formats only, never a secret, and the chain they extend still verifies.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoCanary } from '../helpers/canary.js';
import { auditEvents, canaryUri, cli, newHome, tempDir } from '../helpers/cli.js';

interface Event {
  seq: number;
  agent: string | null;
  action: string;
  account: string | null;
  decision: string;
  reason: string;
  rule: string | null;
}

const SERIAL = 'arn:aws:iam::123456789012:mfa/alice-phone';

describe('the owner’s acts are audited', () => {
  it('add, edit, tag, rename, rm, import, every export form, recipients, aws setup, init and policy apply each leave an event; audit verify passes; no seed in any event', () => {
    const home = join(tempDir(), 'home');
    const out = dirname(home);
    const ok = (args: string[], input?: string): string => {
      const r = cli(home, args, input === undefined ? {} : { input });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    let seen = 0;
    /** The events written since the last call. */
    const fresh = (): Event[] => {
      const all = auditEvents<Event>(home);
      const next = all.slice(seen);
      seen = all.length;
      return next;
    };
    const brief = (e: Event) => [e.action, e.account, e.reason];

    ok(['init']);
    expect(fresh().map(brief)).toEqual([['vault_init', null, 'identity']]);

    ok(['add', 'canary', '--uri', '-'], canaryUri());
    expect(fresh().map(brief)).toEqual([['account_add', 'canary', 'totp']]);
    ok(['add', 'other', '--secret-stdin', '--issuer', 'Other'], 'JBSWY3DPEHPK3PXP\n');
    expect(fresh().map(brief)).toEqual([['account_add', 'other', 'totp']]);

    ok(['edit', 'other', '--label', 'bob']);
    expect(fresh().map(brief)).toEqual([['account_update', 'other', 'edit']]);
    ok(['tag', 'other', '+work']);
    expect(fresh().map(brief)).toEqual([['account_update', 'other', 'tag']]);
    ok(['tag', 'other']); // showing tags changes nothing: no event
    expect(fresh()).toEqual([]);
    ok(['rename', 'other', 'bob']);
    expect(fresh().map(brief)).toEqual([
      ['account_update', 'other', 'rename_from'],
      ['account_update', 'bob', 'rename_to'],
    ]);

    const list = join(out, 'list.txt');
    writeFileSync(list, `${canaryUri('Imported')}\notpauth://totp/Two:two?secret=GEZDGNBVGY3TQOJQ&issuer=Two\n`);
    ok(['import', list, '--dry-run']); // writes nothing: no event
    expect(fresh()).toEqual([]);
    ok(['import', list, '--on-conflict', 'rename']);
    const imported = fresh();
    expect(imported.map((e) => [e.action, e.reason])).toEqual([
      ['account_import', 'add:uri-list:2'],
      ['account_import', 'add:uri-list:2'],
    ]);
    expect(imported.every((e) => e.account !== null)).toBe(true);

    // Every export form: the accounts, the count and the format.
    ok(['export', '--uri', 'canary', 'bob', '--yes']);
    expect(fresh().map(brief)).toEqual([
      ['account_export', 'canary', 'uri:2'],
      ['account_export', 'bob', 'uri:2'],
    ]);
    ok(['export', '--qr', 'canary', '--yes']);
    expect(fresh().map(brief)).toEqual([['account_export', 'canary', 'qr:1']]);
    ok(['export', '--qr', 'canary', '--png', join(out, 'c.png'), '--yes']);
    expect(fresh().map(brief)).toEqual([['account_export', 'canary', 'qr_png:1']]);
    ok(['export', '--qr', 'canary', '--svg', join(out, 'c.svg'), '--yes']);
    expect(fresh().map(brief)).toEqual([['account_export', 'canary', 'qr_svg:1']]);
    ok(['export', '--google', 'canary', '--yes']);
    expect(fresh().map(brief)).toEqual([['account_export', 'canary', 'google:1']]);
    ok(['export', '--aegis', join(out, 'a.json'), 'bob', '--yes']);
    expect(fresh().map(brief)).toEqual([['account_export', 'bob', 'aegis:1']]);
    ok(['export', '--aegis', '-', '--encrypt', '--password-stdin', 'bob', '--yes'], 'pw\n');
    expect(fresh().map(brief)).toEqual([['account_export', 'bob', 'aegis_encrypted:1']]);
    ok(['export', '--backup', join(out, 'b.age'), '--password-stdin', '--yes'], 'pw\n');
    const backup = fresh();
    expect(backup).toHaveLength(4);
    expect(backup.every((e) => e.action === 'account_export' && e.reason === 'backup_passphrase:4')).toBe(true);
    // A refused export (not confirmed, a bad recipient) exports nothing and records nothing.
    expect(cli(home, ['export', '--backup', join(out, 'c.age'), '--recipient', 'age1nope', '--yes']).code).not.toBe(0);
    expect(fresh()).toEqual([]);

    const other = newHome();
    const [recipient] = cli(other, ['recipients', 'list']).stdout.trim().split('\n');
    ok(['recipients', 'add', recipient!]);
    expect(fresh().map(brief)).toEqual([['vault_rekey', null, 'recipient_add:1']]);
    ok(['export', '--backup', join(out, 'r.age'), '--recipient', recipient!, '--yes']);
    expect(fresh().every((e) => e.reason === 'backup_recipients:4')).toBe(true);
    ok(['recipients', 'remove', recipient!]);
    expect(fresh().map(brief)).toEqual([['vault_rekey', null, 'recipient_remove:1']]);

    ok(['aws', 'setup', 'canary', '--mfa-serial', SERIAL, '--source', 'profile:lt']);
    expect(fresh().map(brief)).toEqual([['account_update', 'canary', 'aws_setup']]);
    ok(['aws', 'setup', 'canary', '--mfa-serial', SERIAL, '--region', 'eu-west-1']);
    expect(fresh().map(brief)).toEqual([['account_update', 'canary', 'aws_update']]);

    ok(['policy', 'init']);
    expect(fresh()).toEqual([]); // a file in the home, not yet the vault's policy
    ok(['policy', 'apply']);
    const [apply, ...none] = fresh();
    expect(none).toEqual([]);
    // The pinned hash, as `policy check` and the vault know it.
    const hash = createHash('sha256')
      .update(readFileSync(join(home, 'policy.yaml')))
      .digest('hex');
    expect(apply).toMatchObject({ action: 'policy_apply', reason: 'applied', rule: hash, decision: 'allow' });

    ok(['rm', 'bob', '--yes']);
    expect(fresh().map(brief)).toEqual([['account_remove', 'bob', 'removed']]);

    const all = auditEvents<Event>(home);
    expect(all.every((e) => e.agent === null && e.decision === 'allow')).toBe(true);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(cli(home, ['audit', 'verify']).code).toBe(0);
    // The raw log files too, not only what `audit tail` prints.
    const state = join(home, 'state');
    const files = readdirSync(state)
      .map((f) => join(state, f))
      .filter((f) => statSync(f).isFile());
    const raw = [
      cli(home, ['audit', 'tail', '-n', '100000']).stdout,
      ...files.map((f) => readFileSync(f, 'latin1')),
    ].join('\n');
    expectNoCanary('the audit trail', raw);
    expect(raw).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('init with a passphrase-only vault audits itself without asking for the passphrase again', () => {
    const home = join(tempDir(), 'home');
    const env = { TOTP_MCP_PASSPHRASE: 'correct horse battery staple' };
    const r = cli(home, ['init', '--passphrase-only', '--work-factor', '10'], { env });
    expect(r.code, r.stderr).toBe(0);
    const t = cli(home, ['audit', 'tail', '--json'], { env });
    expect(
      t.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Event).reason),
    ).toEqual(['passphrase']);
    expect(cli(home, ['audit', 'verify'], { env }).code).toBe(0);
  });
});

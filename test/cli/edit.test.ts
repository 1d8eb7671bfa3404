// Item 6 of issue 18: `edit` changes an account in place; rm + add lost its tags, AWS block and history.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEvents, cli, newHome } from '../helpers/cli.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const list = (home: string) => JSON.parse(cli(home, ['list', '--json']).stdout) as { tags: string[]; aws: unknown }[];

describe('totp-mcp edit', () => {
  it('changes issuer, label, digits, period and algorithm in one write, keeping id, secret, tags and the AWS block', () => {
    const home = newHome();
    expect(
      cli(home, ['add', 'aws', '--uri', `otpauth://totp/Old:me?secret=${SECRET}&issuer=Old`, '--tag', 'work']).code,
    ).toBe(0);
    const setup = cli(home, [
      'aws',
      'setup',
      'aws',
      '--mfa-serial',
      'arn:aws:iam::123456789012:mfa/me',
      '--source',
      'default',
    ]);
    expect(setup.code, setup.stderr).toBe(0);
    const before = list(home)[0]!;
    const codeAt = (id: string) => cli(home, ['code', id, '--at', '1234567890']).stdout;
    expect(codeAt('aws')).toBe('005924\n');

    const r = cli(home, [
      'edit',
      'aws',
      '--issuer',
      'AWS',
      '--label',
      'me@example.com',
      '--period',
      '60',
      '--algorithm',
      'SHA256',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'edited aws: issuer "Old" → "AWS", label "me" → "me@example.com", algorithm SHA1 → SHA256, period 30 → 60\n',
    );
    const after = list(home)[0]!;
    expect(after).toEqual({ ...before, issuer: 'AWS', label: 'me@example.com', period: 60, algorithm: 'SHA256' });
    expect(after.tags).toEqual(['work']);
    expect(after.aws).not.toBeNull();
    // The secret is untouched: back to SHA1/30 s, the same code as before.
    const back = cli(home, ['edit', 'aws', '--period', '30', '--algorithm', 'SHA1']);
    expect(back.code, back.stderr).toBe(0);
    expect(codeAt('aws')).toBe('005924\n');

    // Validation as in `add`; an AWS account keeps 6 digits; nothing written on a refusal.
    expect(cli(home, ['edit', 'aws', '--digits', '11']).code).not.toBe(0);
    expect(cli(home, ['edit', 'aws', '--period', '0']).code).not.toBe(0);
    const aws8 = cli(home, ['edit', 'aws', '--digits', '8']);
    expect(aws8.code).toBe(1);
    expect(aws8.stderr).toMatch(/AWS block/);
    expect(cli(home, ['edit', 'aws', '--algorithm', 'MD5']).code).toBe(2);
    expect(cli(home, ['edit', 'aws']).code).toBe(2); // nothing to change
    expect(cli(home, ['edit', 'aws', '--counter', '3']).code).toBe(2); // not HOTP
    expect(cli(home, ['edit', 'nope', '--label', 'x']).code).toBe(1);
    expect(list(home)[0]).toEqual({ ...before, issuer: 'AWS', label: 'me@example.com' });
  });

  it('moves an HOTP counter forward freely, backwards only with --force', () => {
    const home = newHome();
    cli(home, ['add', 'vpn', '--uri', `otpauth://hotp/VPN:me?secret=${SECRET}&counter=5`]);
    const code = () => JSON.parse(cli(home, ['code', 'vpn', '--json']).stdout) as { code: string; step: number };
    expect(cli(home, ['edit', 'vpn', '--counter', '8']).code).toBe(0);
    expect(code().step).toBe(8);
    const refused = cli(home, ['edit', 'vpn', '--counter', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/back \(from 9 to 0\).*\n.*--force/);
    expect(code().step).toBe(9); // unchanged by the refusal
    const forced = cli(home, ['edit', 'vpn', '--counter', '0', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: the HOTP counter of vpn moved back/);
    expect(code()).toMatchObject({ code: '755224', step: 0 }); // RFC 4226 counter 0
    expect(cli(home, ['edit', 'vpn', '--period', '60']).code).toBe(2);
    // Nothing to change: nothing written (a write would also push an older backup out).
    const before = readFileSync(join(home, 'vault.age'));
    const same = cli(home, ['edit', 'vpn', '--label', 'me', '--counter', '1']);
    expect(same.stdout).toBe('vpn: nothing changed\n');
    expect(readFileSync(join(home, 'vault.age')).equals(before)).toBe(true);
  });

  it('refuses type-fixed fields on a Steam account', () => {
    const home = newHome();
    cli(home, ['add', 'steam', '--uri', 'steam://63BEDWCQZKTQWPESARIERL5DTTQFCJTK']);
    expect(cli(home, ['edit', 'steam', '--digits', '6']).code).toBe(2);
    expect(cli(home, ['edit', 'steam', '--label', 'mine']).code).toBe(0);
    expect(cli(home, ['code', 'steam', '--at', '1511200518']).stdout).toBe('FR8RV\n');
  });

  it('an HOTP counter moved back with --force leaves an owner audit event: the id and both counters, no seed or code (issue 18, item 6)', () => {
    const home = newHome();
    cli(home, ['add', 'vpn', '--uri', `otpauth://hotp/VPN:me?secret=${SECRET}&counter=7`]);
    const issued = JSON.parse(cli(home, ['code', 'vpn', '--json']).stdout) as { code: string };
    const events = () => auditEvents<{ action: string }>(home);
    // Forward: not a rewind, nothing of the kind recorded.
    expect(cli(home, ['edit', 'vpn', '--counter', '20']).code).toBe(0);
    expect(events().filter((e) => e.action === 'account_counter_back')).toEqual([]);
    const forced = cli(home, ['edit', 'vpn', '--counter', '2', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const back = events().filter((e) => e.action === 'account_counter_back');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ agent: null, account: 'vpn', decision: 'allow', reason: 'from:20', step: 2 });
    const log = readdirSync(join(home, 'state'))
      .filter((n) => n.startsWith('audit'))
      .map((n) => readFileSync(join(home, 'state', n), 'utf8'))
      .join('');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(issued.code);
    expect(cli(home, ['audit', 'verify']).code).toBe(0);
  });
});

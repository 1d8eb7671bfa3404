import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { ROOT } from '../helpers/build.js';
import { cli, newHome, tempDir } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';

const hasOathtool = requireTool('oathtool', 'oathtool');
const oath = (args: string[]) => spawnSync('oathtool', args, { encoding: 'utf8' }).stdout.trim();

describe('totp-mcp CLI', () => {
  it('keeps src/version.ts equal to package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('has --help on every command, and exits 2 on a usage error', () => {
    const home = join(tempDir(), 'h');
    const commands = [
      'init',
      'add',
      'list',
      'code',
      'rm',
      'rename',
      'tag',
      'export',
      'recipients',
      'recipients add',
      'recipients list',
      'recipients remove',
      'doctor',
    ];
    for (const c of commands) {
      const r = cli(home, [...c.split(' '), '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Usage: totp-mcp/);
    }
    expect(cli(home, ['--help']).stdout).toMatch(
      /Exit codes: 0 ok, 1 error, 2 usage, 3 denied by policy, 4 vault locked/,
    );
    expect(cli(home, ['--version']).stdout.trim()).toBe(VERSION);
    expect(cli(home, ['frobnicate']).code).toBe(2);
    expect(cli(home, ['code']).code).toBe(2);
    expect(cli(home, ['add', 'x', '--digits']).code).toBe(2);
  });

  it('init creates a 0700 home, a 0600 identity and an empty vault; refuses to run twice', () => {
    const home = join(tempDir(), 'h');
    const r = cli(home, ['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/public key \(recipient\): age1[a-z0-9]+/);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'identity.txt')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'vault.age')).mode & 0o777).toBe(0o600);
    expect(cli(home, ['list', '--json']).stdout).toBe('[]\n');
    const again = cli(home, ['init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already/);
  });

  it('adds from a URI on stdin and from a piped secret, lists without secrets, and prints codes', () => {
    const home = newHome();
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    let r = cli(home, ['add', 'github:alice', '--uri', '-', '--tag', 'personal'], {
      input: `otpauth://totp/GitHub:alice?secret=${secret}&issuer=GitHub\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('added github:alice: GitHub / alice (totp SHA1 6 digits 30s)\n');
    r = cli(home, ['add', 'rfc8', '--secret-stdin', '--digits', '8', '--algorithm', 'SHA256', '--issuer', 'RFC'], {
      input: 'gezd gnbv gy3t qojq-gezd gnbv gy3t qojq gezd gnbv gy3t qojq gezA====\n',
    });
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(cli(home, ['list', '--json']).stdout);
    expect(list).toEqual([
      {
        id: 'github:alice',
        issuer: 'GitHub',
        label: 'alice',
        type: 'totp',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        tags: ['personal'],
        aws: null,
      },
      {
        id: 'rfc8',
        issuer: 'RFC',
        label: 'rfc8',
        type: 'totp',
        algorithm: 'SHA256',
        digits: 8,
        period: 30,
        tags: [],
        aws: null,
      },
    ]);
    const table = cli(home, ['list']).stdout;
    expect(table).toMatch(/^ID\s+ISSUER\s+LABEL\s+TYPE\s+TAGS\n/);
    expect(table).not.toContain(secret);
    expect(cli(home, ['list', '--tag', 'personal', '--json']).stdout).toContain('github:alice');
    expect(cli(home, ['list', '--tag', 'personal', '--json']).stdout).not.toContain('rfc8');

    // RFC 6238 vectors through the whole stack.
    expect(cli(home, ['code', 'rfc8', '--at', '59']).stdout).toBe('46119246\n');
    expect(cli(home, ['code', 'rfc8', '--at', '2005-03-18T01:58:29Z']).stdout).toBe('68084774\n');
    expect(cli(home, ['code', 'github:alice', '--at', '1234567890']).stdout).toBe('005924\n');
    const j = JSON.parse(cli(home, ['code', 'github:alice', '--json', '--at', '1234567890']).stdout);
    expect(j).toEqual({
      account: 'github:alice',
      code: '005924',
      step: 41152263,
      expires_at: '2009-02-13T23:32:00.000Z',
      remaining_seconds: 30,
    });
    if (hasOathtool) {
      const now = JSON.parse(cli(home, ['code', 'github:alice', '--json']).stdout);
      const ref = oath(['--totp', '--base32', `--now=@${now.step * 30}`, secret]);
      expect(now.code).toBe(ref);
    }
  });

  it('advances and saves the HOTP counter on every code', () => {
    const home = newHome();
    const r = cli(home, ['add', 'vpn', '--uri', '-'], {
      input: 'otpauth://hotp/VPN:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0',
    });
    expect(r.code, r.stderr).toBe(0);
    const codes = Array.from({ length: 4 }, () => JSON.parse(cli(home, ['code', 'vpn', '--json']).stdout));
    expect(codes.map((c) => c.code)).toEqual(['755224', '287082', '359152', '969429']);
    expect(codes.map((c) => c.step)).toEqual([0, 1, 2, 3]);
    expect(codes[0].expires_at).toBeNull();
    expect(cli(home, ['code', 'vpn', '--at', '59']).code).toBe(2);
  });

  it('computes Steam Guard codes', () => {
    const home = newHome();
    cli(home, ['add', 'steam', '--uri', 'steam://63BEDWCQZKTQWPESARIERL5DTTQFCJTK']);
    expect(cli(home, ['code', 'steam', '--at', '1511200518']).stdout).toBe('FR8RV\n');
    expect(cli(home, ['code', 'steam', '--at', '1511200714']).stdout).toBe('9P3VP\n');
  });

  it('removes, renames and tags', () => {
    const home = newHome();
    const uri = 'otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP';
    expect(cli(home, ['add', 'a1', '--uri', uri]).code).toBe(0);
    expect(cli(home, ['add', 'a1', '--uri', uri]).code).toBe(1); // exists
    expect(cli(home, ['rename', 'a1', 'a2']).code).toBe(0);
    expect(cli(home, ['tag', 'a2', '+work', '+x', '-x']).stdout).toBe('a2: work\n');
    expect(cli(home, ['tag', 'a2']).stdout).toBe('a2: work\n');
    expect(cli(home, ['tag', 'a2', '+Bad Tag']).code).toBe(2);
    const missing = cli(home, ['code', 'a1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("totp-mcp: no account 'a1'\n  hint: see 'totp-mcp list'\n");
    expect(cli(home, ['rm', 'a2']).code).toBe(0);
    expect(cli(home, ['list', '--json']).stdout).toBe('[]\n');
    expect(cli(home, ['rm', 'a2']).code).toBe(1);
  });

  it('rejects bad ids and bad input with a clear message and exit code', () => {
    const home = newHome();
    const bad = cli(home, ['add', 'GitHub', '--uri', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid account id: use lowercase letters/);
    const notUri = cli(home, ['add', 'x', '--uri', 'https://example.com']);
    expect(notUri.code).toBe(1);
    expect(cli(home, ['add', 'x', '--uri', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP', '--digits', '8']).code).toBe(2);
    expect(cli(home, ['add', 'x']).code).toBe(2); // nothing to read, not a terminal
    expect(cli(home, ['code', 'x', '--at', 'yesterday']).code).toBe(2);
    expect(cli(home, ['list', '--json']).stdout).toBe('[]\n');
  });

  it('exports otpauth URIs with a warning on stderr, and they import back', () => {
    const home = newHome();
    cli(home, [
      'add',
      'a',
      '--uri',
      'otpauth://totp/Acme%20Co:j%40x.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Co&digits=8&period=60&algorithm=SHA512',
    ]);
    cli(home, ['add', 'h', '--uri', 'otpauth://hotp/H:h?secret=JBSWY3DPEHPK3PXP&counter=7']);
    const r = cli(home, ['export', '--uri']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*contain the secrets/);
    const uris = r.stdout.trim().split('\n');
    expect(uris).toHaveLength(2);
    const other = newHome();
    cli(other, ['add', 'a', '--uri', uris[0]!]);
    cli(other, ['add', 'h', '--uri', uris[1]!]);
    const strip = (s: string) => JSON.parse(s);
    expect(strip(cli(other, ['list', '--json']).stdout)).toEqual(strip(cli(home, ['list', '--json']).stdout));
    expect(cli(other, ['code', 'a', '--at', '1000000000']).stdout).toBe(
      cli(home, ['code', 'a', '--at', '1000000000']).stdout,
    );
    expect(cli(home, ['export']).code).toBe(2);
    expect(cli(home, ['export', '--uri', 'nope']).code).toBe(1);
  });

  it('exits 4 when the vault cannot be unlocked, and says what to fix', () => {
    const home = newHome();
    const other = newHome();
    const wrong = cli(home, ['list', '--identity', join(other, 'identity.txt')]);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/totp-mcp: /);
    const noIdentity = tempDir();
    writeFileSync(join(noIdentity, 'x'), '');
    const missing = cli(join(noIdentity, 'nohome'), ['list']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no vault/);
    expect(missing.stderr).toMatch(/totp-mcp init/);
  });

  it('passphrase-protected identity and passphrase-only vaults unlock from env, file and command', () => {
    for (const flag of ['--passphrase', '--passphrase-only']) {
      const home = join(tempDir(), 'h');
      const env = { TOTP_MCP_PASSPHRASE: 'correct horse battery staple' };
      const init = cli(home, ['init', flag, '--work-factor', '10'], { env });
      expect(init.code, init.stderr).toBe(0);
      expect(existsSync(join(home, 'identity.txt'))).toBe(false);
      expect(cli(home, ['add', 'a', '--uri', 'otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP'], { env }).code).toBe(0);
      expect(cli(home, ['code', 'a', '--at', '0'], { env }).stdout).toMatch(/^\d{6}\n$/);
      const pf = join(tempDir(), 'pass');
      writeFileSync(pf, 'correct horse battery staple\n', { mode: 0o600 });
      expect(cli(home, ['list', '--json', '--passphrase-file', pf]).code).toBe(0);
      expect(cli(home, ['list', '--json', '--passphrase-command', `cat ${pf}`]).code).toBe(0);
      const none = cli(home, ['list']);
      expect(none.code).toBe(4);
      expect(none.stderr).toMatch(/TOTP_MCP_PASSPHRASE/);
      const wrong = cli(home, ['list'], { env: { TOTP_MCP_PASSPHRASE: 'wrong' } });
      expect(wrong.code).toBe(4);
      expect(cli(home, ['list', '--passphrase-command', 'exit 3']).code).toBe(4);
    }
  });
});

// Item 5 of issue 18: `add ID` on a terminal takes a pasted otpauth:// URI at its secret prompt,
// and `add` warns (one line on stderr, never the secret) on a short secret or a duplicate secret.
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliEnv, newHome } from '../helpers/cli.js';
import { runOnTerminal } from '../helpers/pty.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const URI = `otpauth://totp/GitHub:alice?secret=${SECRET}&issuer=GitHub&digits=8`;
const list = (home: string) =>
  JSON.parse(cli(home, ['list', '--json']).stdout) as { id: string; issuer: string; label: string; digits: number }[];

describe('add: the secret prompt on a terminal', () => {
  it('takes a pasted otpauth:// URI (its issuer, label and digits), and still a base32 secret', () => {
    const home = newHome();
    const run = (args: string[], typed: string) =>
      runOnTerminal([process.execPath, CLI, ...args], {
        env: cliEnv(home),
        cwd: dirname(home),
        answers: [[/otpauth:\/\/ URI:/, `${typed}\r`]],
        timeoutMs: 30_000,
      });
    let r = run(['add', 'gh'], URI);
    expect(r.code, r.transcript).toBe(0);
    expect(r.transcript).toContain('Secret (base32) or otpauth:// URI:');
    expect(r.transcript).toContain('added gh: GitHub / alice (totp SHA1 8 digits 30s)');
    expect(r.transcript).not.toContain(SECRET);
    expect(cli(home, ['code', 'gh', '--at', '59']).stdout).toBe('94287082\n'); // RFC 6238, SHA1, 8 digits

    r = run(['add', 'plain', '--issuer', 'Plain'], 'JBSWY3DPEHPK3PXP');
    expect(r.code, r.transcript).toBe(0);
    expect(r.transcript).toContain('added plain: Plain / plain (totp SHA1 6 digits 30s)');

    // A URI carries its own parameters: type flags with a pasted URI are a usage error, as with --uri.
    r = run(['add', 'x', '--digits', '6'], URI);
    expect(r.code).toBe(2);
    expect(list(home).map((a) => a.id)).toEqual(['gh', 'plain']);
  });

  it('a URI piped to --secret-stdin works too', () => {
    const home = newHome();
    const r = cli(home, ['add', 'gh', '--secret-stdin', '--label', 'me'], { input: `${URI}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(list(home)[0]).toMatchObject({ id: 'gh', issuer: 'GitHub', label: 'me', digits: 8 });
  });
});

describe('add: warnings', () => {
  it('warns on a secret shorter than 80 bits and on a secret already in the vault under another id (one line, no secret)', () => {
    const home = newHome();
    const short = cli(home, ['add', 'short', '--secret-stdin'], { input: 'JBSWY3DPEHPK3P\n' }); // 14 chars: 64 bits
    expect(short.code, short.stderr).toBe(0);
    expect(short.stderr).toBe(
      'warning: the secret is only 64 bits long (at least 80 expected, 160 recommended): check it was copied whole\n',
    );
    const ok = cli(home, ['add', 'gh', '--uri', URI]);
    expect(ok.stderr).toBe('');
    // The same secret, spelled differently (lower case, spaces): still the same secret.
    const spaced = SECRET.toLowerCase().replace(/(.{4})/g, '$1 ');
    const dup = cli(home, ['add', 'gh2', '--secret-stdin'], { input: spaced });
    expect(dup.code, dup.stderr).toBe(0);
    expect(dup.stderr).toBe("warning: the vault already holds this secret under the id 'gh'\n");
    const dupUri = cli(home, ['add', 'gh3', '--uri', '-'], { input: `otpauth://totp/Other:bob?secret=${SECRET}` });
    expect(dupUri.stderr).toMatch(/^warning: the vault already holds this secret under the id 'gh'\n$/);
    for (const r of [short, dup, dupUri]) expect(r.stderr).not.toMatch(/JBSW|GEZD|gezd/);
    // A refused add says nothing but why it was refused.
    const taken = cli(home, ['add', 'gh', '--uri', URI]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).not.toContain('warning');
  });
});

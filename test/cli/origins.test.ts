// Issue 17: the owner's list of origins per account: `add --origin`, `origins ID [+URL|-URL]...`,
// and the website URLs of a Bitwarden export.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, newHome, tempDir } from '../helpers/cli.js';

const SECRET = 'JBSWY3DPEHPK3PXP';

describe('origins', () => {
  it('add --origin stores canonical origins; origins lists, adds and removes them', () => {
    const home = newHome();
    const add = cli(
      home,
      ['add', 'gh', '--secret-stdin', '--origin', 'https://GitHub.com:443', '--origin', 'http://127.0.0.1:8080'],
      {
        input: SECRET,
      },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(cli(home, ['origins', 'gh']).stdout).toBe('http://127.0.0.1:8080\nhttps://github.com\n');
    const changed = cli(home, ['origins', 'gh', '+https://*.example.com', '-https://github.com']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toBe('http://127.0.0.1:8080\nhttps://*.example.com\n');
    expect(cli(home, ['origins', 'gh', '-http://127.0.0.1:8080', '-https://*.example.com']).stdout).toBe(
      'gh: (no origins)\n',
    );
  });

  it('refuses what is not an origin, with a fixed error, and changes nothing', () => {
    const home = newHome();
    expect(cli(home, ['add', 'gh', '--secret-stdin', '--origin', 'https://a.example'], { input: SECRET }).code).toBe(0);
    for (const bad of [
      '+http://evil.example',
      '+https://github.com/login',
      '+https://*github.com',
      '+ftp://x.example',
    ]) {
      const r = cli(home, ['origins', 'gh', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/^totp-mcp: not an origin: /);
    }
    const r = cli(home, ['add', 'x', '--secret-stdin', '--origin', 'http://evil.example'], { input: SECRET });
    expect(r.code).toBe(2);
    expect(cli(home, ['origins', 'gh']).stdout).toBe('https://a.example\n');
    expect(cli(home, ['origins', 'nope']).code).toBe(1);
  });

  it("imports a Bitwarden login's website URLs as origins, dropping (and counting) what is not one", () => {
    const home = newHome();
    const file = join(tempDir(), 'bitwarden.json');
    const uris = [
      { match: null, uri: 'https://github.com/login' },
      { match: 3, uri: 'https://GitHub.com/sessions/two-factor' },
      { match: null, uri: 'github.com' },
      { match: 4, uri: 'https://.*' },
      { match: null, uri: 'http://evil.example' },
      { match: null, uri: 'androidapp://com.github.android' },
    ];
    writeFileSync(
      file,
      JSON.stringify({
        encrypted: false,
        items: [{ id: '1', type: 1, name: 'GitHub', login: { username: 'alice', totp: SECRET, uris } }],
      }),
    );
    const r = cli(home, ['import', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('3 website URL(s) were not web origins a code can be filled on, and were left out');
    expect(cli(home, ['origins', 'github:alice']).stdout).toBe('https://github.com\n');
  });
});

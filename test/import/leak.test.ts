// Leak canary for imports: a seed brought in by any format, through every path (success, dry run,
// duplicates, per-entry problems, wrong passwords, --debug), never appears on stdout or stderr,
// nor in any file of the home but the age ciphertext. Only `export` prints it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CANARY_SECRET, cli, newHome, recordingCli } from '../helpers/cli.js';
import {
  aegisEncrypted,
  aegisPlain,
  andOtpEncrypted,
  andOtpPlain,
  bitwardenPlain,
  bitwardenProtected,
  googleExport,
  otpauthUri,
  qrPng,
  raivoZip,
  twoFasEncrypted,
  twoFasPlain,
} from './fixtures.js';
import { CANARY_ACCOUNT, expectNoCanary, writeTemp } from './helpers.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const C = [CANARY_ACCOUNT];
const steamCanary = { ...CANARY_ACCOUNT, issuer: 'Steam', label: 'c', type: 'steam' as const };

describe('leak canary (import)', () => {
  it('never shows an imported seed outside export', async () => {
    const home = newHome();
    const { runs, run } = recordingCli(home);
    const sources: [string, string | Uint8Array, string?][] = [
      ['uris.txt', `${otpauthUri(CANARY_ACCOUNT)}\n`],
      ['ga.txt', googleExport(C).join('\n')],
      ['aegis.json', aegisPlain([CANARY_ACCOUNT, steamCanary])],
      ['aegis-enc.json', aegisEncrypted(C, 'pw'), 'pw'],
      ['x.2fas', twoFasPlain(C)],
      ['enc.2fas', twoFasEncrypted(C, 'pw'), 'pw'],
      ['andotp.json', andOtpPlain(C)],
      ['andotp.aes', andOtpEncrypted(C, 'pw', 1000), 'pw'],
      ['bw.json', bitwardenPlain([CANARY_ACCOUNT, steamCanary])],
      ['bw-enc.json', bitwardenProtected(C, 'pw'), 'pw'],
      ['raivo.zip', await raivoZip(C, 'pw'), 'pw'],
      ['qr.png', await qrPng(otpauthUri(CANARY_ACCOUNT))],
      ['ga.png', await qrPng(googleExport(C)[0]!)],
    ];
    let first = true;
    for (const [name, data, password] of sources) {
      const path = writeTemp(name, data);
      const pw = password === undefined ? [] : ['--password-stdin'];
      const input = password === undefined ? undefined : `${password}\n`;
      run(['import', path, '--dry-run', ...pw], input);
      const r = run(['import', path, ...pw, '--on-conflict', first ? 'skip' : 'rename'], input);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      first = false;
      run(['import', path, ...pw, '--on-conflict', 'replace'], input);
      run(['import', path, ...pw], input); // duplicates
      if (password !== undefined) {
        run(['import', path, '--password-stdin'], 'wrong\n');
        run(['import', path, '--password-stdin', '--debug'], 'wrong\n');
        run(['import', path]); // no password source
      }
      run(['import', path, '--format', name.endsWith('.png') ? 'aegis' : 'qr', '--debug']); // wrong format
    }
    // Problems that quote nothing: a bad secret next to the canary, a canary URI cut in half.
    run(
      ['import', '-'],
      `${otpauthUri(CANARY_ACCOUNT)}!\n${otpauthUri(CANARY_ACCOUNT).slice(0, 60)}\n${CANARY_SECRET}\n`,
    );
    run(['import', `${otpauthUri(CANARY_ACCOUNT)}&digits=99`, '--debug']);
    run(['import', '-', '--debug'], aegisPlain(C).slice(0, 200));
    run(['list']);
    run(['list', '--json']);
    for (const [what, r] of runs) {
      expectNoCanary(`stdout of 'totp-mcp ${what}'`, r.stdout);
      expectNoCanary(`stderr of 'totp-mcp ${what}'`, r.stderr);
      if (!what.includes('--debug')) expect(r.stderr, what).not.toMatch(/\n\s+at /);
    }
    for (const f of files(home)) {
      if (/\.age$/.test(f) && !f.endsWith('identity.age')) continue; // ciphertext
      expectNoCanary(relative(home, f), readFileSync(f, 'latin1'));
    }
    // The one command made to carry it does.
    expect(cli(home, ['export', '--uri']).stdout).toContain(CANARY_SECRET);
  });
});

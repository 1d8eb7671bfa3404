// The leak canary: a recognisable seed planted in a vault must never appear in stdout (except
// `export`), stderr, error messages, or any file in the home other than the age ciphertext.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expectNoCanary } from '../helpers/canary.js';
import { describe, expect, it } from 'vitest';
import { cli, CANARY_SECRET, canaryUri, newHome, recordingCli } from '../helpers/cli.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('leak canary (CLI)', () => {
  it('never shows the seed outside export, through every command and error path', () => {
    const home = newHome();
    const { runs, run } = recordingCli(home);
    expect(run(['add', 'canary', '--uri', '-', '--tag', 'secret'], canaryUri()).code).toBe(0);
    run(['add', 'canary', '--uri', '-'], canaryUri()); // duplicate
    run(['add', 'canary2', '--uri', canaryUri().replace('issuer=Canary', 'digits=99')]); // bad digits, URI on argv
    run(['add', 'canary3', '--uri', canaryUri().replace('otpauth://totp', 'otpauth://yaotp')]);
    run(['add', 'canary4', '--uri', canaryUri().replace('secret=', 'secret=1')]);
    run(['add', 'canary5', '--uri', `${canaryUri()}&secret=${CANARY_SECRET}`]);
    run(['add', 'canary6', '--secret-stdin', '--digits', '5'], CANARY_SECRET);
    run(['add', 'canary7', '--secret-stdin'], `${CANARY_SECRET}!`);
    run(['add', 'canary8', '--secret-stdin', '--debug'], `${CANARY_SECRET}!`);
    run(['list']);
    run(['list', '--json']);
    run(['code', 'canary']);
    run(['code', 'canary', '--json']);
    run(['code', 'canary', '--at', '0']);
    run(['tag', 'canary', '+x']);
    run(['rename', 'canary', 'canary-renamed']);
    run(['doctor']);
    run(['recipients', 'list']);
    run(['recipients', 'add', 'age1notarecipient']);
    run(['code', 'NOT-AN-ID', '--at', CANARY_SECRET]);
    for (const [what, r] of runs) {
      expectNoCanary(`stdout of '${what}'`, r.stdout);
      expectNoCanary(`stderr of '${what}'`, r.stderr);
      expect(r.stderr, what).not.toMatch(/\n\s+at /); // no stack traces without --debug
    }
    for (const f of files(home)) {
      if (/\.age$/.test(f) && !f.endsWith('identity.age')) continue; // ciphertext
      expectNoCanary(relative(home, f), readFileSync(f, 'latin1'));
    }
    // The one command made to carry it does.
    expect(cli(home, ['export', '--uri']).stdout).toContain(CANARY_SECRET);
  });
});

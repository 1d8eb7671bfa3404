// Hostile CLI arguments: whatever the arguments, the CLI answers with a known exit code, a
// one-line message, no stack trace, and never the seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliAsync, CANARY_SECRET, canaryUri, newHome, cli } from '../helpers/cli.js';
import { expectNoCanary } from '../helpers/canary.js';

const words = [
  'add',
  'list',
  'code',
  'rm',
  'rename',
  'tag',
  'recipients',
  'doctor',
  'init',
  '--json',
  '--at',
  '--tag',
  '--uri',
  '-',
  '--secret-stdin',
  '--digits',
  '--period',
  '--type',
  'hotp',
  'steam',
  '--algorithm',
  'MD5',
  '--counter',
  '-1',
  '1e309',
  'canary',
  '../../etc/passwd',
  '*',
  'tag:bank',
  '--home',
  '--identity',
  '/dev/null',
  '+x',
  '-x',
  '--',
  '\u0000',
  'é',
  'ａ',
  ''.padEnd(5000, 'a'),
  'otpauth://totp/x?secret=',
  '--passphrase-file',
  '--yes',
];

describe('CLI argument fuzzing', () => {
  it('answers every argument list with exit 0/1/2/4, a clean message and no seed', async () => {
    const home = newHome();
    expect(cli(home, ['add', 'canary', '--uri', '-'], { input: canaryUri() }).code).toBe(0);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 20 })), { minLength: 0, maxLength: 6 }),
        fc.constantFrom('', CANARY_SECRET, canaryUri(), 'garbage'),
        async (args, input) => {
          if (args.includes('export')) return;
          const safe = args.map((a) => a.split(String.fromCharCode(0)).join(''));
          const r = await cliAsync(home, safe, { input });
          expect([0, 1, 2, 4]).toContain(r.code);
          expect(r.stderr).not.toMatch(/\n\s+at /);
          expect(r.stderr).not.toMatch(/^totp-mcp: internal error/m);
          expectNoCanary('stdout', r.stdout);
          expectNoCanary('stderr', r.stderr);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  }, 120_000);
});

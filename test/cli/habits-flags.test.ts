// Issue 18 items 6, 8, 9: option combinations refused before anything is read, in process through main().
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readEnv } from '../../src/config.js';
import { ROOT } from '../helpers/build.js';
import { tempDir } from '../helpers/cli.js';
import { memoryIo } from '../helpers/io.js';

const env = { ...readEnv(join(ROOT, 'dist', 'totp-mcp.mjs')), agent: undefined };

describe('usage errors (exit 2), before any vault is opened', () => {
  const cases: [string[], RegExp][] = [
    [['edit', 'a'], /nothing to change/],
    [['edit', 'a', '--algorithm', 'MD5'], /Allowed choices are SHA1, SHA256, SHA512/],
    [['edit', 'Bad Id', '--label', 'x'], /invalid account id/],
    [['edit'], /missing required argument 'id'/],
    [['export', '--png', 'x.png'], /--png and --svg go with --qr/],
    [['export', '--svg', 'x.svg', '--uri'], /--png and --svg go with --qr/],
    [['export', '--qr', 'a', '--png', 'a.png', '--svg', 'a.svg'], /not --png and --svg/],
    [['export', '--google', '--force'], /--force goes with an output file/],
    [['completion', 'tcsh'], /Allowed choices are bash, zsh, fish/],
    [['completion'], /missing required argument 'shell'/],
  ];
  it.each(cases)('%j', async (argv, message) => {
    const io = memoryIo();
    // The home does not exist: an error that needed the vault would say so instead.
    expect(await main(['--home', join(tempDir(), 'none'), ...argv], env, io)).toBe(2);
    expect(io.text().err).toMatch(message);
    expect(io.text().out).toBe('');
  });

  it('completion bash through main prints the script on stdout', async () => {
    const io = memoryIo();
    expect(await main(['completion', 'bash'], env, io)).toBe(0);
    expect(io.text().out).toMatch(/^# bash completion for totp-mcp/);
    expect(io.text().out).toContain(
      "'edit') opts='--issuer --label --digits --period --algorithm --counter --force --help -h'",
    );
  });
});

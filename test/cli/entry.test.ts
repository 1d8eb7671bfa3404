// One way to start: dist/totp-mcp.mjs (an ES module and its lazily loaded chunks) runs every
// command, `serve` included. No second bundle, no hand-made code cache, no build step that runs
// the product.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/build.js';
import { cli, tempDir } from '../helpers/cli.js';

describe('the entry', () => {
  it('is the one file the build makes beside its chunks', () => {
    const dist = readdirSync(join(ROOT, 'dist')).filter((f) => f !== 'lib');
    expect(dist.sort()).toEqual(['chunks', 'totp-mcp.mjs']);
    expect(readdirSync(join(ROOT, 'dist', 'chunks')).every((f) => f.endsWith('.mjs'))).toBe(true);
    const build = readFileSync(join(ROOT, 'scripts', 'bundle.mjs'), 'utf8');
    expect(build).not.toMatch(/child_process|spawn/);
  });

  it('parses `serve` like every other command: a usage error exits 2', () => {
    const bad = cli(join(tempDir(), 'h'), ['serve', '--agent', 'Not Valid']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid agent name/);
    const missing = cli(join(tempDir(), 'h'), ['--home', join(tempDir(), 'nowhere'), 'serve', '--agent', 'a']);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
  });
});

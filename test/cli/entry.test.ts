// How the entry picks its code: `serve` from the CommonJS bundle through V8's code cache, every
// other command from the full CLI. The cache must never be used for a bundle it was not made from.
import { spawnSync } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandOf, GLOBAL_VALUE_OPTIONS } from '../../src/cli/argv.js';
import { processIo } from '../../src/cli/io.js';
import { createCli } from '../../src/cli/program.js';
import { readEnv } from '../../src/config.js';
import { LIB, ROOT } from '../helpers/build.js';
import { cli, tempDir } from '../helpers/cli.js';

describe('the entry', () => {
  it('finds the command word past the global options', () => {
    expect(commandOf(['serve', '--agent', 'a'])).toBe('serve');
    expect(commandOf(['--home', '/h', '--identity', 'serve', 'code', 'x'])).toBe('code');
    expect(commandOf(['--home=/h', '--debug', '--passphrase-command', 'pass show x', 'serve'])).toBe('serve');
    expect(commandOf(['--passphrase-file', 'serve'])).toBeUndefined();
    expect(commandOf(['--version'])).toBeUndefined();
    expect(commandOf(['--unknown', 'serve'])).toBeUndefined();
    expect(commandOf([])).toBeUndefined();
  });

  it('knows exactly the global options that take a value', () => {
    const { program } = createCli(readEnv(join(ROOT, 'dist', 'totp-mcp.mjs')), processIo(true));
    const taking = program.options.filter((o) => o.required || o.optional).map((o) => o.long);
    expect([...taking].sort()).toEqual([...GLOBAL_VALUE_OPTIONS].sort());
  });

  it('serves from the bundle, whose code cache the build made and V8 accepts', () => {
    const bundle = join(ROOT, 'dist', 'totp-mcp-serve.cjs');
    const r = load(bundle);
    expect(r).toEqual({ fromCache: true, exports: ['serveMain'] });
    // And `serve` through the entry parses like the full CLI: a usage error exits 2.
    const bad = cli(join(tempDir(), 'h'), ['serve', '--agent', 'Not Valid']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid agent name/);
  });

  // Each load runs in a fresh process: within one, V8 reuses its in-memory compilation of the same
  // source and never looks at the cache.
  it('uses a code cache only for the exact bundle it was made from', () => {
    const dir = tempDir();
    const file = join(dir, 'b.cjs');
    const source = (n: number) => `exports.value = ${n}; exports.f = function (x) { return x * ${n}; };\n`;
    writeFileSync(file, source(1));
    expect(load(file)).toEqual({ fromCache: false, exports: ['f', 'value'], value: 1 });
    expect(load(file, true)).toEqual({ fromCache: false, exports: ['f', 'value'], value: 1 });
    expect(load(file)).toEqual({ fromCache: true, exports: ['f', 'value'], value: 1 });

    // Rebuilt with the same length (V8 would take the stale cache for it): the stamp refuses it.
    writeFileSync(file, source(2));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(load(file)).toEqual({ fromCache: false, exports: ['f', 'value'], value: 2 });

    // A damaged cache behind a valid stamp: V8 rejects it, and the bundle is compiled.
    load(file, true);
    const cache = `${file}.cache`;
    const raw = readFileSync(cache);
    const stampEnd = raw.indexOf(0x0a) + 1;
    writeFileSync(cache, Buffer.concat([raw.subarray(0, stampEnd), Buffer.alloc(raw.length - stampEnd, 0x5a)]));
    expect(load(file)).toEqual({ fromCache: false, exports: ['f', 'value'], value: 2 });
  });
});

/** Loads `file` through the code cache in a new process; optionally writes the cache at exit. */
function load(file: string, write = false): { fromCache: boolean; exports: string[]; value?: number } {
  const script = [
    `import { loadBundle } from ${JSON.stringify(join(LIB, 'cli', 'code-cache.js'))};`,
    `const b = loadBundle(${JSON.stringify(file)}, ${JSON.stringify(`${file}.cache`)});`,
    write ? 'b.writeCache();' : '',
    'console.log(JSON.stringify({ fromCache: b.fromCache, exports: Object.keys(b.exports).sort(), value: b.exports.value }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { fromCache: boolean; exports: string[]; value?: number };
}

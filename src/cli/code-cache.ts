/**
 * Loading a CommonJS bundle through V8's code cache (Node 20 has no compile cache for ES
 * modules). Compiling the MCP server's bundle is a large part of its start-up; with
 * the cache, V8 reads the bytecode instead of parsing and compiling again.
 *
 * The cache file starts with a stamp of the bundle it was made from (size and mtime): V8 itself
 * checks its own version and flags, and falls back to compiling when they differ, but it does not
 * compare the source text, so a cache left over from an earlier build must never be offered to
 * it. Without a usable cache the bundle is simply compiled: slower, never wrong.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script, constants } from 'node:vm';

const MAGIC = 'totp-mcp code cache 1';

export interface CachedBundle<T> {
  readonly exports: T;
  /** V8 took the cache. */
  readonly fromCache: boolean;
  /** Writes the cache: the bytecode of every function compiled so far (call late, at exit). */
  writeCache(): void;
}

function stampOf(file: string): Buffer {
  const st = statSync(file, { bigint: true });
  return Buffer.from(`${MAGIC} ${st.size}:${st.mtimeNs}\n`, 'utf8');
}

function readCache(cacheFile: string, stamp: Buffer): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  return raw.length > stamp.length && raw.subarray(0, stamp.length).equals(stamp)
    ? raw.subarray(stamp.length)
    : undefined;
}

type Wrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

export function loadBundle<T>(file: string, cacheFile: string): CachedBundle<T> {
  const stamp = stampOf(file);
  const source = readFileSync(file, 'utf8');
  const cachedData = readCache(cacheFile, stamp);
  // The CommonJS wrapper, on the first line so that stack traces keep their line numbers.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData && { cachedData }),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const wrapper = script.runInThisContext() as Wrapper;
  const module = { exports: {} as unknown };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports as T,
    fromCache: cachedData !== undefined && !script.cachedDataRejected,
    writeCache: () => {
      writeFileSync(cacheFile, Buffer.concat([stamp, script.createCachedData()]), { mode: 0o644 });
    },
  };
}

// Builds only when dist/ is missing or older than what it is built from: `npm run demo` right
// after `npm install` (which builds) starts at once. The tests' globalSetup uses the same check.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const INPUTS = ['src', 'scripts/bundle.mjs', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function newest(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (s === undefined) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

/** True when dist/totp-mcp.mjs is missing or older than any of its inputs. */
export function stale(root = ROOT) {
  const built = statSync(join(root, 'dist', 'totp-mcp.mjs'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return INPUTS.some((p) => newest(join(root, p)) > built);
}

/** Runs `npm run build` when stale; throws when the build fails. */
export function buildIfStale(root = ROOT) {
  if (!stale(root)) return false;
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildIfStale();

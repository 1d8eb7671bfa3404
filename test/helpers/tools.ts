import { spawnSync } from 'node:child_process';

/**
 * Interop tests need real reference tools (`age`, `oathtool`, `aws`). On a developer machine
 * without them, the tests skip with a message saying what to install; under CI (CI=true) a
 * missing tool is a failure, so CI can never pass by skipping.
 */
export function requireTool(command: string, debianPackage: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  const message = `${command} not found: install it with 'apt-get install -y ${debianPackage}'`;
  if (process.env['CI']) throw new Error(`${message} (CI requires it)`);
  console.warn(`skipping ${command} interop tests: ${message}`);
  return false;
}

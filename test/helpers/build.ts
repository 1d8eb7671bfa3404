import { join } from 'node:path';
import { buildIfStale } from '../../scripts/build-if-stale.mjs';

/** The repository root, and the built CLI that end-to-end tests run as a real process. */
export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'totp-mcp.mjs');
export const LIB = join(ROOT, 'dist', 'lib');

/** vitest globalSetup: build once when dist/ is missing or older than its inputs (npm test builds first anyway). */
export default function setup(): void {
  buildIfStale(ROOT);
}

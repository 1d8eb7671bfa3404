import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { AuditInput } from '../../src/audit/index.js';
import { Redacted } from '../../src/core/redacted.js';

export const KEY_HEX = '8f1c2a7d9e3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5';
export const key = (): Redacted<Buffer> => new Redacted(Buffer.from(KEY_HEX, 'hex'));
export const otherKey = (): Redacted<Buffer> => new Redacted(Buffer.alloc(32, 7));

const dirs: string[] = [];

/** A fresh state folder, removed after the test. */
export async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'totp-mcp-audit-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

export const sample = (i = 0, over: Partial<AuditInput> = {}): AuditInput => ({
  agent: 'claude-desktop',
  client: { name: 'claude-ai', version: '0.1.0' },
  action: 'code',
  account: `github-${i % 3}`,
  decision: 'allow',
  rule: 'desktop-github',
  reason: 'allowed',
  step: 58_000_000 + i,
  approval: 'none',
  ...over,
});

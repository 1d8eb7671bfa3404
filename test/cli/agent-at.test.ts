// Issue 12 item 2: the CLI's agent path must not take `--at`. Evaluated at now but issued at a
// chosen time, it would hand an agent a future code and dodge `hours`.
import { describe, expect, it } from 'vitest';
import { auditEvents, cli } from '../helpers/cli.js';
import { homeWithPolicy } from '../helpers/policy.js';

const agentEvents = (home: string): unknown[] =>
  auditEvents<{ agent: string | null }>(home).filter((e) => e.agent !== null);

describe('code --at under an agent identity (issue 12 item 2)', () => {
  it('refuses --at with --agent and with TOTP_MCP_AGENT (exit 2, usage error, no code, nothing audited); the agent path without --at still works', () => {
    const home = homeWithPolicy();
    const future = '2026-12-06T12:00:00Z';
    const before = agentEvents(home).length;

    for (const [args, env] of [
      [['code', 'github:alice', '--agent', 'bot', '--at', future], {}],
      [['code', 'github:alice', '--at', future], { TOTP_MCP_AGENT: 'bot' }],
      [['code', 'github:alice', '--agent', 'bot', '--at', future, '--json'], {}],
      [['code', 'github:alice', '--at', '1900000000'], { TOTP_MCP_AGENT: 'bot' }],
    ] as const) {
      const r = cli(home, args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^totp-mcp: --at is not allowed for an agent/);
      expect(r.stderr).not.toMatch(/\b\d{6}\b/);
    }
    // Nothing was decided or recorded for the refused runs.
    expect(agentEvents(home)).toHaveLength(before);

    const ok = cli(home, ['code', 'github:alice', '--agent', 'bot', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).code).toMatch(/^\d{6}$/);
    const viaEnv = cli(home, ['code', 'github:alice'], { env: { TOTP_MCP_AGENT: 'bot' } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toMatch(/^\d{6}\n$/);
    expect(agentEvents(home)).toHaveLength(before + 2);
    // The owner (no agent) keeps --at.
    const owner = cli(home, ['code', 'github:alice', '--at', future]);
    expect(owner.code, owner.stderr).toBe(0);
    expect(owner.stdout).toMatch(/^\d{6}\n$/);
  });
});

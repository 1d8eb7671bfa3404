// The one error model's table: each code's exit code (the CLI's contract: 2 usage, 3 denied,
// 4 vault locked, else 1) and what an agent sees of it, and that a kind set where the error is
// thrown travels unchanged (message and hint) while an owner-facing message never reaches an agent.
import { describe, expect, it } from 'vitest';
import { agentFacing, ERROR_KINDS, refusal, TotpMcpError, type ErrorCode } from '../../src/core/errors.js';

const CODES: [ErrorCode, number, string][] = [
  ['usage', 2, 'invalid_input'],
  ['invalid', 1, 'internal'],
  ['not_found', 1, 'not_found'],
  ['conflict', 1, 'internal'],
  ['denied', 3, 'denied'],
  ['vault_locked', 4, 'vault_locked'],
  ['vault_corrupt', 1, 'internal'],
  ['unsupported_version', 1, 'internal'],
  ['io', 1, 'internal'],
  ['internal', 1, 'internal'],
];

describe('one error model', () => {
  it('maps every code to its exit code and its default agent kind', () => {
    for (const [code, exit, kind] of CODES) {
      const e = new TotpMcpError(code, 'x');
      expect([code, e.exitCode, e.kind, e.forAgent]).toEqual([code, exit, kind, false]);
    }
  });

  it('shows an agent an owner-facing message only where it is safe: internal and locked say fixed text', () => {
    const io = new TotpMcpError('io', 'cannot write /home/alice/.totp-mcp/state/x', { hint: 'free some space' });
    expect(agentFacing(io)).toEqual({ kind: 'internal', message: 'the server could not complete this request' });
    expect(
      agentFacing(new TotpMcpError('vault_locked', 'no identity at /x', { hint: 'set TOTP_MCP_IDENTITY' })),
    ).toEqual({ kind: 'vault_locked', message: 'the vault is locked' });
    expect(agentFacing(new TotpMcpError('usage', 'account ids are short', { hint: 'use a-z' }))).toEqual({
      kind: 'invalid_input',
      message: 'account ids are short',
      hint: 'use a-z',
    });
    expect(agentFacing(new Error('a library quoting its input: SECRET'))).toEqual({
      kind: 'internal',
      message: 'the server could not complete this request',
    });
    const full = new TotpMcpError('io', 'cannot write /x', {
      cause: Object.assign(new Error('x'), { code: 'ENOSPC' }),
    });
    expect(agentFacing(full).message).toBe(
      'the server could not complete this request: the disk of the totp-mcp home is full or read-only',
    );
  });

  it('a kind set where the error is thrown keeps its message and hint; refusals follow the policy exit code', () => {
    const aws = new TotpMcpError('invalid', 'AWS refused', {
      kind: 'aws_error',
      hint: 'check the serial',
      reason: 'x',
    });
    expect(agentFacing(aws)).toEqual({ kind: 'aws_error', message: 'AWS refused', hint: 'check the serial' });
    expect(aws.exitCode).toBe(1);
    for (const kind of ERROR_KINDS) {
      const r = refusal(kind, 'm');
      expect([kind, r.kind, r.forAgent]).toEqual([kind, kind, true]);
      const exit = { vault_locked: 4, invalid_input: 2, not_found: 1, not_configured: 1, aws_error: 1, internal: 1 }[
        kind as string
      ];
      expect([kind, r.exitCode]).toEqual([kind, exit ?? 3]);
    }
  });
});

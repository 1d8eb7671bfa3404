/**
 * Tool results and the error mapping. A success carries `structuredContent` and the same JSON as
 * a text block. A failure is a short, stable `code: message` text with `isError: true`: the code
 * is one of ERROR_CODES, the message is fixed text written by us (AgentError, TotpMcpError), so it
 * never carries a secret, a stack, a path, or an echo of the agent's input beyond an account id.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { AgentError } from '../app/agent.js';
import { diskErrno, isTotpMcpError, TotpMcpError } from '../core/errors.js';

/** Every code an error text can start with (a contract: models and tests key on them). */
export const ERROR_CODES = [
  'denied',
  'not_found',
  'approval_declined',
  'rate_limited',
  'outside_hours',
  'vault_locked',
  'invalid_input',
  'not_configured',
  'aws_error',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function ok(out: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
}

export function toolError(code: ErrorCode, message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }] };
}

/** The account has no AWS settings, or AWS is not available here (audited as `error_invalid`). */
export class NotConfigured extends TotpMcpError {
  constructor(message: string) {
    super('invalid', message);
    this.name = 'NotConfigured';
  }
}

/** AWS refused or failed; the message is the AWS work's fixed text on what to fix. */
export class AwsFailure extends TotpMcpError {
  constructor(message: string) {
    super('io', message);
    this.name = 'AwsFailure';
  }
}

export const INTERNAL_MESSAGE = 'the server could not complete this request';

/** Maps anything thrown below a tool to its stable error result. */
export function errorResult(e: unknown): CallToolResult {
  if (e instanceof AgentError) return toolError(e.agentCode, e.message);
  if (e instanceof NotConfigured) return toolError('not_configured', e.message);
  // Said as such (never a path): the person can free space; retrying will not help until then.
  if (diskErrno(e) !== undefined)
    return toolError('internal', `${INTERNAL_MESSAGE}: the disk of the totp-mcp home is full or read-only`);
  if (isTotpMcpError(e)) {
    switch (e.code) {
      case 'denied':
        return toolError('denied', e.message);
      case 'not_found':
        return toolError('not_found', e.message);
      case 'usage':
        return toolError('invalid_input', e.message);
      case 'vault_locked':
        return toolError('vault_locked', 'the vault is locked');
      default:
        return toolError('internal', INTERNAL_MESSAGE);
    }
  }
  return toolError('internal', INTERNAL_MESSAGE);
}

/**
 * A diagnostic line for stderr under --debug: our own errors by code and fixed message; anything
 * else with its stack (a library's message may quote its input, which is why it never reaches
 * the model and appears only when asked for).
 */
export function diagnostic(e: unknown): string {
  if (e instanceof AgentError) return `${e.agentCode}: ${e.message}`;
  if (isTotpMcpError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return 'a non-Error value was thrown';
}

/**
 * Tool results. A success carries `structuredContent` and the same JSON as a text block. A
 * failure is a short, stable `kind: message` text with `isError: true`, and the hint on a line of
 * its own when there is one: the kind is one of ERROR_KINDS, the message and hint are fixed text
 * written by us where the error was thrown (core/errors.ts maps it, here only rendered), so they
 * never carry a secret, a stack, a path, or an echo of the agent's input beyond an account id.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { agentFacing, isTotpMcpError } from '../core/errors.js';

export function ok(out: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
}

/** Maps anything thrown below a tool to its stable error result. */
export function errorResult(e: unknown): CallToolResult {
  const { kind, message, hint } = agentFacing(e);
  return {
    isError: true,
    content: [
      { type: 'text', text: hint === undefined ? `${kind}: ${message}` : `${kind}: ${message}\nhint: ${hint}` },
    ],
  };
}

/**
 * A diagnostic line for stderr under --debug: our own errors by kind (as the agent saw it) or
 * code, and fixed message; anything else with its stack (a library's message may quote its input,
 * which is why it never reaches the model and appears only when asked for).
 */
export function diagnostic(e: unknown): string {
  if (isTotpMcpError(e)) return `${e.forAgent ? e.kind : e.code}: ${e.message}`;
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return 'a non-Error value was thrown';
}

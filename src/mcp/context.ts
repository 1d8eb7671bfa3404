/**
 * Per-request facts the app needs: who the client says it is (recorded, never trusted), whether
 * it can ask the person (elicitation), and the cancellation signal. Read per request: on the
 * 2026-07-28 era there is no session, each request carries its own envelope; on the 2025 era the
 * `initialize` handshake is the only source.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  type ClientCapabilities,
  type Implementation,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ApprovalAsker, RequestContext } from '../app/agent.js';

/** Self-reported strings are cut before the audit log cleans them (it keeps 64 characters). */
const CLIENT_TEXT_MAX = 256;

const clip = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, CLIENT_TEXT_MAX) : undefined);

interface ClientView {
  client: RequestContext['client'];
  canElicit: boolean;
  /** URL-mode elicitation declared (2025-11-25 and later): the approval page's URL can go through the client. */
  canUrl: boolean;
}

export function clientView(server: McpServer, ctx: ServerContext): ClientView {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  /* eslint-disable @typescript-eslint/no-deprecated -- the 2025 era's only source of client identity */
  const caps =
    (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ??
    server.server.getClientCapabilities();
  const info =
    (envelope?.[CLIENT_INFO_META_KEY] as Partial<Implementation> | undefined) ?? server.server.getClientVersion();
  /* eslint-enable @typescript-eslint/no-deprecated */
  const el: unknown = caps?.elicitation;
  const canElicit = typeof el === 'object' && el !== null && ('form' in el || Object.keys(el).length === 0);
  const canUrl = typeof el === 'object' && el !== null && 'url' in el;
  const name = clip(info?.name);
  return { client: name === undefined ? null : { name, version: clip(info?.version) ?? '' }, canElicit, canUrl };
}

/** The app's request context for one tool call; `approve` where the call may need approval (ApprovalFlow.run). */
export function requestContext(server: McpServer, ctx: ServerContext, approve?: ApprovalAsker): RequestContext {
  return { client: clientView(server, ctx).client, signal: ctx.mcpReq.signal, approve };
}

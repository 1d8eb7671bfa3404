/**
 * Asking the person through the MCP client (inputRequired, or elicitation before it), one form question
 * (`confirm: boolean`) about one subject (app/approval-key.ts: agent × account × action × rule ×
 * policy pin), in either era:
 *
 * - 2026-07-28: the tool returns `inputRequired` with a signed, single-use `requestState` bound to
 *   the subject's key, the tool's name and a digest of its arguments; the client retries the call
 *   with the answer. An answer is taken only for a question this process asked, about this very
 *   subject and call, once, within ten minutes: an accept given for "the code of X" never stands
 *   for an AWS session on X, nor for a session with another role or duration.
 * - 2025 era: the call itself sends `elicitation/create` and waits, at most `timeoutMs`, then
 *   runs the request again with the answer, taken only for the same subject. (Not the SDK's
 *   legacy shim: when the client answers with an error, a malformed result or nothing, the shim
 *   ends the call with its own text, quoting the client, and never comes back, so nothing would
 *   be recorded.) Such a failed round is an answer here: `error` or `timeout`, refused and
 *   audited like a decline, with fixed text.
 *
 * The answer comes from the client, so it is only as trustworthy as the client: a client is the
 * one that shows the question to the person anyway.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  acceptedContent,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
  SdkError,
  SdkErrorCode,
  type CallToolResult,
  type ElicitRequestFormParams,
  type InputRequiredResult,
  type McpServer,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import {
  ApprovalRequired,
  type ApprovalAnswer,
  type ApprovalAsker,
  type ApprovalHow,
  type ApprovalOutcome,
  type RequestContext,
} from '../app/agent.js';
import type { ApprovalBroker } from '../app/approvals/broker.js';
import { approvalKey, type ApprovalSubject } from '../app/approval-key.js';
import { canonicalJson } from '../core/canonical-json.js';
import { clientView, requestContext } from './context.js';
import { Confirm } from './schemas.js';

/** What the signed state holds: no secret, only which question this was and what it was about. */
interface Question {
  readonly n: string;
  /** approvalKey(subject). */
  readonly k: string;
  /** The tool's name. */
  readonly t: string;
  /** argsDigest(arguments). */
  readonly a: string;
}

/** One tool call, as a question is bound to it. */
export interface ToolCall {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
}

const TTL_SECONDS = 600;
const MAX_OPEN_QUESTIONS = 256;
const KEY = 'confirm';
/** How long a 2025-era client may take to answer, by default: under the usual 60 s request timeout of clients. */
const DEFAULT_APPROVAL_TIMEOUT_MS = 55_000;
/** 2025 era: questions asked per call at most (a second one only if the policy changed meanwhile). */
const MAX_LEGACY_ROUNDS = 2;

/** A digest of a call's (validated) arguments: keys sorted, absent ones left out. */
function argsDigest(args: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(canonicalJson(args, true)).digest('hex');
}

/** The elicitation/create parameters of a question (the same form in both eras). */
function formParams(message: string): ElicitRequestFormParams {
  return inputRequired.elicit({ message, requestedSchema: Confirm }).params as ElicitRequestFormParams;
}

export interface ApprovalFlowOptions {
  /** The key signing request states (default: random, per process). */
  key?: Uint8Array | undefined;
  /** 2025 era: how long to wait for the client's answer (default 55 s). */
  timeoutMs?: number | undefined;
  /** The browser and terminal channels (issue 14); absent: only the client can ask. */
  broker?: ApprovalBroker | undefined;
}

export class ApprovalFlow {
  readonly #codec: RequestStateCodec<Question>;
  /** Questions asked and not yet answered: nonce → expiry (ms). */
  readonly #open = new Map<string, number>();
  readonly timeoutMs: number;
  readonly #broker: ApprovalBroker | undefined;
  /** `serve --approval-timeout`, when given: wins over every rule's approval_timeout. */
  readonly #override: number | undefined;

  constructor(opts: ApprovalFlowOptions = {}) {
    this.#codec = createRequestStateCodec<Question>({ key: opts.key ?? randomBytes(32), ttlSeconds: TTL_SECONDS });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    this.#broker = opts.broker;
    this.#override = opts.timeoutMs;
  }

  /**
   * Issue 14: the channels beyond the client's form prompt. The call waits here for the first
   * answer from the page or `totp-mcp approvals`; the page's URL goes to the client as URL-mode
   * elicitation where it declared it (2025 era: a push request; the answer still comes from the
   * page), and progress is reported while waiting when the client gave a progress token.
   */
  #viaBroker(
    server: McpServer,
    ctx: ServerContext,
    subject: ApprovalSubject,
    how: ApprovalHow,
  ): Promise<ApprovalOutcome | 'unavailable'> | 'unavailable' {
    if (this.#broker === undefined) return 'unavailable';
    const view = clientView(server, ctx);
    const token = ctx.mcpReq._meta?.progressToken;
    let step = 0;
    return this.#broker.ask(subject, how, {
      client: view.client,
      signal: ctx.mcpReq.signal,
      sendUrl:
        view.canUrl && ctx.mcpReq.envelope === undefined
          ? async (url, message) => {
              try {
                // The 2025 era's push request, URL mode: the person opens the page from the client.
                // eslint-disable-next-line @typescript-eslint/no-deprecated
                const r = await ctx.mcpReq.elicitInput(
                  { mode: 'url', message, url, elicitationId: randomUUID() },
                  {
                    timeout: this.#override ?? how.timeoutMs,
                    signal: ctx.mcpReq.signal,
                    relatedRequestId: ctx.mcpReq.id,
                  },
                );
                return r.action;
              } catch {
                return 'error';
              }
            }
          : undefined,
      progress:
        token === undefined
          ? undefined
          : (elapsed, total) => {
              step++;
              void ctx.mcpReq
                .notify({
                  method: 'notifications/progress',
                  params: {
                    progressToken: token,
                    progress: step,
                    message: `waiting for the person's approval (${Math.max(0, Math.round((total - elapsed) / 1000))} s left)`,
                  },
                })
                .catch(() => undefined);
            },
    });
  }

  /** For `McpServer` options: a state that fails verification is refused by the SDK (-32602). */
  readonly verify = (state: string, ctx: ServerContext): Promise<Question> => this.#codec.verify(state, ctx);

  /**
   * Runs one tool call that may need the person's approval. `fn` does the work with the request
   * context it is given and lets `ApprovalRequired` through (every other failure it turns into
   * its own result).
   */
  async run(
    server: McpServer,
    ctx: ServerContext,
    call: ToolCall,
    fn: (rc: RequestContext) => Promise<CallToolResult>,
  ): Promise<CallToolResult | InputRequiredResult> {
    const canElicit = clientView(server, ctx).canElicit;
    // The client's own prompt first, where the rule allows it and the client can show it.
    const byClient = (how: ApprovalHow): boolean => canElicit && how.via.includes('client');
    const other = (s: ApprovalSubject, how: ApprovalHow) => this.#viaBroker(server, ctx, s, how);
    if (!canElicit) return fn(requestContext(server, ctx, other));
    if (ctx.mcpReq.envelope !== undefined) {
      try {
        return await fn(
          requestContext(server, ctx, (s, how) => (byClient(how) ? this.answer(ctx, s, call) : other(s, how))),
        );
      } catch (e) {
        if (e instanceof ApprovalRequired) return this.ask(e.question, e.subject, call);
        throw e;
      }
    }
    let asked: { key: string; answer: ApprovalAnswer } | undefined;
    /** The rule's approval_timeout for the question the client is asked (`serve --approval-timeout` overrides it). */
    let waitMs = this.timeoutMs;
    for (let round = 1; ; round++) {
      const approve: ApprovalAsker = (s, how) => {
        if (!byClient(how)) return other(s, how);
        waitMs = this.#override ?? how.timeoutMs;
        return asked !== undefined && approvalKey(s) === asked.key
          ? asked.answer
          : round > MAX_LEGACY_ROUNDS
            ? 'error'
            : 'ask';
      };
      try {
        return await fn(requestContext(server, ctx, approve));
      } catch (e) {
        if (!(e instanceof ApprovalRequired)) throw e;
        asked = { key: approvalKey(e.subject), answer: await this.#elicit(ctx, e.question, waitMs) };
      }
    }
  }

  /** 2025 era: one elicitation/create, bounded; a failure of any kind is an answer, never an echo. */
  async #elicit(ctx: ServerContext, message: string, timeoutMs: number): Promise<ApprovalAnswer> {
    try {
      // The 2025 era's push request (deprecated for 2026-07-28 requests, which never come here).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      const r = await ctx.mcpReq.elicitInput(formParams(message), {
        timeout: timeoutMs,
        signal: ctx.mcpReq.signal,
        relatedRequestId: ctx.mcpReq.id,
      });
      if (r.action === 'cancel') return 'cancelled';
      if (r.action === 'decline') return 'declined';
      return r.content?.['confirm'] === true ? 'confirmed' : 'declined';
    } catch (e) {
      return e instanceof SdkError && e.code === SdkErrorCode.RequestTimeout ? 'timeout' : 'error';
    }
  }

  /** 2026-07-28: the question, as the tool's result, bound to the subject and the call. */
  async ask(message: string, subject: ApprovalSubject, call: ToolCall): Promise<InputRequiredResult> {
    const now = Date.now();
    for (const [n, until] of this.#open)
      if (until <= now || this.#open.size >= MAX_OPEN_QUESTIONS) this.#open.delete(n);
    const n = randomUUID();
    this.#open.set(n, now + TTL_SECONDS * 1000);
    return inputRequired({
      inputRequests: { [KEY]: inputRequired.elicit({ message, requestedSchema: Confirm }) },
      requestState: await this.#codec.mint({ n, k: approvalKey(subject), t: call.tool, a: argsDigest(call.args) }),
    });
  }

  /**
   * 2026-07-28: the person's answer carried by this call, or `ask` when there is none for this
   * subject and call. Accept with `confirm: true` is the only yes; accept with anything else is a no.
   */
  answer(ctx: ServerContext, subject: ApprovalSubject, call: ToolCall): ApprovalAnswer {
    const view = inputResponse(ctx.mcpReq.inputResponses, KEY);
    if (view.kind !== 'elicit') return 'ask';
    const state = ctx.mcpReq.requestState<Question | string>();
    if (
      typeof state !== 'object' ||
      state.k !== approvalKey(subject) ||
      state.t !== call.tool ||
      state.a !== argsDigest(call.args)
    )
      return 'ask';
    if (!this.#open.delete(state.n)) return 'ask';
    if (view.action === 'cancel') return 'cancelled';
    if (view.action === 'decline') return 'declined';
    return acceptedContent(ctx.mcpReq.inputResponses, KEY, Confirm)?.confirm === true ? 'confirmed' : 'declined';
  }
}

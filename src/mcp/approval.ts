/**
 * Asking the person (DESIGN §2: "Approval: inputRequired elicitation"), the same in both eras:
 * the tool returns `inputRequired` with one form question (`confirm: boolean`) and a signed,
 * single-use `requestState` naming the account; the retried call (the 2025-era shim re-runs the
 * handler, a 2026 client retries) carries the answer.
 *
 * The answer comes from the client, so it is only as trustworthy as the client: a client is the
 * one that shows the question to the person anyway. What the state adds: an answer is taken only
 * for a question this process asked, about this account, once, within ten minutes. An answer
 * without such a state is ignored and the question is asked again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  acceptedContent,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
  type InputRequiredResult,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ApprovalAnswer } from '../app/agent.js';
import { Confirm } from './schemas.js';

/** What the signed state holds: no secret, only which question this was. */
interface Question {
  readonly n: string;
  readonly account: string;
}

const TTL_SECONDS = 600;
const MAX_OPEN_QUESTIONS = 256;
const KEY = 'confirm';

export class ApprovalFlow {
  readonly #codec: RequestStateCodec<Question>;
  /** Questions asked and not yet answered: nonce → expiry (ms). */
  readonly #open = new Map<string, number>();

  constructor(key: Uint8Array = randomBytes(32)) {
    this.#codec = createRequestStateCodec<Question>({ key, ttlSeconds: TTL_SECONDS });
  }

  /** For `McpServer` options: a state that fails verification is refused by the SDK (-32602). */
  readonly verify = (state: string, ctx: ServerContext): Promise<Question> => this.#codec.verify(state, ctx);

  /** The question, as the tool's result. */
  async ask(message: string, account: string): Promise<InputRequiredResult> {
    const now = Date.now();
    for (const [n, until] of this.#open) if (until <= now || this.#open.size >= MAX_OPEN_QUESTIONS) this.#open.delete(n);
    const n = randomUUID();
    this.#open.set(n, now + TTL_SECONDS * 1000);
    return inputRequired({
      inputRequests: { [KEY]: inputRequired.elicit({ message, requestedSchema: Confirm }) },
      requestState: await this.#codec.mint({ n, account }),
    });
  }

  /**
   * The person's answer carried by this call, or `ask` when there is none for this account.
   * Accept with `confirm: true` is the only yes; accept with anything else is a no.
   */
  answer(ctx: ServerContext, account: string): ApprovalAnswer {
    const view = inputResponse(ctx.mcpReq.inputResponses, KEY);
    if (view.kind !== 'elicit') return 'ask';
    const state = ctx.mcpReq.requestState<Question | string>();
    if (typeof state !== 'object' || state.account !== account || !this.#open.delete(state.n)) return 'ask';
    if (view.action === 'cancel') return 'cancelled';
    if (view.action === 'decline') return 'declined';
    return acceptedContent(ctx.mcpReq.inputResponses, KEY, Confirm)?.confirm === true ? 'confirmed' : 'declined';
  }
}

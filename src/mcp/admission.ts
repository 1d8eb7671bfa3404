/**
 * Admission of requests into the server: a bound on the work one connection can have in memory.
 *
 * The stdio transport parses every line of a chunk of stdin in one synchronous loop and hands each
 * request to the SDK at once: 60,000 pipelined calls would become 60,000 handlers waiting for the
 * audit log, each with its closures, contexts and promises. Here, at most `maxRunning` requests
 * are with the SDK at a time (from the moment they are handed over until their response is sent),
 * up to `maxWaiting` more wait in arrival order, and any request beyond that is answered at once
 * with a fixed-text JSON-RPC error (`busy`), never executed. Everything else (notifications, the
 * client's answers to our own requests, such as elicitation results) passes straight through: an
 * elicitation answer must never wait behind the calls that wait for it.
 *
 * While the output is backed up (the client does not read what we write) nothing more is started,
 * and the caller stops reading stdin, so a client that stops reading gets no more codes minted
 * for it, and its unread answers cannot pile up in memory.
 *
 * A request the SDK never answers (cancelled by the client, or dropped) would keep its slot for
 * ever: a sweep frees slots held over a whole sweep period whose tool handler is no longer running.
 */
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/server';

/** Requests with the SDK at once (the load tests run 64 calls in flight on one connection). */
const MAX_RUNNING = 64;
/** Requests waiting for a slot, in arrival order; beyond them, `busy`. */
const MAX_WAITING = 1024;
/** JSON-RPC "server error" range: the request was not executed and may be sent again. */
export const BUSY_CODE = -32000;
export const BUSY_MESSAGE = `busy: more than ${MAX_RUNNING + MAX_WAITING} requests are in flight on this connection; this one was not executed, send it again once answers arrive`;
/** How often slots of requests that will never be answered are looked for. */
const SWEEP_MS = 1000;

export type RequestId = string | number;

interface AdmissionHooks {
  /** Hands a message to the SDK. */
  dispatch(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void;
  /** Answers a request with the `busy` error, without executing it. */
  refuse(id: RequestId): void;
  /** Whether a tool handler still runs for this request (InFlight). */
  running(id: RequestId): boolean;
  /** True while the output is backed up: nothing new starts. */
  blocked(): boolean;
  /** Called when a request had to wait because the output is backed up (stop reading input). */
  onBlocked(): void;
}

interface Waiting {
  readonly id: RequestId;
  readonly message: JSONRPCMessage;
  readonly extra: MessageExtraInfo | undefined;
}

const keyOf = (id: RequestId): string => (typeof id === 'number' ? `n${id}` : `s${id}`);

function requestId(message: JSONRPCMessage): RequestId | undefined {
  const m = message as { method?: unknown; id?: unknown };
  if (typeof m.method !== 'string') return undefined;
  return typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined;
}

function cancelledId(message: JSONRPCMessage): RequestId | undefined {
  const m = message as { method?: unknown; params?: { requestId?: unknown } };
  if (m.method !== 'notifications/cancelled') return undefined;
  const id = m.params?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

export class Admission {
  readonly #hooks: AdmissionHooks;
  readonly #maxRunning: number;
  readonly #maxWaiting: number;
  /** Requests handed to the SDK and not answered yet: key → how many (a client may reuse an id). */
  readonly #held = new Map<string, { id: RequestId; n: number }>();
  #heldCount = 0;
  #waiting: Waiting[] = [];
  /** Slots already held at the last sweep. */
  #suspects = new Set<string>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;
  /** A response sent while starting a request (an immediate SDK error) must not recurse into pump. */
  #pumping = false;

  constructor(hooks: AdmissionHooks, opts: { maxRunning?: number; maxWaiting?: number } = {}) {
    this.#hooks = hooks;
    this.#maxRunning = opts.maxRunning ?? MAX_RUNNING;
    this.#maxWaiting = opts.maxWaiting ?? MAX_WAITING;
  }

  /** Requests with the SDK now. */
  get running(): number {
    return this.#heldCount;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** A message from the client. */
  offer(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    const id = requestId(message);
    if (id === undefined) {
      const cancelled = cancelledId(message);
      // A cancelled request that is still waiting is simply dropped (no answer, as the spec says).
      if (cancelled !== undefined) {
        const i = this.#waiting.findIndex((w) => w.id === cancelled);
        if (i !== -1) {
          this.#waiting.splice(i, 1);
          return;
        }
      }
      this.#hooks.dispatch(message, extra);
      return;
    }
    if (this.#waiting.length === 0 && this.#heldCount < this.#maxRunning && !this.#blocked()) {
      this.#start(id, message, extra);
    } else if (this.#waiting.length < this.#maxWaiting) {
      this.#waiting.push({ id, message, extra });
    } else {
      this.#hooks.refuse(id);
    }
  }

  /** A response is being sent for `id`: its slot is free. */
  answered(id: RequestId): void {
    const key = keyOf(id);
    const h = this.#held.get(key);
    if (!h) return;
    this.#release(key, h, 1);
    this.pump();
  }

  /** Starts waiting requests while there is room and the output flows. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && this.#waiting.length > 0 && this.#heldCount < this.#maxRunning && !this.#blocked()) {
        const w = this.#waiting.shift() as Waiting;
        this.#start(w.id, w.message, w.extra);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** The connection ended: waiting requests are dropped (nobody can read their answers). */
  close(): void {
    this.#closed = true;
    this.#waiting = [];
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #blocked(): boolean {
    if (!this.#hooks.blocked()) return false;
    this.#hooks.onBlocked();
    return true;
  }

  #start(id: RequestId, message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    const key = keyOf(id);
    const h = this.#held.get(key);
    if (h) h.n++;
    else this.#held.set(key, { id, n: 1 });
    this.#heldCount++;
    this.#sweeper ??= setInterval(() => {
      this.#sweep();
    }, SWEEP_MS).unref();
    this.#hooks.dispatch(message, extra);
  }

  #release(key: string, h: { id: RequestId; n: number }, n: number): void {
    const k = Math.min(n, h.n);
    h.n -= k;
    this.#heldCount -= k;
    if (h.n === 0) this.#held.delete(key);
  }

  #sweep(): void {
    for (const key of this.#suspects) {
      const h = this.#held.get(key);
      if (h && !this.#hooks.running(h.id)) this.#release(key, h, h.n);
    }
    this.#suspects = new Set(this.#held.keys());
    if (this.#held.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
    this.pump();
  }
}

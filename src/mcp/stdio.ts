/**
 * Serving one agent on stdio, in both protocol eras (`serveStdio` decides per connection).
 * stdout carries JSON-RPC only: the SDK's transport is its only writer. Resolves when the
 * connection ends: stdin closed by the client, or SIGTERM/SIGINT (the handle is closed, which
 * closes the transport). The caller then closes the app service, finishing audit writes.
 */
import { Writable } from 'node:stream';
import type { JSONRPCMessage, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { AgentService } from '../app/agent.js';
import { Admission, BUSY_CODE, BUSY_MESSAGE } from './admission.js';
import type { ApprovalBroker } from '../app/approvals/broker.js';
import { ApprovalFlow } from './approval.js';
import { InFlight } from './inflight.js';
import { diagnostic } from './results.js';
import type { ToolDeps } from './deps.js';
import { createServer } from './server.js';

interface ServeOptions {
  readonly service: AgentService;
  /** The package version, for serverInfo. */
  readonly version: string;
  /** Diagnostics (stderr, --debug only). */
  readonly log?: ((line: string) => void) | undefined;
  readonly awsSession?: ToolDeps['awsSession'];
  /** Where JSON-RPC goes (the process's stdout, from the CLI's io), with stdin as input. */
  readonly stdout?: NodeJS.WritableStream | undefined;
  /** For tests of the wiring; replaces the stdio transport. */
  readonly transport?: Transport | undefined;
  /** 2025 era: how long an approval question may wait for the client's answer (default 55 s). */
  readonly approvalTimeoutMs?: number | undefined;
  /** The browser and terminal approval channels (issue 14). */
  readonly broker?: ApprovalBroker | undefined;
}

/**
 * The transport's stdout. A burst of replies leaves in two writes instead of one each: a batch of
 * audit events made durable together (audit/log.ts) releases up to 64 calls in one cascade of
 * callbacks, and each reply written on its own cost a system call here and a wake-up in the
 * client that reads it. The first reply of a cascade is written at once (a lone reply waits for
 * nothing); a second one corks the stream, and the `process.nextTick` queued by the first (it runs
 * once the cascade's microtasks are all done) uncorks it: the rest go out as one write. Same
 * bytes, same order.
 *
 * Back-pressure is not the SDK's business here: its `send` adds a 'drain' and an 'error' listener
 * per reply whenever `write` returns false, so a hundred replies waiting for a slow reader made
 * Node print MaxListenersExceededWarning. The high-water mark is therefore out of reach, `write`
 * never asks to wait, and the admission (admission.ts) stops starting requests instead while the
 * output is `backedUp`: OUT_HIGH bytes waiting, or bytes waiting on the real stdout with no
 * progress for STALL_MS. Our write callbacks still wait for the real stdout.
 */
export class ReplyWriter extends Writable {
  #cascade: 'none' | 'wrote' | 'corked' = 'none';
  /** A write to the real stdout is in progress since (ms), or null. */
  #pendingSince: number | null = null;
  /** Called whenever a write to the real stdout completes. */
  onProgress: (() => void) | undefined;

  constructor(private readonly out: NodeJS.WritableStream) {
    super({ decodeStrings: false, highWaterMark: NEVER_WAIT });
    // The transport listens for errors on this stream, not on stdout: pass stdout's on (a client
    // gone away: EPIPE), so that they close the transport instead of crashing the process.
    out.on('error', (e: Error) => this.destroy(e));
  }

  /** Called before each reply is written (see the class). */
  beforeReply(): void {
    if (this.#cascade === 'corked') return;
    if (this.#cascade === 'wrote') {
      this.#cascade = 'corked';
      this.cork();
      return;
    }
    this.#cascade = 'wrote';
    process.nextTick(() => {
      if (this.#cascade === 'corked') this.uncork();
      this.#cascade = 'none';
    });
  }

  /** True while the client is not reading fast enough to start more work (see the class). */
  backedUp(now = Date.now()): boolean {
    if (this.writableLength >= OUT_HIGH) return true;
    return this.#pendingSince !== null && now - this.#pendingSince >= STALL_MS;
  }

  #track(callback: (error?: Error | null) => void): (error?: Error | null) => void {
    this.#pendingSince = Date.now();
    return (error) => {
      this.#pendingSince = null;
      callback(error);
      this.onProgress?.();
    };
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (typeof chunk === 'string') this.out.write(chunk, encoding, this.#track(callback));
    else this.out.write(chunk, this.#track(callback));
  }

  override _writev(
    chunks: { chunk: string | Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    const bufs = chunks.map(({ chunk, encoding }) =>
      typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk,
    );
    this.out.write(Buffer.concat(bufs), this.#track(callback));
  }
}

/** A high-water mark `write` never reaches (see ReplyWriter). */
const NEVER_WAIT = 2 ** 40;
/** Bytes of answers waiting for the client beyond which no new request starts. */
const OUT_HIGH = 1 << 20;
/** How long the client may leave our output unread before no new request starts. */
const STALL_MS = 2000;

/**
 * Forwards to the real transport and tells us when it has closed (serveStdio owns `onclose`).
 * Requests pass the admission (admission.ts) on the way in; responses free their slot on the way
 * out. While the output is backed up, stdin is paused (the client's own writes then wait).
 */
class WatchedTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];
  readonly #admission: Admission;
  #inputPaused = false;

  constructor(
    private readonly inner: Transport,
    closed: () => void,
    inflight: InFlight,
    private readonly out?: ReplyWriter,
    private readonly input?: { pause(): unknown; resume(): unknown },
  ) {
    this.#admission = new Admission({
      dispatch: (message, extra) => this.onmessage?.(message, extra),
      refuse: (id) => {
        this.#send({ jsonrpc: '2.0', id, error: { code: BUSY_CODE, message: BUSY_MESSAGE } }).catch(() => undefined);
      },
      running: (id) => inflight.has(id),
      blocked: () => this.out?.backedUp() ?? false,
      onBlocked: () => {
        if (this.#inputPaused || !this.input) return;
        this.#inputPaused = true;
        this.input.pause();
      },
    });
    if (out) {
      out.onProgress = () => {
        if (this.#inputPaused && !out.backedUp()) {
          this.#inputPaused = false;
          this.input?.resume();
        }
        this.#admission.pump();
      };
    }
    inner.onmessage = (message, extra) => {
      this.#admission.offer(message, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      this.#admission.close();
      this.onclose?.();
      closed();
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const sent = this.#send(message, options);
    const m = message as { id?: unknown; method?: unknown };
    if (
      m.method === undefined &&
      (typeof m.id === 'number' || typeof m.id === 'string') &&
      ('result' in message || 'error' in message)
    ) {
      this.#admission.answered(m.id);
    }
    return sent;
  }

  #send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.out?.beforeReply();
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** Longest wait for calls in progress at shutdown (a cross-process limits lock can take a while). */
const DRAIN_TIMEOUT_MS = 10_000;

export async function serveAgent(opts: ServeOptions): Promise<void> {
  const log = opts.log;
  const approvals = new ApprovalFlow({ timeoutMs: opts.approvalTimeoutMs, broker: opts.broker });
  const inflight = new InFlight();
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const out = opts.transport || !opts.stdout ? undefined : new ReplyWriter(opts.stdout);
  const stdin = opts.transport ? undefined : process.stdin;
  const wire = new WatchedTransport(
    opts.transport ?? new StdioServerTransport(stdin, out),
    () => {
      ended();
    },
    inflight,
    out,
    stdin,
  );
  const handle = serveStdio(
    ({ era }) => {
      log?.(`connection: ${era} era`);
      return createServer({
        service: opts.service,
        version: opts.version,
        approvals,
        inflight,
        log,
        awsSession: opts.awsSession,
      });
    },
    { transport: wire, onerror: (e) => log?.(`protocol: ${diagnostic(e)}`) },
  );
  const stop = (signal: string): void => {
    log?.(`${signal}: closing`);
    void handle.close();
  };
  for (const s of SIGNALS) process.on(s, stop);
  try {
    await done;
    // The SDK has aborted the calls in progress (no answer can be sent); let them settle, so each
    // one's audit event is written or its refusal recorded before the caller closes the log.
    if (inflight.size > 0) log?.(`waiting for ${inflight.size} call(s) in progress`);
    await inflight.drain(DRAIN_TIMEOUT_MS);
  } finally {
    for (const s of SIGNALS) process.off(s, stop);
  }
}

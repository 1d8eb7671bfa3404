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
import { ApprovalFlow } from './approval.js';
import { InFlight } from './inflight.js';
import { diagnostic } from './results.js';
import type { ToolDeps } from './deps.js';
import { createServer } from './server.js';

export interface ServeOptions {
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
}

/**
 * The transport's stdout. A burst of replies leaves in two writes instead of one each: a batch of
 * audit events made durable together (audit/log.ts) releases up to 64 calls in one cascade of
 * callbacks, and each reply written on its own cost a system call here and a wake-up in the
 * client that reads it. The first reply of a cascade is written at once (a lone reply waits for
 * nothing); a second one corks the stream, and the `process.nextTick` queued by the first (it runs
 * once the cascade's microtasks are all done) uncorks it: the rest go out as one write. Same
 * bytes, same order. The high-water mark is above any burst, so the SDK's `send` does not wait for
 * 'drain' here; our write callbacks still wait for the real stdout.
 */
export class ReplyWriter extends Writable {
  #cascade: 'none' | 'wrote' | 'corked' = 'none';

  constructor(private readonly out: NodeJS.WritableStream) {
    super({ decodeStrings: false, highWaterMark: 1 << 20 });
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

  override _write(chunk: string | Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (typeof chunk === 'string') this.out.write(chunk, encoding, callback);
    else this.out.write(chunk, callback);
  }

  override _writev(chunks: { chunk: string | Buffer; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    const bufs = chunks.map(({ chunk, encoding }) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk));
    this.out.write(Buffer.concat(bufs), callback);
  }
}

/** Forwards to the real transport and tells us when it has closed (serveStdio owns `onclose`). */
class WatchedTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  constructor(
    private readonly inner: Transport,
    closed: () => void,
    private readonly out?: ReplyWriter,
  ) {
    inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      this.onclose?.();
      closed();
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
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
  const approvals = new ApprovalFlow({ timeoutMs: opts.approvalTimeoutMs });
  const inflight = new InFlight();
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const out = opts.transport || !opts.stdout ? undefined : new ReplyWriter(opts.stdout);
  const wire = new WatchedTransport(
    opts.transport ?? new StdioServerTransport(undefined, out),
    () => {
      ended();
    },
    out,
  );
  const handle = serveStdio(
    ({ era }) => {
      log?.(`connection: ${era} era`);
      return createServer({ service: opts.service, version: opts.version, approvals, inflight, log, awsSession: opts.awsSession });
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

/**
 * Serving one agent on stdio, in both protocol eras (`serveStdio` decides per connection).
 * stdout carries JSON-RPC only: the SDK's transport is its only writer. Resolves when the
 * connection ends: stdin closed by the client, or SIGTERM/SIGINT (the handle is closed, which
 * closes the transport). The caller then closes the app service, finishing audit writes.
 */
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
  /** For tests of the wiring; defaults to the process's stdio. */
  readonly transport?: Transport | undefined;
}

/** Forwards to the real transport and tells us when it has closed (serveStdio owns `onclose`). */
class WatchedTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  constructor(
    private readonly inner: Transport,
    closed: () => void,
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
  const approvals = new ApprovalFlow();
  const inflight = new InFlight();
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const wire = new WatchedTransport(opts.transport ?? new StdioServerTransport(), () => {
    ended();
  });
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

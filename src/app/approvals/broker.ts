/**
 * The approval broker (issue 14): one open question per request that needs the person, asked on
 * every channel the rule allows beyond the client's own prompt (which the MCP front runs itself):
 * the loopback page (browser) and the notice board read by `totp-mcp approvals` (terminal). The
 * first answer from any channel wins; the others are closed at once. No answer in time: `expired`;
 * the client cancels the call: `withdrawn`. The agent service records whichever it was, with the
 * channel, before anything is released.
 */
import { randomBytes } from 'node:crypto';
import type { AuditClient } from '../../audit/event.js';
import type { ApprovalHow, ApprovalOutcome } from '../agent.js';
import { approvalKey, approvalQuestion, type ApprovalSubject } from '../approval-key.js';
import { auditKey } from '../audit.js';
import type { AppContext } from '../context.js';
import { Board, boardKey, type BoardQuestion } from './board.js';
import { findNotifier, findOpener, notify, openUrl, type OpenerEnv } from './opener.js';
import { ApprovalPage, type PageDecision, type PageQuestion } from './page.js';

/** How often a waiting server looks for a terminal answer. */
const BOARD_POLL_MS = 200;
/** How often progress is reported to a client that asked for it. */
const PROGRESS_MS = 5_000;

export interface BrokerOptions {
  readonly ctx: AppContext;
  readonly env: OpenerEnv;
  /** `serve --approval-timeout`: overrides every rule's approval_timeout. */
  readonly timeoutOverrideMs?: number | undefined;
  /** Diagnostics (--debug): never a URL (its token opens the page), never a secret. */
  readonly log?: ((line: string) => void) | undefined;
}

/** What the client can carry for this call. */
export interface AskOptions {
  readonly client: AuditClient | null;
  readonly signal?: AbortSignal | undefined;
  /** URL-mode elicitation, when the client declared it: the client shows the URL; resolves with its action. */
  readonly sendUrl?: ((url: string, message: string) => Promise<'accept' | 'decline' | 'cancel' | 'error'>) | undefined;
  /** Called every few seconds while the question is open (MCP progress notifications). */
  readonly progress?: ((elapsedMs: number, totalMs: number) => void) | undefined;
}

const label = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

export class ApprovalBroker {
  readonly #page = new ApprovalPage();
  #board: Promise<Board> | undefined;
  readonly #open = new Set<() => void>();

  constructor(readonly opts: BrokerOptions) {}

  /** For `doctor` and tests: whether a page could be opened and a notification sent. */
  channels(): { opener: string | null; notifier: string | null } {
    return {
      opener: findOpener(this.opts.env)?.command ?? null,
      notifier: findNotifier(this.opts.env)?.command ?? null,
    };
  }

  #boardFor(): Promise<Board> {
    this.#board ??= (async () => {
      const payload = await (await this.opts.ctx.vault()).read();
      return new Board(this.opts.ctx.paths.state, boardKey(auditKey(payload).reveal()));
    })();
    return this.#board;
  }

  /**
   * Asks on the browser and terminal channels the rule allows; `unavailable` when it allows
   * neither, or only a browser that cannot be shown.
   */
  async ask(subject: ApprovalSubject, how: ApprovalHow, o: AskOptions): Promise<ApprovalOutcome | 'unavailable'> {
    const opener = findOpener(this.opts.env);
    const browser = how.via.includes('browser') && (o.sendUrl !== undefined || opener !== null);
    const terminal = how.via.includes('terminal');
    if (!browser && !terminal) return 'unavailable';
    if (o.signal?.aborted) return { answer: 'withdrawn', channel: null };

    const timeoutMs = this.opts.timeoutOverrideMs ?? how.timeoutMs;
    const askedAt = Date.now();
    const expiresAt = askedAt + timeoutMs;
    const id = randomBytes(16).toString('hex');
    const key = approvalKey(subject);
    const question = approvalQuestion(subject);
    const ttl = how.ttlSeconds ?? null;

    let settle!: (o: ApprovalOutcome) => void;
    const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
    let done = false;
    const finish = (out: ApprovalOutcome): void => {
      if (done) return;
      done = true;
      settle(out);
    };

    const cleanups: (() => void)[] = [];
    const timer = setTimeout(() => {
      finish({ answer: 'expired', channel: null });
    }, timeoutMs);
    cleanups.push(() => {
      clearTimeout(timer);
    });
    const onAbort = (): void => {
      finish({ answer: 'withdrawn', channel: null });
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => o.signal?.removeEventListener('abort', onAbort));
    if (o.progress) {
      const report = o.progress;
      report(0, timeoutMs);
      const tick = setInterval(() => {
        report(Date.now() - askedAt, timeoutMs);
      }, PROGRESS_MS);
      cleanups.push(() => {
        clearInterval(tick);
      });
    }

    let token: string | undefined;
    const closePage = (why: 'answered' | 'expired' | 'withdrawn'): void => {
      if (token !== undefined) this.#page.close(token, why);
    };
    const via: string[] = [];
    try {
      if (browser) {
        const pq: PageQuestion = {
          agent: subject.agent,
          client: o.client?.name ?? null,
          account: subject.account,
          action:
            subject.action === 'aws_session'
              ? 'AWS session'
              : subject.action === 'code'
                ? 'one-time code'
                : subject.action === 'fill'
                  ? 'one-time code, filled into its browser'
                  : subject.action,
          details:
            subject.aws === undefined
              ? []
              : [
                  ['Role', subject.aws.role ?? "the MFA user's own session"],
                  [
                    'Duration',
                    subject.aws.duration_seconds !== null
                      ? label(subject.aws.duration_seconds)
                      : subject.aws.max_duration_seconds !== undefined
                        ? `default (at most ${label(subject.aws.max_duration_seconds)})`
                        : 'default',
                  ],
                  ['Delivery', subject.aws.delivery],
                ],
          question,
          askedAt,
          expiresAt,
          ttlLabel: ttl === null ? null : label(ttl),
        };
        const added = await this.#page.add(pq, (d: PageDecision) => {
          finish(
            d === 'deny'
              ? { answer: 'declined', channel: 'browser' }
              : { answer: 'confirmed', channel: 'browser', rememberSeconds: d === 'ttl' ? (ttl ?? 0) : 0 },
          );
        });
        token = added.token;
        if (o.sendUrl) {
          via.push('url-elicitation');
          // The client shows the URL; declining it there is the person's no.
          void o.sendUrl(added.url, question).then((action) => {
            if (action === 'decline' || action === 'cancel') finish({ answer: 'declined', channel: 'client' });
          });
        } else if (opener !== null) {
          via.push('opener');
          openUrl(opener, added.url);
        }
      }
      const notifier = o.sendUrl ? null : findNotifier(this.opts.env);
      if (notifier !== null)
        notify(
          notifier,
          browser
            ? `Agent ${subject.agent} asks for ${subject.account}: see the page that opened.`
            : `Agent ${subject.agent} asks for ${subject.account}: run 'totp-mcp approvals'.`,
        );
      if (terminal) {
        const board = await this.#boardFor();
        const q: BoardQuestion = {
          id,
          agent: subject.agent,
          client: o.client?.name ?? null,
          account: subject.account,
          action: subject.action,
          role: subject.aws?.role ?? null,
          duration_seconds: subject.aws?.duration_seconds ?? null,
          delivery: subject.aws?.delivery ?? null,
          asked_at: new Date(askedAt).toISOString(),
          expires_at: new Date(expiresAt).toISOString(),
          ttl_seconds: ttl,
        };
        await board.publish({ q, key, pid: process.pid });
        via.push('board');
        cleanups.push(() => void board.withdraw(id));
        let polling = false;
        const poll = setInterval(() => {
          if (polling) return;
          polling = true;
          void board
            .take(id, key)
            .then((a) => {
              if (a === undefined) return;
              finish(
                a.answer === 'declined'
                  ? { answer: 'declined', channel: 'terminal' }
                  : {
                      answer: 'confirmed',
                      channel: 'terminal',
                      rememberSeconds: Math.min(a.remember_seconds, ttl ?? 0),
                    },
              );
            })
            .finally(() => (polling = false));
        }, BOARD_POLL_MS);
        cleanups.push(() => {
          clearInterval(poll);
        });
      }
      this.opts.log?.(`approval ${id.slice(0, 8)} open (${via.join(', ') || 'nothing'}), ${timeoutMs / 1000} s`);
      const stop = (): void => {
        finish({ answer: 'withdrawn', channel: null });
      };
      this.#open.add(stop);
      cleanups.push(() => this.#open.delete(stop));
      const out = await outcome;
      closePage(out.answer === 'expired' ? 'expired' : out.answer === 'withdrawn' ? 'withdrawn' : 'answered');
      this.opts.log?.(`approval ${id.slice(0, 8)}: ${out.answer}${out.channel ? ` via ${out.channel}` : ''}`);
      return out;
    } finally {
      done = true;
      for (const c of cleanups) c();
      closePage('withdrawn');
    }
  }

  /** Withdraws every open question and stops the listener (server shutdown). */
  close(): void {
    for (const stop of [...this.#open]) stop();
    this.#page.stop();
  }
}

/**
 * Usage counts as one writer sees them: the log's usage index (usage.ts: every process, every
 * restart) plus this writer's events that the index may not have read yet (queued, or written
 * since its last refresh). A caller that counts, decides and appends in one synchronous step can
 * then never overshoot a limit through concurrent requests in this process.
 */
import type { Redacted } from '../core/redacted.js';
import type { AuditAction, CheckedInput } from './event.js';
import { usageIndexFor, type UsageQuery } from './usage.js';

/** One event of this writer, until the index has read it (rule "" unless an allow by a rule). */
export interface OwnEvent {
  readonly action: AuditAction;
  readonly rule: string;
  readonly agent: string | null;
  readonly account: string | null;
  readonly tsMs: number;
  /** Set once written (before the write: the index may read the line at once). */
  seq?: number;
}

export interface Usage {
  count(q: UsageQuery): number;
  calls(agent: string, sinceMs: number): number;
}

export class PendingUsage {
  readonly #stateDir: string;
  readonly #key: Redacted<Buffer>;
  #own: OwnEvent[] = [];
  /** Own events are tracked once someone has asked for usage counts. */
  #tracking = false;
  #pruning = false;

  constructor(stateDir: string, key: Redacted<Buffer>) {
    this.#stateDir = stateDir;
    this.#key = key;
  }

  /** Called as an event is queued: its entry, when counts are asked for. */
  track(checked: CheckedInput, tsMs: number): OwnEvent | undefined {
    if (!this.#tracking) return undefined;
    const rule = checked.decision === 'allow' && checked.rule !== null ? checked.rule : '';
    const own: OwnEvent = { action: checked.action, rule, agent: checked.agent, account: checked.account, tsMs };
    this.#own.push(own);
    return own;
  }

  /** An event that was not written is not counted. */
  drop(own: OwnEvent): void {
    this.#own = this.#own.filter((o) => o !== own);
  }

  /**
   * Refreshes the usage index (from `sinceMs` on, when given), then returns a synchronous counter
   * that also sees every event queued up to the moment it is called.
   */
  async usage(sinceMs?: number): Promise<Usage> {
    this.#tracking = true;
    const index = usageIndexFor(this.#stateDir);
    index.useKey(this.#key);
    await index.refresh(sinceMs);
    this.#prune(index.maxSeq);
    return {
      calls: (agent, since) => {
        const indexed = index.maxSeq;
        let n = index.countCalls(agent, since);
        for (const o of this.#own) {
          if (o.seq !== undefined && o.seq <= indexed) continue;
          if (o.agent === agent && o.tsMs >= since) n++;
        }
        return n;
      },
      count: (q) => {
        const indexed = index.maxSeq;
        let n = index.count(q);
        const actions = q.actions ?? index.countedActions;
        for (const o of this.#own) {
          if (o.seq !== undefined && o.seq <= indexed) continue; // the index has it
          if (o.rule !== q.rule || o.agent !== q.agent || !actions.includes(o.action)) continue;
          if (q.account !== undefined && o.account !== q.account) continue;
          if (o.tsMs >= q.sinceMs) n++;
        }
        return n;
      },
    };
  }

  #prune(indexed: number): void {
    this.#own = this.#own.filter((o) => o.seq === undefined || o.seq > indexed);
  }

  /** Keeps the list short when nobody asks for counts for a while; called after each batch. */
  maybePrune(): void {
    if (this.#own.length < 1024 || this.#pruning) return;
    this.#pruning = true;
    const index = usageIndexFor(this.#stateDir);
    void index
      .refresh()
      .then(() => {
        this.#prune(index.maxSeq);
      })
      .catch(() => undefined)
      .finally(() => (this.#pruning = false));
  }
}

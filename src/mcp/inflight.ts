/**
 * Tool calls in progress. When the connection ends (stdin closed, SIGTERM), the SDK aborts them
 * and answers none; the server still lets each one finish (its audit event written, or its
 * refusal recorded) before it closes the audit log, instead of failing them half-way.
 */
export class InFlight {
  readonly #running = new Set<Promise<unknown>>();

  get size(): number {
    return this.#running.size;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.#running.add(p);
    const done = (): void => {
      this.#running.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Resolves when every tracked call has settled, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#running]), timeout]);
    clearTimeout(timer);
  }
}

/**
 * Tool calls in progress. When the connection ends (stdin closed, SIGTERM), the SDK aborts them
 * and answers none; the server still lets each one finish (its audit event written, or its
 * refusal recorded) before it closes the audit log, instead of failing them half-way.
 */
export class InFlight {
  readonly #running = new Set<Promise<unknown>>();
  /** Calls in progress per JSON-RPC request id, for the admission sweep (admission.ts). */
  readonly #ids = new Map<string | number, number>();

  get size(): number {
    return this.#running.size;
  }

  /** Whether a call of this request id is in progress. */
  has(id: string | number): boolean {
    return this.#ids.has(id);
  }

  run<T>(fn: () => Promise<T>, id?: string | number): Promise<T> {
    const p = fn();
    this.#running.add(p);
    if (id !== undefined) this.#ids.set(id, (this.#ids.get(id) ?? 0) + 1);
    const done = (): void => {
      this.#running.delete(p);
      if (id === undefined) return;
      const n = (this.#ids.get(id) ?? 1) - 1;
      if (n > 0) this.#ids.set(id, n);
      else this.#ids.delete(id);
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

/**
 * Concurrent callers of the returned function share one run of `fn`: while it is in flight, a new
 * call gets the same promise; the next call after it settles starts a fresh run. Used for the
 * per-request `stat` of the vault and the policy: 64 requests in flight cost one stat, and every
 * request still sees the file as it was at most one stat ago (never a cached answer from before
 * the request arrived and after the stat settled).
 */
export function singleFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= fn().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

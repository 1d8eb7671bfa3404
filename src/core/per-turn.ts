/**
 * `fn`'s answer, shared by every caller within one turn of the event loop, and asked again in the
 * next turn. Used for the per-request stat of the vault and the policy file: 64 requests decoded
 * from one read of stdin cost one stat, and each still sees the file as it was during its own
 * turn (no file operation can complete within a turn, so nothing is missed that a stat per
 * request would have seen). A throw is not remembered.
 */
export function perTurn<T>(fn: () => T): () => T {
  let memo: { value: T } | undefined;
  return () => {
    if (memo) return memo.value;
    const value = fn();
    memo = { value };
    setImmediate(() => {
      memo = undefined;
    }).unref();
    return value;
  };
}

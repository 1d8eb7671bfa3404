/**
 * The longest window anything in a policy counts over: a rule's `limit.per` or an agent's
 * `max_calls.per`. Audit retention keeps every event inside it, and the usage index reads no
 * further back (audit/retention.ts).
 */
import type { Policy } from './types.js';

export function longestWindowSeconds(policy: Policy): number {
  let longest = 0;
  for (const r of policy.rules) if (r.limit) longest = Math.max(longest, r.limit.per_seconds);
  for (const a of policy.agents.values()) if (a.max_calls) longest = Math.max(longest, a.max_calls.per_seconds);
  return longest;
}

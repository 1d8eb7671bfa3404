import { TotpMcpError } from '../../src/core/errors.js';
import { parsePolicy, type EvalContext, type Policy } from '../../src/policy/index.js';

/** The design's example policy: every kind of rule (allow, deny, hours, limits, AWS, approval). */
export const DESIGN_POLICY = `version: 1
agents:
  claude-desktop: { description: desktop assistant }
  terraform: {}
rules:
  - id: desktop-github
    agents: [claude-desktop]
    accounts: ["github*", "tag:personal"]
    actions: [list, code]
    approval: confirm          # none | confirm
    approval_ttl: 15m
    limit: { count: 10, per: 1h }
    hours: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "20:00", tz: Europe/Berlin }
  - id: terraform-prod
    agents: [terraform]
    accounts: [aws-prod]
    actions: [aws_session]
    aws: { roles: [deploy], max_duration: 1h, delivery: [credential_process, profile] }   # delivery ⊆ credential_process|profile|exec|container|inline
  - id: never-bank
    effect: deny               # allow (default) | deny
    agents: ["*"]
    accounts: ["tag:bank"]
`;

export const parse = (text: string): Policy => parsePolicy(text, 'policy.yaml');

/** The error parsePolicy throws, or a test failure when it does not throw one. */
export function parseError(text: string): TotpMcpError {
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (e) {
    if (e instanceof TotpMcpError) return e;
    throw e;
  }
  throw new Error('expected parsePolicy to throw');
}

/** 1-based line of the first line of `text` containing `marker`. */
export function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker not found: ${marker}`);
  return i + 1;
}

/** Wednesday 2025-06-04 10:00 UTC (12:00 in Berlin). */
export const WED_NOON = Date.UTC(2025, 5, 4, 10, 0);
/** Saturday 2025-06-07 10:00 UTC. */
export const SAT_NOON = Date.UTC(2025, 5, 7, 10, 0);

export const ctxAt = (now: number, used = 0): EvalContext => ({ now, usage: () => used });

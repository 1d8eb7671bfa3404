import { explainRequest } from '../../app/explain.js';
import { applyPolicy, checkPolicy, initPolicy } from '../../app/policy-file.js';
import { parseTime } from '../../core/clock.js';
import { checkDuration } from '../../core/duration.js';
import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

interface Warning {
  code: string;
  rule?: string | undefined;
  message: string;
}
const printWarnings = (rt: Runtime, warnings: readonly Warning[]): void => {
  for (const w of warnings) rt.io.out(`warning: ${w.message}\n`);
};

/**
 * What the starter (src/policy/starter.ts) allows once applied, in plain words: it is not a
 * deny-all, and a person should know before applying it. A test checks each line with `explain`.
 */
const STARTER_SUMMARY = `It is not applied yet: until 'totp-mcp policy apply', every agent request is denied.
Applied as written, it allows:
  - claude-desktop: list and code for "github*" and tag:personal accounts, weekdays 08:00-20:00 Europe/Berlin,
    at most 10 an hour, each use confirmed in the client (a confirmation lasts 15m)
  - terraform: aws_session for aws-prod (role deploy, at most 1h, via credential_process or profile)
    and for "aws-staging*" on weeknights 22:00-06:00 UTC (any role and duration; never inline)
and it denies anything tagged bank, to every agent, and every other request.
`;

export async function runPolicyInit(rt: Runtime): Promise<void> {
  const path = await initPolicy(rt.ctx);
  rt.io.out(
    `wrote ${path}: a commented starter policy.\n${STARTER_SUMMARY}edit it, then: totp-mcp policy check && totp-mcp policy apply\n`,
  );
}

export async function runPolicyCheck(rt: Runtime): Promise<void> {
  const r = await checkPolicy(rt.ctx);
  printWarnings(rt, r.warnings);
  rt.io.out(
    `policy.yaml is valid: ${r.policy.rules.length} rule(s), ${r.policy.agents.size} agent(s), ${r.warnings.length} warning(s)\n`,
  );
  if (!r.pinned) rt.io.out("it is not applied yet: agents are denied until 'totp-mcp policy apply'\n");
}

export async function runPolicyApply(rt: Runtime): Promise<void> {
  const r = await applyPolicy(rt.ctx);
  printWarnings(rt, r.warnings);
  rt.io.out(
    r.previous === r.hash
      ? `policy unchanged (sha256 ${r.hash})\n`
      : `applied policy.yaml (sha256 ${r.hash}); agents now follow it\n`,
  );
}

export interface ExplainOptions {
  agent: string;
  account: string;
  action: string;
  at?: string;
  role?: string;
  duration?: string;
  delivery?: string;
  json?: boolean;
}

export async function runPolicyExplain(rt: Runtime, o: ExplainOptions): Promise<void> {
  const at = o.at === undefined ? rt.clock.now() : parseTime(o.at);
  if (at === undefined) fail('usage', '--at takes ISO 8601 or Unix seconds');
  const duration = o.duration === undefined ? undefined : checkDuration(o.duration, '--duration', { bare: true });
  const r = await explainRequest(rt.ctx, {
    agent: o.agent,
    account: o.account,
    action: o.action,
    at,
    aws:
      o.role === undefined && duration === undefined && o.delivery === undefined
        ? undefined
        : { role: o.role, duration_seconds: duration, delivery: o.delivery },
  });
  if (o.json) rt.io.out(`${JSON.stringify(r.explanation, null, 2)}\n`);
  else rt.io.out(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
  if (!r.pinned)
    rt.io.err(
      "note: this is the policy.yaml on disk, which is not applied: agents are denied until 'totp-mcp policy apply'\n",
    );
  if (r.explanation.decision.decision === 'deny') rt.exitCode = 3;
}

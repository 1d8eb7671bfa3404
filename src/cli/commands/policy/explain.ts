/** `totp-mcp policy explain`: the decision an agent would get, and why (exit 3 on deny). */
import { Option, type Command, type OptionValues } from 'commander';
import { parseTime } from '../../../core/clock.js';
import { checkDuration } from '../../../core/duration.js';
import { fail } from '../../../core/errors.js';
import { ACTIONS } from '../../../core/vocab.js';
import { flagBool, flagChoice, flagString, type CommandUnit, type Deps } from '../../unit.js';

export interface ExplainOptions {
  agent: string;
  account: string;
  action: (typeof ACTIONS)[number];
  /** Milliseconds; absent: now, by the clock. */
  at?: number;
  aws?: { role?: string | undefined; duration_seconds?: number | undefined; delivery?: string | undefined };
  json: boolean;
}

export const policyExplainCommand: CommandUnit<ExplainOptions> = {
  define: (parent: Command) =>
    parent
      .command('explain')
      .description('the decision an agent would get, the deciding rule and its conditions (exit 3 on deny)')
      .requiredOption('--agent <name>', 'the agent')
      .requiredOption('--account <id>', 'the account')
      .addOption(new Option('--action <action>', 'what it asks for').choices(ACTIONS).default('code'))
      .option('--at <time>', 'at TIME: ISO 8601 or Unix seconds (default: now)')
      .option('--role <name>', 'aws_session: the role')
      .option('--duration <duration>', 'aws_session: the duration (90s, 15m, 1h30m, 12h, 1d)')
      .option('--delivery <how>', 'aws_session: credential_process, profile, exec, container or inline')
      .option('--json', 'the explanation as JSON'),

  options(_args: readonly unknown[], flags: OptionValues): ExplainOptions {
    const atText = flagString(flags, 'at');
    const at = atText === undefined ? undefined : parseTime(atText);
    if (atText !== undefined && at === undefined) fail('usage', '--at takes ISO 8601 or Unix seconds');
    const d = flagString(flags, 'duration');
    const duration = d === undefined ? undefined : checkDuration(d, '--duration', { bare: true });
    const role = flagString(flags, 'role');
    const delivery = flagString(flags, 'delivery');
    return {
      agent: flagString(flags, 'agent') ?? fail('usage', '--agent is required'),
      account: flagString(flags, 'account') ?? fail('usage', '--account is required'),
      action: flagChoice(flags, 'action', ACTIONS) ?? 'code',
      ...(at !== undefined && { at }),
      ...((role !== undefined || duration !== undefined || delivery !== undefined) && {
        aws: { role, duration_seconds: duration, delivery },
      }),
      json: flagBool(flags, 'json'),
    };
  },

  async run(o: ExplainOptions, { rt, clock }: Deps): Promise<void> {
    const { explainRequest } = await import('../../../app/explain.js');
    const r = await explainRequest(rt.ctx, {
      agent: o.agent,
      account: o.account,
      action: o.action,
      at: o.at ?? clock.now(),
      aws: o.aws,
    });
    if (o.json) rt.io.out(`${JSON.stringify(r.explanation, null, 2)}\n`);
    else rt.io.out(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
    if (!r.pinned)
      rt.io.err(
        "note: this is the policy.yaml on disk, which is not applied: agents are denied until 'totp-mcp policy apply'\n",
      );
    if (r.explanation.decision.decision === 'deny') rt.exitCode = 3;
  },
};

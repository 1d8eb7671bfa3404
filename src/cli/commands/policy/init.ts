/** `totp-mcp policy init`: a commented starter policy.yaml (denies everything until applied). */
import type { Command } from 'commander';
import type { CommandUnit, Deps } from '../../unit.js';

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

/** `policy init` takes no option. */
export type PolicyInitOptions = null;

export const policyInitCommand: CommandUnit<PolicyInitOptions> = {
  define: (parent: Command) =>
    parent.command('init').description('write a commented starter policy.yaml (denies everything until you allow it)'),

  options: (): PolicyInitOptions => null,

  async run(_o: PolicyInitOptions, { rt }: Deps): Promise<void> {
    const { initPolicy } = await import('../../../app/policy-file.js');
    const path = await initPolicy(rt.ctx);
    rt.io.out(
      `wrote ${path}: a commented starter policy.\n${STARTER_SUMMARY}edit it, then: totp-mcp policy check && totp-mcp policy apply\n`,
    );
  },
};

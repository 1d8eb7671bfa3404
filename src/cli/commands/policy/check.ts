/** `totp-mcp policy check`: validate and lint policy.yaml. */
import type { Command } from 'commander';
import type { Runtime } from '../../runtime.js';
import type { CommandUnit, Deps } from '../../unit.js';

interface Warning {
  code: string;
  rule?: string | undefined;
  message: string;
}
export const printWarnings = (rt: Runtime, warnings: readonly Warning[]): void => {
  for (const w of warnings) rt.io.out(`warning: ${w.message}\n`);
};

/** `policy check` takes no option. */
export type PolicyCheckOptions = null;

export const policyCheckCommand: CommandUnit<PolicyCheckOptions> = {
  define: (parent: Command) =>
    parent
      .command('check')
      .description(
        'validate policy.yaml and lint it: shadowed or unreachable rules, unused agents, selectors matching no account',
      ),

  options: (): PolicyCheckOptions => null,

  async run(_o: PolicyCheckOptions, { rt }: Deps): Promise<void> {
    const { checkPolicy } = await import('../../../app/policy-file.js');
    const r = await checkPolicy(rt.ctx);
    printWarnings(rt, r.warnings);
    rt.io.out(
      `policy.yaml is valid: ${r.policy.rules.length} rule(s), ${r.policy.agents.size} agent(s), ${r.warnings.length} warning(s)\n`,
    );
    if (!r.pinned) rt.io.out("it is not applied yet: agents are denied until 'totp-mcp policy apply'\n");
  },
};

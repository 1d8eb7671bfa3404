/** `totp-mcp policy apply`: validate policy.yaml and pin its SHA-256 in the vault (audited). */
import type { Command } from 'commander';
import type { CommandUnit, Deps } from '../../unit.js';
import { printWarnings } from './check.js';

/** `policy apply` takes no option. */
export type PolicyApplyOptions = null;

export const policyApplyCommand: CommandUnit<PolicyApplyOptions> = {
  define: (parent: Command) =>
    parent
      .command('apply')
      .description(
        'validate policy.yaml and pin its SHA-256 in the vault; until then, and after any unapplied edit, agents are denied',
      ),

  options: (): PolicyApplyOptions => null,

  async run(_o: PolicyApplyOptions, { rt }: Deps): Promise<void> {
    const { applyPolicy } = await import('../../../app/policy-file.js');
    const r = await applyPolicy(rt.ctx);
    printWarnings(rt, r.warnings);
    rt.io.out(
      r.previous === r.hash
        ? `policy unchanged (sha256 ${r.hash})\n`
        : `applied policy.yaml (sha256 ${r.hash}); agents now follow it\n`,
    );
  },
};

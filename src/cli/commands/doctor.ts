/** `totp-mcp doctor`: permissions, identity, vault, policy and versions; non-zero exit on a problem. */
import type { Command } from 'commander';
import type { CommandUnit, Deps } from '../unit.js';

/** `doctor` takes no option. */
export type DoctorOptions = null;

export const doctorCommand: CommandUnit<DoctorOptions> = {
  define: (parent: Command) =>
    parent
      .command('doctor')
      .description('check permissions, identity, vault, policy and versions; exits non-zero on a problem'),

  options: (): DoctorOptions => null,

  async run(_o: DoctorOptions, { rt }: Deps): Promise<void> {
    const { doctor } = await import('../../app/doctor.js');
    const { openerChecks } = await import('../../app/approvals/opener.js');
    const checks = [
      ...(await doctor(rt.ctx)),
      // Can an approval page be opened, and a notification sent?
      ...openerChecks({
        browser: rt.env.processEnv['BROWSER'],
        path: rt.env.processEnv['PATH'],
        platform: process.platform,
      }),
    ];
    const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
    for (const c of checks) rt.io.out(`${mark[c.level]}  ${c.name.padEnd(10)}  ${c.detail}\n`);
    if (checks.some((c) => c.level === 'fail')) rt.exitCode = 1;
  },
};

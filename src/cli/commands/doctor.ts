import { openerChecks } from '../../app/approvals/opener.js';
import { doctor } from '../../app/doctor.js';
import type { Runtime } from '../runtime.js';

export async function runDoctor(rt: Runtime): Promise<void> {
  const checks = [
    ...(await doctor(rt.ctx)),
    // Issue 14: can an approval page be opened, and a notification sent?
    ...openerChecks({
      browser: rt.env.processEnv['BROWSER'],
      path: rt.env.processEnv['PATH'],
      platform: process.platform,
    }),
  ];
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  for (const c of checks) rt.io.out(`${mark[c.level]}  ${c.name.padEnd(10)}  ${c.detail}\n`);
  if (checks.some((c) => c.level === 'fail')) rt.exitCode = 1;
}

/** `totp-mcp doctor`: everything that can be checked without a secret leaving the process. */
import { spawnSync } from 'node:child_process';
import { isTotpMcpError } from '../core/errors.js';
import { verifyAudit } from '../audit/index.js';
import { inspectHome, PAYLOAD_VERSION, type Payload } from '../vault/index.js';
import { auditKey } from './audit.js';
import { PolicyGate, policyProblem } from './policy-file.js';
import { BROKEN_HINT, brokenMessage, judgeReport, ROLLBACK_HINT, rollbackMessage } from './trail.js';
import { VERSION } from '../version.js';
import type { AppContext } from './context.js';

type CheckLevel = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  level: CheckLevel;
  detail: string;
}

const MIN_NODE: [number, number] = [20, 19];

export async function doctor(ctx: AppContext): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, level: CheckLevel, detail: string): void => {
    checks.push({ name, level, detail });
  };
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeOk = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  add(
    'versions',
    nodeOk ? 'ok' : 'fail',
    `totp-mcp ${VERSION}, node ${process.versions.node}${nodeOk ? '' : ` (needs ≥ ${MIN_NODE.join('.')})`}, payload v${PAYLOAD_VERSION}`,
  );

  // A home restored from a recipient backup has no identity of its own: --identity is its key.
  const r = await inspectHome(ctx.paths, { identityFile: ctx.unlock.identityFile });
  add(
    'home',
    r.problems.length === 0 ? 'ok' : 'fail',
    r.problems.length === 0 ? `${ctx.paths.home} (0700)` : r.problems.join('; '),
  );
  if (!r.home.exists || !r.vault.exists) return checks;

  const identity = ctx.unlock.identityFile
    ? `--identity ${ctx.unlock.identityFile}`
    : {
        identity: 'identity.txt',
        'passphrase-identity': 'identity.age (passphrase-protected)',
        passphrase: 'none: passphrase-only vault',
        none: 'none found',
      }[r.identityKind];
  add('identity', r.identityKind === 'none' && !ctx.unlock.identityFile ? 'fail' : 'ok', identity);

  let payload: Payload | undefined;
  try {
    const vault = await ctx.vault();
    payload = await vault.read();
    add('vault', 'ok', `decrypts: ${payload.accounts.length} account(s), unlocked with ${vault.unlockKind}`);
  } catch (e) {
    add('vault', 'fail', isTotpMcpError(e) ? e.message + (e.hint ? ` (${e.hint})` : '') : 'cannot be read');
  }
  if (payload) {
    if (!r.policy.exists && !payload.policy_pin) {
      add('policy', 'warn', "no policy.yaml: every agent request is denied (start with 'totp-mcp policy init')");
    } else {
      try {
        const { hash, policy } = await new PolicyGate(ctx.paths.policy).load(payload.policy_pin);
        add('policy', 'ok', `applied: ${policy.rules.length} rule(s), sha256 ${hash.slice(0, 12)}…`);
      } catch (e) {
        add(
          'policy',
          'fail',
          isTotpMcpError(e) && policyProblem(e) !== undefined ? `${e.message} (${e.hint ?? ''})` : 'cannot be checked',
        );
      }
    }
    const homeId = (await ctx.vault()).homeId;
    const v = await verifyAudit(ctx.paths.state, auditKey(payload), { anchor: payload.anchors[homeId] });
    const b = v.firstBad;
    const t = judgeReport(v, payload, homeId);
    add(
      'audit',
      v.ok && t.broken === null ? 'ok' : 'fail',
      !v.ok
        ? `the chain breaks at ${b ? `${b.file} line ${b.line}: ${b.problem}` : 'a line'} (totp-mcp audit verify)`
        : t.broken !== null
          ? `${brokenMessage(t.broken)} (${BROKEN_HINT})`
          : `${v.events} event(s), chain intact`,
    );
    if (t.rollback !== null)
      add('rollback', 'fail', `${rollbackMessage(t.rollback)}: agent requests are refused (${ROLLBACK_HINT})`);
  }

  if (r.recipientsCount !== null) {
    const bad = r.badRecipientLines.length > 0 || r.recipientsMixPostQuantum;
    const why = [
      r.badRecipientLines.length ? `bad line(s) ${r.badRecipientLines.join(', ')}` : '',
      r.recipientsMixPostQuantum ? 'mixes post-quantum and classic recipients' : '',
    ]
      .filter(Boolean)
      .join('; ');
    add('recipients', bad ? 'fail' : 'ok', bad ? why : `${r.recipientsCount} recipient(s)`);
  }
  if (r.lockHolder) {
    add(
      'lock',
      r.lockHolder.alive === false ? 'warn' : 'ok',
      r.lockHolder.alive === false
        ? `vault.lock is left by a dead process (pid ${r.lockHolder.pid}); the next write removes it`
        : `held by pid ${r.lockHolder.pid} on ${r.lockHolder.host}`,
    );
  }
  if (r.leftoverTmp.length)
    add(
      'leftovers',
      'warn',
      `${r.leftoverTmp.length} temporary file(s) from an interrupted write; the next write removes them`,
    );
  add('backups', 'ok', `${r.backupCount} previous version(s) in backups/`);
  const skew = await (await import('./aws-clock.js')).skewCheck(ctx);
  if (skew) add('clock', skew.level, skew.detail);
  checks.push(...(await (await import('./fleet.js')).fleetChecks(ctx))); // issue 15: the fleet coordinator

  const age = spawnSync('age', ['--version'], { encoding: 'utf8', timeout: 5000 });
  add(
    'age CLI',
    age.status === 0 ? 'ok' : 'warn',
    age.status === 0
      ? `age ${age.stdout.trim()} found: recovery with 'age -d' works`
      : "the reference 'age' CLI is not installed: install it to keep a recovery path that does not need totp-mcp",
  );
  return checks;
}

/**
 * `totp-mcp serve [--agent NAME] [--debug]`: the MCP server on stdio for one agent. The agent's
 * name comes from the command line or TOTP_MCP_AGENT, never from a request. The vault is unlocked
 * once, here, before anything is served: a vault that cannot be opened fails fast with a message
 * on stderr (exit 4). stdout then belongs to the SDK's transport (JSON-RPC only); diagnostics go
 * to stderr, and only with --debug.
 */
import { AgentService } from '../../app/agent.js';
import { checkDuration } from '../../core/duration.js';
import { ApprovalBroker } from '../../app/approvals/broker.js';
import { fail } from '../../core/errors.js';
import { ID_PATTERN, ID_RULE } from '../../core/model.js';
import { VERSION } from '../../version.js';
import { tuneHeapForServing } from '../heap.js';
import type { Runtime } from '../runtime.js';

/** Longest wait for an approval answer `--approval-timeout` accepts. */
const MAX_APPROVAL_TIMEOUT_SECONDS = 600;

export async function runServe(
  rt: Runtime,
  o: { agent?: string; debug?: boolean; approvalTimeout?: string; browserCdp?: string },
): Promise<void> {
  const agent = o.agent ?? rt.env.agent;
  if (agent === undefined) {
    fail('usage', 'serve needs the agent it serves: --agent NAME or TOTP_MCP_AGENT', {
      hint: "the name policy.yaml gives it, e.g. 'totp-mcp serve --agent claude-desktop'",
    });
  }
  if (!ID_PATTERN.test(agent)) fail('usage', `invalid agent name: use ${ID_RULE}`);
  let approvalTimeoutMs: number | undefined;
  if (o.approvalTimeout !== undefined) {
    approvalTimeoutMs =
      checkDuration(o.approvalTimeout, '--approval-timeout', { min: 1, max: MAX_APPROVAL_TIMEOUT_SECONDS }) * 1000;
  }
  const debug = o.debug === true || rt.globals.debug === true;
  const log = debug
    ? (line: string): void => {
        rt.io.err(`totp-mcp serve: ${line}\n`);
      }
    : undefined;
  quietWarnings(log);
  if (log) {
    // The loose-permission line every other command prints (cli/main.ts); serve only with --debug.
    const loose = await (await import('../loose-permissions.js')).loosePermissionWarning(rt.home);
    if (loose !== null) log(loose.replace(/^totp-mcp: /, '').trimEnd());
  }

  // The MCP front (the SDK: most of the start-up time) loads while the vault is unlocked.
  const loading = import('../../mcp/index.js');
  loading.catch(() => undefined); // awaited below, unless the unlock fails first
  // Unlock first: this error carries the hint on what to fix (identity, passphrase, init).
  await rt.ctx.vault();
  const service = new AgentService(rt.ctx, agent);
  await service.open();
  // A name the policy does not know is almost always a typo in the client's config: every request
  // would be denied with nothing said. One line on stderr (stdout stays JSON-RPC), --debug or not.
  const known = await service.policyAgents();
  if (known !== null && !known.includes(agent)) {
    rt.io.err(
      `totp-mcp serve: agent '${agent}' is not in the applied policy: every request will be denied (the policy names: ${known.join(', ') || 'no agent'})\n`,
    );
  }
  const mcp = await loading;
  // Issue 14: the approval page and the terminal board, for rules whose person the client cannot ask.
  const broker = new ApprovalBroker({
    ctx: rt.ctx,
    env: { browser: rt.env.processEnv['BROWSER'], path: rt.env.processEnv['PATH'], platform: process.platform },
    timeoutOverrideMs: approvalTimeoutMs,
    log,
  });
  log?.(`serving agent ${agent} from ${rt.home}`);
  tuneHeapForServing();
  try {
    const aws = rt.env.aws;
    await mcp.serveAgent({
      service,
      version: VERSION,
      log,
      stdout: rt.io.stdout,
      approvalTimeoutMs,
      broker,
      browserCdp: o.browserCdp ?? rt.env.browserCdp,
      // The AWS code loads on the first get_aws_session call, not at start-up.
      awsSession: async (rc, req) =>
        (await import('../../app/aws.js')).getAwsSession(service, rc, req, aws, { debug: log }),
    });
  } finally {
    broker.close();
    await service.close();
    log?.('closed');
  }
}

/**
 * Node prints its process warnings (deprecations, listener leaks…) on stderr by itself; a server's
 * stderr carries nothing without --debug, so they go through `log`, or nowhere.
 */
function quietWarnings(log: ((line: string) => void) | undefined): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => log?.(`node warning: ${w.name}: ${w.message}`));
}

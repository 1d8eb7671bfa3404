/**
 * The server factory. `serveStdio` calls it once per connection, and possibly once more for a
 * `server/discover` probe instance it throws away, so it is cheap and has no side effects: the
 * schemas are built once at module load, the vault is already open, nothing is written here.
 */
import { McpServer } from '@modelcontextprotocol/server';
import type { AgentService } from '../app/agent.js';
import type { ApprovalFlow } from './approval.js';
import type { ToolDeps } from './deps.js';
import { InFlight } from './inflight.js';
import { registerDescribeAccess } from './tools/describe-access.js';
import { registerFillTotpCode } from './tools/fill-totp-code.js';
import { registerGetAwsSession } from './tools/get-aws-session.js';
import { registerGetTotpCode } from './tools/get-totp-code.js';
import { registerListAccounts } from './tools/list-accounts.js';

/** The tool names are a contract (clients and prompts refer to them). */
export const TOOL_NAMES = [
  'list_accounts',
  'get_totp_code',
  'get_aws_session',
  'describe_access',
  'fill_totp_code',
] as const;

const INSTRUCTIONS =
  'totp-mcp hands out one-time codes (TOTP, HOTP, Steam Guard) and AWS MFA sessions from an encrypted vault, ' +
  "under this agent's policy. Call list_accounts to find an account id, then get_totp_code with that id when a sign-in asks " +
  'for a code; when the code goes into a web page open in your browser, call fill_totp_code instead: it types the code there ' +
  'without showing it to you. A person may be asked to approve. describe_access explains what this agent may do. ' +
  'Errors start with a stable code (denied, not_found, approval_declined, rate_limited, outside_hours, ...): do not retry a denial.';

export interface ServerDeps {
  readonly service: AgentService;
  /** The package version, for serverInfo. */
  readonly version: string;
  readonly approvals: ApprovalFlow;
  readonly inflight?: InFlight | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly awsSession?: ToolDeps['awsSession'];
  readonly browserCdp?: string | undefined;
}

export function createServer(deps: ServerDeps): McpServer {
  const server = new McpServer(
    {
      name: 'totp-mcp',
      title: 'totp-mcp',
      version: deps.version,
      description: 'One-time codes and AWS MFA sessions for agents, under policy',
    },
    // The SDK's legacy shim is not used for approvals (approval.ts asks 2025 clients itself); its
    // round timeout is bounded the same all the same.
    {
      instructions: INSTRUCTIONS,
      requestState: { verify: deps.approvals.verify },
      inputRequired: { roundTimeoutMs: deps.approvals.timeoutMs },
    },
  );
  const tools: ToolDeps = {
    service: deps.service,
    approvals: deps.approvals,
    inflight: deps.inflight ?? new InFlight(),
    log: deps.log ?? (() => undefined),
    awsSession: deps.awsSession,
    browserCdp: deps.browserCdp,
  };
  registerListAccounts(server, tools);
  registerGetTotpCode(server, tools);
  registerGetAwsSession(server, tools);
  registerDescribeAccess(server, tools);
  registerFillTotpCode(server, tools);
  return server;
}

/** What every tool gets from the server factory. */
import type { AgentService, RequestContext } from '../app/agent.js';
import type { GetAwsSessionRequest, GetAwsSessionResult } from '../app/aws.js';
import type { ApprovalFlow } from './approval.js';
import type { InFlight } from './inflight.js';

export interface ToolDeps {
  readonly service: AgentService;
  readonly approvals: ApprovalFlow;
  /** Every tool call runs through it, so shutdown can wait for calls in progress. */
  readonly inflight: InFlight;
  /** Diagnostics for stderr (a no-op without --debug): never a code, a seed or an argument. */
  readonly log: (line: string) => void;
  /** Mints an AWS session through the gate (policy, approval, audit); absent: AWS is not available. */
  /** The DevTools endpoint of the agent's browser (`serve --browser-cdp`); absent: fill_totp_code says so. */
  readonly browserCdp?: string | undefined;
  readonly awsSession?: ((rc: RequestContext, req: GetAwsSessionRequest) => Promise<GetAwsSessionResult>) | undefined;
}

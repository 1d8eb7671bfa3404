import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { AWS_ACCOUNT_ID, ROLE_NAME } from '../../core/vocab.js';
import * as z from 'zod/v4';
import { ApprovalRequired } from '../../app/agent.js';
import type { ToolDeps } from '../deps.js';
import { TotpMcpError } from '../../core/errors.js';
import { diagnostic, errorResult, ok } from '../results.js';
import { accountId, isoTime } from '../schemas.js';

/** IAM role names (the policy's `aws.roles` alphabet). */

const input = z.object({
  account: accountId,
  role: z
    .string()
    .min(1)
    .max(64)
    .regex(ROLE_NAME, { error: 'a role name: letters, digits and + = , . @ _ - (at most 64)' })
    .optional()
    .describe("A role named in the account's AWS settings; omit for the MFA user's own session."),
  duration_seconds: z
    .number()
    .int()
    .min(900)
    .max(43_200)
    .optional()
    .describe("Session length in seconds (900 to 43200); policy and AWS may cap it. Default: the account's setting."),
  delivery: z
    .enum(['profile', 'inline'])
    .optional()
    .describe(
      '"profile" (default): write the credentials to a named AWS profile and return its name. "inline": return the keys themselves, only where policy allows it.',
    ),
});

/** The contract `{profile, arn, account_id, expiration, region}`, plus what was asked; keys only for `inline`. */
const output = z.object({
  account: accountId,
  delivery: z.enum(['profile', 'inline']),
  arn: z.string().max(2048).describe('Who the credentials act as: the assumed-role session or the MFA user.'),
  account_id: z.string().regex(AWS_ACCOUNT_ID).describe('The AWS account id.'),
  role: z.string().max(64).nullable().describe("The role assumed, or null for the MFA user's own session."),
  region: z.string().max(32).nullable(),
  expiration: isoTime.describe('When the credentials expire (ISO 8601).'),
  profile: z
    .string()
    .max(128)
    .optional()
    .describe(
      'delivery "profile": the AWS profile now holding the credentials (use it with AWS_PROFILE or --profile).',
    ),
  credentials_file: z
    .string()
    .max(4096)
    .optional()
    .describe('delivery "profile": the shared credentials file written.'),
  credentials: z
    .object({
      access_key_id: z.string().max(128),
      secret_access_key: z.string().max(128),
      session_token: z.string().max(8192),
    })
    .optional()
    .describe('Only with delivery "inline".'),
});

export function registerGetAwsSession(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_aws_session',
    {
      title: 'Get an AWS session',
      description:
        'Gets temporary AWS credentials (an MFA session) for an account that has AWS settings: the server computes the MFA code ' +
        'itself and calls AWS STS. With delivery "profile" (the default) the credentials go into a named profile of the AWS ' +
        'shared credentials file and only the profile name, the role ARN and the expiry are returned; use that profile with ' +
        'AWS tools. "inline" returns the keys and works only where policy allows it. Policy, approval, rate limits and the ' +
        'audit log apply as for get_totp_code. Never returns the MFA code or the seed. ' +
        'Errors start with a stable code: denied, not_found, approval_declined, rate_limited, outside_hours, not_configured, internal.',
      inputSchema: input,
      outputSchema: output,
      annotations: {
        title: 'Get an AWS session',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    ({ account, role, duration_seconds, delivery }, ctx) =>
      deps.inflight.run(
        () =>
          deps.approvals.run(
            server,
            ctx,
            { tool: 'get_aws_session', args: { account, role, duration_seconds, delivery } },
            async (rc) => {
              try {
                if (!deps.awsSession) {
                  // Policy, approval and audit still apply to the refusal.
                  return await deps.service.gated<CallToolResult>(
                    rc,
                    {
                      action: 'aws_session',
                      account,
                      aws: { role, duration_seconds, delivery: delivery ?? 'profile' },
                    },
                    () =>
                      Promise.reject(
                        new TotpMcpError('invalid', 'AWS sessions are not available in this server', {
                          kind: 'not_configured',
                        }),
                      ),
                  );
                }
                const r = await deps.awsSession(rc, { account, role, duration_seconds, delivery });
                const common = {
                  account,
                  delivery: r.delivery,
                  arn: r.arn,
                  account_id: r.account_id,
                  role: r.role,
                  region: r.region,
                  expiration: r.expiration,
                };
                return ok(
                  r.delivery === 'inline'
                    ? {
                        ...common,
                        credentials: {
                          access_key_id: r.access_key_id,
                          secret_access_key: r.secret_access_key.reveal(),
                          session_token: r.session_token.reveal(),
                        },
                      }
                    : { ...common, profile: r.profile, credentials_file: r.credentials_file },
                );
              } catch (e) {
                if (e instanceof ApprovalRequired) throw e;
                deps.log(`get_aws_session ${account}: ${diagnostic(e)}`);
                return errorResult(e);
              }
            },
          ),
        ctx.mcpReq.id,
      ),
  );
}

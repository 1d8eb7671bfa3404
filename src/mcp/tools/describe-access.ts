import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { requestContext } from '../context.js';
import type { ToolDeps } from '../deps.js';
import { diagnostic, errorResult, ok } from '../results.js';
import { accountId, action } from '../schemas.js';

const ruleId = z.string().max(64);
const seconds = z.number().int().min(0);

const output = z.object({
  agent: accountId.describe('The agent this server serves (set when it was launched).'),
  known: z.boolean().describe('False when the policy does not name this agent: it may do nothing.'),
  description: z.string().max(500).optional(),
  rules: z
    .array(
      z.object({
        id: ruleId,
        effect: z.enum(['allow', 'deny']),
        actions: z.array(action),
        accounts: z.array(z.string().max(256)).describe('Account selectors: an id, a glob, tag:NAME, or *.'),
        approval: z.enum(['none', 'confirm']).describe('confirm: a person must approve each use.'),
        approval_ttl_seconds: seconds.optional().describe('How long one approval is remembered.'),
        approval_via: z
          .array(z.enum(['client', 'browser', 'terminal']))
          .optional()
          .describe('Where the person is asked, in order: the client prompt, a local web page, `totp-mcp approvals`.'),
        approval_timeout_seconds: seconds.optional().describe('How long a question stays open.'),
        limit: z.object({ count: seconds, per_seconds: seconds }).optional(),
        hours: z
          .object({
            days: z.array(z.string().max(3)),
            from: z.string().max(5),
            to: z.string().max(5),
            tz: z.string().max(64),
          })
          .optional()
          .describe('When the rule allows requests: days and HH:MM (from inclusive, to exclusive) in the time zone.'),
        aws: z
          .object({
            roles: z.array(z.string().max(64)).optional(),
            max_duration_seconds: seconds.optional(),
            delivery: z.array(z.string().max(32)),
          })
          .optional(),
      }),
    )
    .max(10_000)
    .describe(
      'The rules that name this agent or every agent, in policy order. A deny rule wins; otherwise the first matching allow rule decides.',
    ),
  limits: z
    .array(z.object({ rule: ruleId, account: accountId, count: seconds, per_seconds: seconds, remaining: seconds }))
    .max(100_000)
    .describe('Uses left now, per rate-limited rule and account.'),
});

export function registerDescribeAccess(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'describe_access',
    {
      title: 'Describe my access',
      description:
        'Describes what this agent may do: its policy rules (which accounts, which actions, whether a person must approve, ' +
        'rate limits, allowed hours, AWS caps) and how many uses are left on each rate-limited account. ' +
        'Use it to plan before asking for codes or to understand a denial. Shows only the rules that apply to this agent, ' +
        "never another agent's. Never returns codes or secrets.",
      outputSchema: output,
      annotations: {
        title: 'Describe my access',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (ctx) =>
      deps.inflight.run(async () => {
        try {
          const d = await deps.service.describeAccess(requestContext(server, ctx));
          return ok({
            agent: d.agent,
            known: d.known,
            ...(d.description === undefined ? {} : { description: d.description }),
            rules: d.rules.map((r) => ({
              id: r.id,
              effect: r.effect,
              actions: [...r.actions],
              accounts: [...r.accounts],
              approval: r.approval,
              ...(r.approval_ttl_seconds === undefined ? {} : { approval_ttl_seconds: r.approval_ttl_seconds }),
              ...(r.approval_via === undefined ? {} : { approval_via: [...r.approval_via] }),
              ...(r.approval_timeout_seconds === undefined
                ? {}
                : { approval_timeout_seconds: r.approval_timeout_seconds }),
              ...(r.limit === undefined ? {} : { limit: { count: r.limit.count, per_seconds: r.limit.per_seconds } }),
              ...(r.hours === undefined
                ? {}
                : { hours: { days: [...r.hours.days], from: r.hours.from, to: r.hours.to, tz: r.hours.tz } }),
              ...(r.aws === undefined
                ? {}
                : {
                    aws: {
                      ...(r.aws.roles === undefined ? {} : { roles: [...r.aws.roles] }),
                      ...(r.aws.max_duration_seconds === undefined
                        ? {}
                        : { max_duration_seconds: r.aws.max_duration_seconds }),
                      delivery: [...r.aws.delivery],
                    },
                  }),
            })),
            limits: d.limits,
          });
        } catch (e) {
          deps.log(`describe_access: ${diagnostic(e)}`);
          return errorResult(e);
        }
      }, ctx.mcpReq.id),
  );
}

import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { requestContext } from '../context.js';
import type { ToolDeps } from '../deps.js';
import { diagnostic, errorResult, ok } from '../results.js';
import { accountId, action, otpType, tagName, text } from '../schemas.js';

const input = z.object({
  tag: tagName.optional().describe('Only accounts with this tag.'),
});

const output = z.object({
  accounts: z
    .array(
      z.object({
        id: accountId.describe('Pass this to get_totp_code or get_aws_session.'),
        issuer: text.describe('Who issued the account, e.g. GitHub.'),
        label: text.describe('The account name at the issuer, e.g. alice@example.com.'),
        type: otpType,
        actions: z.array(action).describe('What this agent may ask for on this account.'),
        approval_required: z.boolean().describe('A person must approve each use (or approved one recently).'),
      }),
    )
    .max(100_000),
});

export function registerListAccounts(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'list_accounts',
    {
      title: 'List my accounts',
      description:
        'Lists the one-time-code accounts this agent may use: id, issuer, label, type (totp, hotp, steam), ' +
        'the actions allowed (code, aws_session) and whether a person must approve each use. ' +
        'Call it first to find the exact account id for get_totp_code or get_aws_session; filter with `tag`. ' +
        'Accounts this agent may not use are not listed and cannot be discovered. Never returns codes or secrets.',
      inputSchema: input,
      outputSchema: output,
      annotations: {
        title: 'List my accounts',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    ({ tag }, ctx) =>
      deps.inflight.run(async () => {
        try {
          const accounts = await deps.service.listAccounts(requestContext(server, ctx), tag);
          return ok({ accounts });
        } catch (e) {
          deps.log(`list_accounts: ${diagnostic(e)}`);
          return errorResult(e);
        }
      }, ctx.mcpReq.id),
  );
}

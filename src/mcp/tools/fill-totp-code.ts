/**
 * `fill_totp_code`: types an account's one-time code into the page the agent's browser shows, over
 * the DevTools endpoint the person configured, on one of the account's origins. The agent gets
 * where the code went, never the code (issue 17).
 */
import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { ApprovalRequired } from '../../app/agent.js';
import { refusal } from '../../core/errors.js';
import type { ToolDeps } from '../deps.js';
import { diagnostic, errorResult, ok } from '../results.js';
import { accountId, isoTime } from '../schemas.js';

/** Seconds a filled code must still have: the agent still has to submit the form after the fill. */
const FILL_MIN_REMAINING_SECONDS = 5;

const input = z.object({
  account: accountId,
  selector: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe(
      'A CSS selector for the code field, only when the page has more than one candidate (e.g. input#otp). ' +
        'Without it: the focused input, else the one input with autocomplete=one-time-code, else the one named like otp/totp/code/2fa.',
    ),
});

const output = z.object({
  account: accountId,
  filled: z.literal(true),
  origin: z.string().max(300).describe('The origin of the page the code was typed into.'),
  field: z.string().max(300).describe('Which field took it, and how it was found.'),
  expires_at: isoTime.nullable().describe('When the filled code stops being valid (ISO 8601); null for HOTP.'),
});

export function registerFillTotpCode(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'fill_totp_code',
    {
      title: 'Fill a one-time code into the browser',
      description:
        "Types the current one-time code of one account into the sign-in page open in this agent's browser, " +
        'without showing it to you: prefer this to get_totp_code whenever the code goes into a web page. ' +
        'Open the page at the code prompt first (with your browser tool); pass the exact account id from list_accounts. ' +
        'Only pages on the origins the person listed for the account are filled: a page on any other origin gets nothing. ' +
        "Checked against this agent's policy (action fill), may ask the person to approve, counts towards rate limits " +
        'and is recorded in an audit log. Never returns the code or the seed: only where it was filled. ' +
        'Errors are short texts starting with a stable code: denied, not_found, invalid_input, not_configured, ' +
        'approval_declined, rate_limited, outside_hours, vault_locked, internal.',
      inputSchema: input,
      outputSchema: output,
      annotations: {
        title: 'Fill a one-time code into the browser',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ account, selector }, ctx) =>
      deps.inflight.run(
        () =>
          deps.approvals.run(server, ctx, { tool: 'fill_totp_code', args: { account, selector } }, async (rc) => {
            try {
              if (deps.browserCdp === undefined)
                throw refusal('not_configured', 'no browser is configured for filling codes', {
                  hint: 'the person starts the server with --browser-cdp http://127.0.0.1:9222 (or TOTP_MCP_BROWSER_CDP)',
                });
              const r = await deps.service.fillCode(rc, account, {
                endpoint: deps.browserCdp,
                selector,
                minRemainingSeconds: FILL_MIN_REMAINING_SECONDS,
              });
              return ok({ ...r });
            } catch (e) {
              if (e instanceof ApprovalRequired) throw e;
              deps.log(`fill_totp_code ${account}: ${diagnostic(e)}`);
              return errorResult(e);
            }
          }),
        ctx.mcpReq.id,
      ),
  );
}

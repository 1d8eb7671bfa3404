import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { ApprovalRequired, MAX_MIN_REMAINING_SECONDS } from '../../app/agent.js';
import type { ToolDeps } from '../deps.js';
import { diagnostic, errorResult, ok } from '../results.js';
import { accountId, isoTime } from '../schemas.js';

const DEFAULT_MIN_REMAINING_SECONDS = 3;

const input = z.object({
  account: accountId,
  min_remaining_seconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_MIN_REMAINING_SECONDS)
    .optional()
    .describe(
      `Do not hand out a TOTP code with fewer seconds left than this: wait for the next one instead (default ${DEFAULT_MIN_REMAINING_SECONDS}, at most ${MAX_MIN_REMAINING_SECONDS}).`,
    ),
});

const output = z.object({
  account: accountId,
  code: z
    .string()
    .regex(/^[0-9A-Z]{5,10}$/)
    .describe('The one-time code. Use it once, now; do not repeat it in your reply.'),
  step: z.number().int().min(0).describe('TOTP/Steam: the time step of the code. HOTP: the counter value used.'),
  expires_at: isoTime.nullable().describe('When the code stops being valid (ISO 8601); null for HOTP.'),
  remaining_seconds: z.number().int().min(0).nullable().describe('Seconds until expires_at; null for HOTP.'),
});

export function registerGetTotpCode(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_totp_code',
    {
      title: 'Get a one-time code',
      description:
        'Returns the current one-time code (TOTP, HOTP or Steam Guard) of one account, to finish a sign-in. ' +
        'Pass the exact account id from list_accounts. If fewer than min_remaining_seconds are left on the current code, ' +
        `it waits (at most ${MAX_MIN_REMAINING_SECONDS} s) for the next one, so the code does not expire while it is typed. ` +
        "Every call is checked against this agent's policy, may ask the person to approve, counts towards rate limits " +
        'and is recorded in an audit log; an HOTP account advances its counter on every call. ' +
        'Never returns the secret seed or a future code. Errors are short texts starting with a stable code: ' +
        'denied, not_found, approval_declined, rate_limited, outside_hours, vault_locked, internal.',
      inputSchema: input,
      outputSchema: output,
      // Not read-only: HOTP advances a counter and every call uses up rate limits; not idempotent.
      annotations: {
        title: 'Get a one-time code',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ account, min_remaining_seconds }, ctx) =>
      deps.inflight.run(
        () =>
          deps.approvals.run(
            server,
            ctx,
            { tool: 'get_totp_code', args: { account, min_remaining_seconds } },
            async (rc) => {
              try {
                const issued = await deps.service.getCode(rc, account, {
                  minRemainingSeconds: min_remaining_seconds ?? DEFAULT_MIN_REMAINING_SECONDS,
                });
                return ok({
                  account: issued.account,
                  code: issued.code.reveal(),
                  step: issued.step,
                  expires_at: issued.expires_at,
                  remaining_seconds: issued.remaining_seconds,
                });
              } catch (e) {
                if (e instanceof ApprovalRequired) throw e;
                deps.log(`get_totp_code ${account}: ${diagnostic(e)}`);
                return errorResult(e);
              }
            },
          ),
        ctx.mcpReq.id,
      ),
  );
}

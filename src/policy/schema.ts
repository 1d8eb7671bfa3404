import * as z from 'zod/v4';
import { ID_PATTERN, ID_RULE } from '../core/model.js';
import { DURATION_RULE, isZeroDuration, parseDuration } from '../core/duration.js';
import { HHMM, HHMM_RULE, TZ_RULE, isValidTimeZone } from './hours.js';
import { ACCOUNT_SELECTOR_RULE, AGENT_SELECTOR_RULE, isAgentName, parseAccountSelector } from './selectors.js';
import { DELIVERIES, ROLE_NAME } from '../core/vocab.js';
import { ACTIONS, APPROVAL_CHANNELS, APPROVALS, EFFECTS, MAX_APPROVAL_TIMEOUT_SECONDS, WEEKDAYS } from './types.js';

/**
 * The zod schema of `policy.yaml`. Every object is strict (an unknown key is an error: a typo must
 * never silently widen or narrow access) and every message is fixed text that never echoes a value.
 */

const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `expected a list of ${what}s` }).min(1, { error: `must list at least one ${what}` });

const text = (max: number) =>
  z.string({ error: 'expected text' }).max(max, { error: `expected text of at most ${max} characters` });

const duration = z
  .string({ error: DURATION_RULE })
  .refine((s) => parseDuration(s) !== undefined, { error: DURATION_RULE });

/** A duration, or zero for "ask every time" (the same as leaving the key out). */
const approvalTtl = z
  .union([z.string(), z.number()], { error: DURATION_RULE })
  .refine((s) => isZeroDuration(s) || (typeof s === 'string' && parseDuration(s) !== undefined), {
    error: `${DURATION_RULE}, or 0 to ask every time`,
  });

/** How long a question stays open: 1 s to 10 min. */
const APPROVAL_TIMEOUT_RULE = 'expected a duration from 1s to 10m, e.g. 55s or 2m';
const approvalTimeout = z.string({ error: APPROVAL_TIMEOUT_RULE }).refine(
  (s) => {
    const n = parseDuration(s);
    return n !== undefined && n >= 1 && n <= MAX_APPROVAL_TIMEOUT_SECONDS;
  },
  { error: APPROVAL_TIMEOUT_RULE },
);

/** `{ count, per }`: a rule's `limit` and an agent's `max_calls`. */
const wholeCount = 'expected a whole number of at least 1';
const countPer = (example: string) =>
  z.strictObject(
    {
      count: z
        .number({ error: wholeCount })
        .int({ error: wholeCount })
        .min(1, { error: wholeCount })
        .max(1_000_000, { error: 'expected a whole number of at most 1000000' }),
      per: duration,
    },
    { error: `expected a mapping like ${example}` },
  );

const hhmm = z.string({ error: HHMM_RULE }).regex(HHMM, { error: HHMM_RULE });

const agentSelector = z
  .string({ error: AGENT_SELECTOR_RULE })
  .refine((s) => s === '*' || isAgentName(s), { error: AGENT_SELECTOR_RULE });

const accountSelector = z
  .string({ error: ACCOUNT_SELECTOR_RULE })
  .refine((s) => parseAccountSelector(s) !== undefined, { error: ACCOUNT_SELECTOR_RULE });

const ruleSchema = z.strictObject(
  {
    id: z.string({ error: 'expected a rule id' }).regex(ID_PATTERN, { error: `expected a rule id: ${ID_RULE}` }),
    description: text(500).optional(),
    effect: z.enum(EFFECTS, { error: 'expected allow or deny' }).optional(),
    agents: list(agentSelector, 'agent'),
    accounts: list(accountSelector, 'account selector'),
    actions: list(z.enum(ACTIONS, { error: 'expected list, code or aws_session' }), 'action').optional(),
    approval: z.enum(APPROVALS, { error: 'expected none or confirm' }).optional(),
    approval_ttl: approvalTtl.optional(),
    approval_via: list(
      z.enum(APPROVAL_CHANNELS, { error: 'expected client, browser or terminal' }),
      'channel',
    ).optional(),
    approval_timeout: approvalTimeout.optional(),
    limit: countPer('{ count: 10, per: 1h }').optional(),
    hours: z
      .strictObject(
        {
          days: list(z.enum(WEEKDAYS, { error: 'expected mon, tue, wed, thu, fri, sat or sun' }), 'day').optional(),
          from: hhmm.optional(),
          to: hhmm.optional(),
          tz: z.string({ error: TZ_RULE }).refine(isValidTimeZone, { error: TZ_RULE }),
        },
        { error: 'expected a mapping like { days: [mon], from: "08:00", to: "20:00", tz: Europe/Berlin }' },
      )
      .optional(),
    aws: z
      .strictObject(
        {
          roles: list(
            z.string({ error: 'expected a role name' }).regex(ROLE_NAME, { error: 'expected a role name' }),
            'role',
          ).optional(),
          max_duration: duration.optional(),
          delivery: list(
            z.enum(DELIVERIES, { error: 'expected credential_process, profile, exec, container or inline' }),
            'delivery',
          ).optional(),
        },
        { error: 'expected a mapping like { roles: [deploy], max_duration: 1h, delivery: [profile] }' },
      )
      .optional(),
  },
  { error: 'expected a rule: a mapping with id, agents, accounts and actions' },
);

export const policySchema = z.strictObject(
  {
    version: z.literal(1, { error: 'unsupported policy version (this totp-mcp reads version 1)' }),
    agents: z
      .record(
        z.string().refine(isAgentName, { error: `expected an agent name: ${ID_RULE}` }),
        // `terraform:` with nothing after it is the same as `terraform: {}`.
        z
          .strictObject(
            {
              description: text(500).optional(),
              // A cap on every call of this agent, whatever it asks and whatever the answer.
              max_calls: countPer('{ count: 1000, per: 1h }').optional(),
            },
            { error: 'expected a mapping like { description: ... }' },
          )
          .nullable(),
        { error: 'expected a mapping of agent names' },
      )
      .refine((r) => Object.keys(r).length > 0, { error: 'must declare at least one agent' }),
    rules: list(ruleSchema, 'rule'),
  },
  { error: 'expected a mapping with version, agents and rules' },
);

export type RawRule = z.infer<typeof ruleSchema>;
export type RawPolicy = z.infer<typeof policySchema>;

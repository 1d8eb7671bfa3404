/**
 * The words every layer shares: one definition each, so the policy, the vault, the audit trail and
 * the MCP schemas can never disagree on what a role name or a delivery is.
 */

/** An IAM role name as AWS accepts it. */
export const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

/** An AWS account id: twelve digits. */
export const AWS_ACCOUNT_ID = /^\d{12}$/;

/** The AWS partitions an ARN may name (aws, aws-cn, aws-us-gov…). */
export const AWS_PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?';

/** An IAM role ARN; groups: account id, path (`a/b/` or empty), role name. */
export const ROLE_ARN = new RegExp(
  `^arn:${AWS_PARTITION}:iam::(\\d{12}):role/((?:[\\w+=,.@-]+/)*)([\\w+=,.@-]{1,64})$`,
);

/**
 * What an agent asks for (policy rules, MCP tools, `policy explain --action`). `fill`: a code typed
 * into the agent's browser on one of the account's origins, never shown to the agent (browser/fill.ts).
 */
export const ACTIONS = ['list', 'code', 'aws_session', 'fill'] as const;
export type Action = (typeof ACTIONS)[number];

/** A SHA-256 digest or HMAC in lower-case hex (audit MACs, policy hashes, key ids). */
export const HEX64 = /^[0-9a-f]{64}$/;

/** How an AWS session leaves the process. */
export const DELIVERIES = ['credential_process', 'profile', 'exec', 'container', 'inline'] as const;
export type Delivery = (typeof DELIVERIES)[number];

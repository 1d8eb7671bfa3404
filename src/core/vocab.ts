/**
 * The words every layer shares: one definition each, so the policy, the vault, the audit trail and
 * the MCP schemas can never disagree on what a role name or a delivery is.
 */

/** An IAM role name as AWS accepts it. */
export const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

/** A SHA-256 digest or HMAC in lower-case hex (audit MACs, policy hashes, key ids). */
export const HEX64 = /^[0-9a-f]{64}$/;

/** How an AWS session leaves the process. */
export const DELIVERIES = ['credential_process', 'profile', 'exec', 'container', 'inline'] as const;
export type Delivery = (typeof DELIVERIES)[number];

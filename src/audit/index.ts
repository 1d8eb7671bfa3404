/**
 * The tamper-evident audit log: events, MAC chain, group-commit writer,
 * verifier, readers and usage counts for rate limits. Stands alone: the key comes as an argument.
 */
export {
  AUDIT_ACTIONS,
  AUDIT_APPROVALS,
  AUDIT_DECISIONS,
  AUDIT_DELIVERIES,
  CLIENT_FIELD_MAX,
  COUNTED_ACTIONS,
  cleanClientText,
  type AuditAction,
  type AuditApproval,
  type AuditAws,
  type AuditClient,
  type AuditDecision,
  type AuditDelivery,
  type AuditEvent,
  type AuditInput,
} from './event.js';
export { GENESIS_MAC, canonicalJson, eventMac } from './canonical.js';
export { HEAD_FILE, LIVE_FILE, LOCK_FILE } from './files.js';
export { AuditLog, DEFAULT_ROTATE_BYTES, openAuditLog, type AuditLogOptions, type AuditWriterStats } from './log.js';
export {
  verifyAudit,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyReport,
} from './verify.js';
export {
  auditStats,
  followAudit,
  readAudit,
  NO_ACCOUNT_KEY,
  OWNER_KEY,
  type AuditStats,
  type FollowOptions,
  type ReadOptions,
} from './read.js';
export { countAllowed, type UsageQuery } from './usage.js';

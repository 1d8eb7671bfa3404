// AWS MFA sessions. The only module that imports @aws-sdk/*; the SDK
// is loaded lazily (loadSts / loadSource) so that sessions served from the cache never load it.
// The container endpoint (node:http) is imported from './container-server.js' by the one command
// that serves it.
import type { SourceSpec } from './config.js';
import type { SigningKeys, StsApi } from './sts-api.js';

export * from './config.js';
export * from './session.js';
export * from './cache-auth.js';
export * from './planner.js';
export * from './errors.js';
export * from './ledger.js';
export * from './mint.js';
export * from './outputs.js';
export type * from './sts-api.js';
export * from './iam-api.js';

export async function loadSts(): Promise<StsApi> {
  return (await import('./sts.js')).sdkSts;
}

/** The long-term keys; the SDK's providers are loaded only for profile and default sources. */
export async function loadSource(spec: SourceSpec): Promise<SigningKeys> {
  if (spec.kind === 'vault') return { access_key_id: spec.access_key_id, secret_access_key: spec.secret_access_key };
  return (await import('./source.js')).resolveSource(spec);
}

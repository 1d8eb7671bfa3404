/**
 * Where the long-term keys come from: the vault, a shared-config profile, or the SDK's default
 * chain. Loaded lazily with sts.ts (the profile and default sources load the SDK's providers).
 */
import { fromIni } from '@aws-sdk/credential-provider-ini';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Redacted } from '../core/redacted.js';
import type { SourceSpec } from './config.js';
import { awsError } from './errors.js';
import type { SigningKeys } from './sts-api.js';

/**
 * The keys that sign MFA-bearing calls. Refuses temporary credentials: GetSessionToken cannot be
 * called with them, and an AssumeRole signed with them is chained (≤ 1 h).
 */
export async function resolveSource(spec: SourceSpec): Promise<SigningKeys> {
  if (spec.kind === 'vault') return { access_key_id: spec.access_key_id, secret_access_key: spec.secret_access_key };
  const what = spec.kind === 'profile' ? `the profile '${spec.profile}'` : 'the default credential chain';
  let c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
  try {
    c =
      spec.kind === 'profile'
        ? await fromIni({ profile: spec.profile, ignoreCache: true })()
        : await defaultProvider()();
  } catch (e) {
    throw awsError('source_unavailable', `no AWS keys from ${what}`, {
      cause: e,
      hint:
        spec.kind === 'profile'
          ? `check [${spec.profile}] in the shared credentials/config files`
          : 'set up a default profile, or use --source vault or profile:NAME',
    });
  }
  if (c.sessionToken) {
    throw awsError(
      'source_is_session',
      `${what} gives temporary (session) credentials: MFA sessions need an IAM user's long-term access key`,
      {
        hint: 'use a profile that holds the user’s own keys (aws_access_key_id / aws_secret_access_key), or --source vault',
      },
    );
  }
  return { access_key_id: c.accessKeyId, secret_access_key: new Redacted(c.secretAccessKey) };
}

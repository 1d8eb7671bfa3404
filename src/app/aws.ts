/**
 * AWS sessions, as use-cases shared by the CLI (credential-process, exec, serve-credentials) and
 * the MCP server (get_aws_session). Every agent request goes through `AgentService.gated`
 * (policy → approval → produce → audit, fsynced) and credentials leave only after that returns.
 */
import type { AwsEnv } from '../config.js';
import { markResolvingSource } from '../config.js';
import {
  MIN_REMAINING_MS,
  ROLE_NAME,
  SESSION_TOKEN_DEFAULT,
  checkAccessKeyId,
  checkMfaSerial,
  checkRegion,
  checkSecretAccessKey,
  formatPlan,
  loadSource,
  loadSts,
  obtainSession,
  parseAwsBlock,
  parseRoleSpec,
  parseSourceSpec,
  planSession,
  profileNameFor,
  redactAwsBlock,
  resolveDuration,
  sessionNameFor,
  sessionTokenMax,
  sessionTokenWhy,
  toAwsBlock,
  writeProfile,
  type AwsConfig,
  type MintEnv,
  type RoleConfig,
  type Session,
  type SessionRequest,
  type StsApi,
} from '../aws/index.js';
import type { AuditAws, AuditDelivery } from '../audit/event.js';
import { sleep } from '../core/clock.js';
import { checkDuration } from '../core/duration.js';
import { fail, refusal, TotpMcpError } from '../core/errors.js';
import type { Account } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import { generateCode } from '../otp/index.js';
import { newSealIdentity } from '../vault/index.js';
import { checkId, findAccount } from './accounts.js';
import type { AgentService, RequestContext } from './agent.js';
import { recordOwner } from './audit.js';
import type { Coordinator } from '../fleet/coordinator.js';
import { awsStateDir, sessionCache } from './aws-cache.js';
import { recordSkew } from './aws-clock.js';
import type { AppContext } from './context.js';

export type { AwsEnv } from '../config.js';
export type AwsDelivery = AuditDelivery;

// ---- setup ----

export interface AwsSetupInput {
  mfaSerial: string;
  region?: string | undefined;
  /** `vault`, `profile:NAME` or `default`; absent keeps the current source (default chain for a new block). */
  source?: string | undefined;
  accessKeyId?: string | undefined;
  /** Asked only when the vault source needs a new secret (hidden prompt or stdin: never argv). */
  readSecret?: (() => Promise<Redacted>) | undefined;
  roles?: string[] | undefined;
  sessionDuration?: string | undefined;
  root?: boolean | undefined;
}

export interface AwsSetupResult {
  account: string;
  /** The stored block, secrets shown as [redacted]. */
  aws: Record<string, unknown>;
  warnings: string[];
}

/** Attaches (or updates) the aws block of a TOTP account. Validates everything before writing. */
export async function awsSetup(ctx: AppContext, id: string, input: AwsSetupInput): Promise<AwsSetupResult> {
  checkId(id);
  const mfa = checkMfaSerial(input.mfaSerial);
  const region = input.region === undefined ? undefined : checkRegion(input.region);
  const roles = (input.roles ?? []).map(parseRoleSpec);
  const root = input.root === true || mfa.root;
  const sessionDuration =
    input.sessionDuration === undefined
      ? undefined
      : checkDuration(input.sessionDuration, '--session-duration', {
          bare: true,
          min: 900,
          max: sessionTokenMax(root),
          why: sessionTokenWhy(root),
        });
  const sourceSpec = input.source === undefined ? undefined : parseSourceSpec(input.source);
  if (input.accessKeyId !== undefined && sourceSpec !== undefined && sourceSpec.kind !== 'vault')
    fail('usage', '--access-key-id goes with --source vault');
  const accessKeyId = input.accessKeyId === undefined ? undefined : checkAccessKeyId(input.accessKeyId);

  const vault = await ctx.vault();
  const before = findAccount((await vault.read()).accounts, id);
  checkTotpAccount(before);
  const previous = before.aws === undefined ? null : safeParse(id, before.aws);

  let source: AwsConfig['source'];
  const wantVault = sourceSpec?.kind === 'vault' || (sourceSpec === undefined && accessKeyId !== undefined);
  if (wantVault) {
    const keep =
      previous?.source.kind === 'vault' && (accessKeyId === undefined || accessKeyId === previous.source.access_key_id)
        ? previous.source
        : null;
    if (accessKeyId === undefined && keep === null)
      fail('usage', '--source vault needs --access-key-id (the secret is then read hidden, or from stdin)');
    if (accessKeyId !== undefined || keep === null) {
      if (!input.readSecret) fail('usage', 'the secret access key must be typed or piped');
      const secret = checkSecretAccessKey(await input.readSecret());
      source = { kind: 'vault', access_key_id: accessKeyId as string, secret_access_key: secret };
    } else source = keep;
  } else if (sourceSpec !== undefined) {
    source = sourceSpec.kind === 'profile' ? { kind: 'profile', profile: sourceSpec.profile } : { kind: 'default' };
  } else source = previous?.source ?? { kind: 'default' };

  const roleMap = new Map(previous?.roles ?? []);
  for (const r of roles) roleMap.set(r.name, r);
  const sd = sessionDuration ?? Math.min(previous?.session_duration ?? SESSION_TOKEN_DEFAULT, sessionTokenMax(root));
  let cacheIdentity = previous?.cache_identity ?? null;
  if (vault.unlockKind === 'passphrase' && cacheIdentity === null)
    cacheIdentity = (await newSealIdentity(ctx.clock.now())).identity;

  const config: AwsConfig = {
    mfa_serial: mfa.serial,
    account_id: mfa.account_id,
    region: region ?? previous?.region ?? null,
    root,
    source,
    session_duration: sd,
    roles: roleMap,
    cache_identity: cacheIdentity,
  };
  const block = toAwsBlock(config);
  const written = await vault.update((p) => {
    const a = findAccount(p.accounts, id);
    a.aws = block;
    a.updated_at = new Date(ctx.clock.now()).toISOString();
    return p;
  });
  // The event names the account only: the block's keys stay in the vault.
  await recordOwner(ctx, written, {
    action: 'account_update',
    account: id,
    decision: 'allow',
    reason: previous === null ? 'aws_setup' : 'aws_update',
  });
  const warnings: string[] = [];
  if (before.algorithm !== 'SHA1' || before.period !== 30) {
    warnings.push(
      `account ${id} is ${before.algorithm}, ${before.period} s: AWS virtual MFA devices are SHA1 with a 30 s period`,
    );
  }
  if (source.kind === 'default')
    warnings.push(
      'the long-term keys come from the default credential chain (AWS_ACCESS_KEY_ID…, or the default profile)',
    );
  return { account: id, aws: redactAwsBlock(block), warnings };
}

function checkTotpAccount(a: Account): void {
  if (a.type !== 'totp' || a.digits !== 6)
    fail('invalid', `account ${a.id} is not a 6-digit TOTP account: AWS MFA devices use 6-digit TOTP codes`, {
      kind: 'not_configured',
    });
}

function safeParse(id: string, raw: unknown): AwsConfig | null {
  try {
    return parseAwsBlock(id, raw);
  } catch {
    return null;
  }
}

// ---- minting ----

export interface AwsRequest {
  account: string;
  role?: string | undefined;
  duration_seconds?: number | undefined;
  delivery: AwsDelivery;
}

/** What the fronts pass: the AWS environment, and hooks for tests and for people. */
export interface AwsDeps {
  env: AwsEnv;
  /** Progress for a person (waits, retries); never a secret. credential_process passes none. */
  progress?: ((message: string) => void) | undefined;
  /** A warning for a person (clock skew); never a secret. */
  warn?: ((message: string) => void) | undefined;
  /** `--debug` diagnostics (e.g. why the session cache was ignored); never a secret. */
  debug?: ((message: string) => void) | undefined;
  /** Tests: a virtual clock's sleep, a fake STS. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  sts?: (() => Promise<StsApi>) | undefined;
}

export interface MintedSession {
  session: Session;
  account: string;
  role: string | null;
  region: string | null;
  /** MFA step spent by this request (null: served from the cache). */
  step: number | null;
}

function roleOf(config: AwsConfig, account: string, name: string | undefined): RoleConfig | null {
  if (name === undefined) return null;
  const r = config.roles.get(name);
  if (!r) {
    const known = [...config.roles.keys()];
    // The name may come from a model: echoed only when it is a valid role name.
    const shown = ROLE_NAME.test(name) ? `'${name}'` : '(an invalid role name)';
    fail('not_found', `account ${account} has no role named ${shown}`, {
      hint: known.length ? `its roles: ${known.join(', ')}` : `add one with aws setup ${account} --role NAME=ARN`,
    });
  }
  return r;
}

/** The request as the planner takes it (duration resolved against the role, the config and the cap). */
function sessionRequest(
  account: Account,
  req: Omit<AwsRequest, 'delivery'>,
  cap: number | undefined,
  agent: string | null,
): { config: AwsConfig; sr: SessionRequest } {
  const config = parseAwsBlock(account.id, account.aws);
  const role = roleOf(config, account.id, req.role);
  const duration = resolveDuration(config, role, req.duration_seconds, cap);
  const name = sessionNameFor(agent);
  return { config, sr: { config, role, duration, session_name: name, source_identity: name } };
}

function mintEnv(
  ctx: AppContext,
  account: Account,
  config: AwsConfig,
  deps: AwsDeps,
  signal: AbortSignal | undefined,
  fleet: Coordinator | null,
): MintEnv {
  const region = config.region ?? deps.env.region ?? 'us-east-1';
  return {
    clock: ctx.clock,
    sleep: deps.sleep ?? sleep,
    dir: awsStateDir(ctx),
    cache: sessionCache(ctx, config, deps.progress ?? deps.debug, fleet),
    fleet,
    sts: deps.sts ?? loadSts,
    source: () => {
      if (deps.env.resolvingSource) {
        fail(
          'invalid',
          "a source profile's credential_process started totp-mcp again: the account's --source must not itself use totp-mcp",
          { kind: 'not_configured' },
        );
      }
      if (config.source.kind !== 'vault') markResolvingSource();
      return loadSource(config.source);
    },
    code: (step) => generateCode(account, step * account.period * 1000).code,
    periodMs: account.period * 1000,
    region,
    endpoint: deps.env.stsEndpoint ?? `https://sts.${region}.amazonaws.com`,
    signal,
    progress: deps.progress,
    warn: deps.warn,
    onSkew: (ms) => {
      void recordSkew(ctx, ms);
    },
  };
}

/** Mints or reuses; refuses to hand out a session with 5 minutes or less left. */
async function produce(
  ctx: AppContext,
  account: Account,
  req: AwsRequest,
  cap: number | undefined,
  agent: string | null,
  deps: AwsDeps,
  signal: AbortSignal | undefined,
): Promise<{ minted: MintedSession; audit: AuditAws }> {
  const { config, sr } = sessionRequest(account, req, cap, agent);
  // Fleet mode (issue 15): configured but unreachable refuses here, before any code is made.
  const fleet = await ctx.coordinator();
  const got = await obtainSession(mintEnv(ctx, account, config, deps, signal, fleet), sr);
  const s = got.session;
  if (s.expires - ctx.clock.now() <= MIN_REMAINING_MS) {
    throw new TotpMcpError('internal', 'the session would expire within 5 minutes: not handed out', {
      hint: 'check the clock',
    });
  }
  return {
    minted: {
      session: s,
      account: account.id,
      role: sr.role?.name ?? null,
      region: config.region ?? deps.env.region ?? null,
      step: got.step,
    },
    audit: {
      role: sr.role?.name ?? null,
      duration: s.duration,
      expires: new Date(s.expires).toISOString(),
      delivery: req.delivery,
      session_name: s.kind === 'role' ? s.session_name : null,
    },
  };
}

/** As an agent: policy-checked (role, duration cap, delivery) and audited before anything leaves. */
export async function agentAwsSession(
  service: AgentService,
  rc: RequestContext,
  req: AwsRequest,
  deps: AwsDeps,
): Promise<MintedSession> {
  try {
    return await gatedAwsSession(service, rc, req, deps);
  } catch (e) {
    throw await clearerRoleDenial(service, req, e);
  }
}

const ROLE_DENIED = 'the policy does not allow this role';

/**
 * The policy's "does not allow this role" said more precisely: no role was asked for under a rule
 * that lists roles, or the account has no such role. Only after a rule for this agent and account
 * matched (the denial names it), so nothing is said about accounts the agent may not use.
 */
async function clearerRoleDenial(service: AgentService, req: AwsRequest, e: unknown): Promise<unknown> {
  if (!(e instanceof TotpMcpError) || e.kind !== 'denied' || !e.message.startsWith(ROLE_DENIED)) return e;
  // The denial names its rule: "… (rule NAME)" (agent.ts denialError).
  const ruleName = /\(rule ([^;)]+)/.exec(e.message)?.[1] ?? null;
  const why = ruleName === null ? '' : ` (rule ${ruleName})`;
  if (req.role === undefined)
    return refusal('denied', `this rule needs a role${why}: ask for one of the roles it lists`);
  let config: AwsConfig | null;
  try {
    const account = findAccount((await (await service.ctx.vault()).read()).accounts, req.account);
    config = account.aws === undefined ? null : parseAwsBlock(account.id, account.aws);
  } catch {
    return e;
  }
  if (config !== null && config.roles.has(req.role)) return e;
  // The name may come from a model: echoed only when it is a valid role name.
  const shown = ROLE_NAME.test(req.role) ? `'${req.role}'` : '(an invalid role name)';
  return refusal('denied', `this account has no role named ${shown}${why}`);
}

function gatedAwsSession(
  service: AgentService,
  rc: RequestContext,
  req: AwsRequest,
  deps: AwsDeps,
): Promise<MintedSession> {
  return service.gated(
    rc,
    {
      action: 'aws_session',
      account: req.account,
      aws: { role: req.role, duration_seconds: req.duration_seconds, delivery: req.delivery },
    },
    async (account, decision) => {
      const { minted, audit } = await produce(
        service.ctx,
        account,
        req,
        decision.aws?.max_duration_seconds,
        service.agent,
        deps,
        rc.signal,
      );
      return { value: minted, step: minted.step, aws: audit };
    },
  );
}

/** As the owner (`aws exec` without --agent): not policy-checked, audited with agent null. */
export async function ownerAwsSession(
  ctx: AppContext,
  req: AwsRequest,
  deps: AwsDeps,
  signal?: AbortSignal,
): Promise<MintedSession> {
  checkId(req.account);
  const payload = await (await ctx.vault()).read();
  const account = findAccount(payload.accounts, req.account);
  let out: { minted: MintedSession; audit: AuditAws };
  try {
    out = await produce(ctx, account, req, undefined, null, deps, signal);
  } catch (e) {
    await recordOwner(ctx, payload, {
      action: 'aws_session',
      account: account.id,
      decision: 'error',
      reason: `error_${e instanceof TotpMcpError ? e.code : 'internal'}`,
    });
    throw e;
  }
  await recordOwner(ctx, payload, {
    action: 'aws_session',
    account: account.id,
    decision: 'allow',
    reason: 'owner',
    step: out.minted.step,
    aws: out.audit,
  });
  return out.minted;
}

/** `--explain`: the plan for a request now, and why (reads the cache; calls nothing). */
export async function explainAwsSession(
  ctx: AppContext,
  req: Omit<AwsRequest, 'delivery'>,
  agent: string | null,
  env: AwsEnv,
): Promise<string> {
  checkId(req.account);
  const account = findAccount((await (await ctx.vault()).read()).accounts, req.account);
  const { config, sr } = sessionRequest(account, req, undefined, agent);
  const doc = await sessionCache(ctx, config).read();
  const plan = planSession(sr, doc, ctx.clock.now());
  const region = config.region ?? env.region ?? 'us-east-1';
  const where = env.stsEndpoint
    ? `endpoint ${env.stsEndpoint} (AWS_ENDPOINT_URL_STS)`
    : `regional endpoint sts.${region}.amazonaws.com`;
  const roleNote = sr.role
    ? `role session name and SourceIdentity: ${sr.session_name}${sr.role.source_identity ? '' : ' (SourceIdentity off for this role)'}\n`
    : '';
  return `${formatPlan(sr, plan, account.id)}STS: ${where}, signing region ${region}\n${roleNote}policy: the agent's rule may cap the duration further (totp-mcp policy explain --action aws_session)\n`;
}

// ---- the MCP tool: get_aws_session ----

export interface GetAwsSessionRequest {
  account: string;
  role?: string | undefined;
  duration_seconds?: number | undefined;
  /** `profile` (default): written to the shared credentials file; `inline`: returned, if policy allows. */
  delivery?: 'profile' | 'inline' | undefined;
}

interface SessionInfo {
  arn: string;
  account_id: string;
  /** ISO 8601. */
  expiration: string;
  region: string | null;
  role: string | null;
}

export type GetAwsSessionResult =
  | (SessionInfo & { delivery: 'profile'; profile: string; credentials_file: string })
  | (SessionInfo & { delivery: 'inline'; access_key_id: string; secret_access_key: Redacted; session_token: Redacted });

/**
 * The `get_aws_session` tool's use-case. Policy decides the role, the duration (cap) and the
 * delivery; the event is audited (fsynced) before the credentials are written or returned.
 *
 * - `profile`: writes `[totp-mcp-<account>[-<role>]]` to `env.sharedCredentialsFile`
 *   (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials) atomically, keeping the rest of the file;
 *   the result names the profile and holds no secret.
 * - `inline`: the keys, as Redacted values (reveal them into the tool result only).
 */
export async function getAwsSession(
  service: AgentService,
  rc: RequestContext,
  req: GetAwsSessionRequest,
  env: AwsEnv,
  deps: Omit<AwsDeps, 'env'> = {},
): Promise<GetAwsSessionResult> {
  const asked: string = req.delivery ?? 'profile'; // checked again: the tool's input comes from a model
  if (asked !== 'profile' && asked !== 'inline') fail('usage', 'delivery is profile or inline');
  const delivery = asked;
  const m = await agentAwsSession(
    service,
    rc,
    { account: req.account, role: req.role, duration_seconds: req.duration_seconds, delivery },
    { ...deps, env },
  );
  const info: SessionInfo = {
    arn: m.session.arn,
    account_id: m.session.account_id,
    expiration: new Date(m.session.expires).toISOString(),
    region: m.region,
    role: m.role,
  };
  if (delivery === 'inline') {
    return {
      ...info,
      delivery,
      access_key_id: m.session.access_key_id,
      secret_access_key: m.session.secret_access_key,
      session_token: m.session.session_token,
    };
  }
  const profile = profileNameFor(m.account, m.role);
  await writeProfile(env.sharedCredentialsFile, profile, m.session, m.region);
  return { ...info, delivery, profile, credentials_file: env.sharedCredentialsFile };
}

// ---- outputs for the CLI (which reaches aws/ only through app/) ----

export {
  EXEC_MARKER,
  containerEnv,
  containerJson,
  credentialProcessJson,
  execEnv,
  isoSeconds,
  regionFor,
} from '../aws/index.js';

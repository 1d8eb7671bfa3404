/**
 * AWS virtual MFA devices managed from the vault (issue 16): enroll, resync, list, retire. The
 * IAM console's procedure (create a device, show its secret, type two consecutive codes) done
 * through the IAM API, with the seed going from CreateVirtualMFADevice's answer straight into the
 * vault: never printed, never logged, never in an audit event.
 *
 * Codes for Enable/Resync: the previous and the current step (what a person typing two codes in
 * the console sends), both after the device's last spent step in the ledger, under the serial's
 * lock; the later one is recorded as spent once IAM answered.
 */
import {
  SESSION_TOKEN_DEFAULT,
  awsError,
  iamFailed,
  iamFailureOf,
  checkAccessKeyId,
  checkMfaSerial,
  checkRegion,
  checkSecretAccessKey,
  ledgerPathFor,
  loadSource,
  loadSts,
  lockPathFor,
  parseAwsBlock,
  parseRoleSpec,
  parseSourceSpec,
  readLedger,
  recordStep,
  toAwsBlock,
  type AwsConfig,
  type IamApi,
  type MfaDeviceInfo,
  type SigningKeys,
  type StsApi,
} from '../aws/index.js';
import { sleep as realSleep } from '../core/clock.js';
import { TotpMcpError, fail } from '../core/errors.js';
import { withLock } from '../core/lock.js';
import type { Account } from '../core/model.js';
import { Redacted } from '../core/redacted.js';
import { ensureRealDir } from '../core/fs.js';
import { generateCode } from '../otp/index.js';
import { newSealIdentity } from '../vault/index.js';
import { checkId, findAccount } from './accounts.js';
import { recordOwner } from './audit.js';
import { awsStateDir } from './aws-cache.js';
import type { AppContext } from './context.js';

/** IAM's SDK, for these commands only: kept out of aws/index.ts so that no other bundle reaches it. */
const loadIam = async (): Promise<IamApi> => (await import('../aws/iam.js')).sdkIam;

/** What AWS allows per IAM user (root included), of any type. */
export const MAX_MFA_DEVICES = 8;
const DEVICE_NAME = /^[\w+=,.@-]{1,226}$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const PERIOD = 30;

export interface DeviceDeps {
  iam?: (() => Promise<IamApi>) | undefined;
  sts?: (() => Promise<StsApi>) | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Progress for a person (waiting for a step); never a secret. */
  progress?: ((message: string) => void) | undefined;
}

// ---- errors ----

type IamCall =
  | 'CreateVirtualMFADevice'
  | 'EnableMFADevice'
  | 'ResyncMFADevice'
  | 'ListMFADevices'
  | 'DeactivateMFADevice'
  | 'DeleteVirtualMFADevice'
  | 'GetCallerIdentity';

/** An IAM failure, said with the step that failed and why (AWS's message is never echoed: it may quote ARNs). */
function iamError(call: IamCall, thrown: unknown, ctx: { user?: string; device?: string } = {}): TotpMcpError {
  const e = iamFailureOf(thrown);
  if (e === undefined) return thrown instanceof TotpMcpError ? thrown : new TotpMcpError('internal', `${call} failed`);
  const cause = { cause: e.cause };
  const code = e.stsCode;
  if (!e.answered)
    return awsError('unreachable', `${call} failed: IAM did not answer (${code})`, {
      ...cause,
      hint: 'check the network, or AWS_ENDPOINT_URL_IAM',
    });
  switch (code) {
    case 'AccessDenied':
      return awsError('access_denied', `${call} failed: the keys' user may not call iam:${call}`, {
        ...cause,
        hint: "attach the MFA self-management policy (README: 'aws enroll') to the user",
      });
    case 'LimitExceeded':
      return awsError(
        'access_denied',
        `${call} failed: ${ctx.user ? `user ${ctx.user}` : 'the user'} already has ${MAX_MFA_DEVICES} MFA devices, the most AWS allows`,
        { ...cause, hint: 'retire one first (totp-mcp aws devices ACCOUNT lists them)' },
      );
    case 'EntityAlreadyExists':
      return awsError(
        'config',
        `${call} failed: a virtual MFA device named ${ctx.device ?? 'so'} already exists in this AWS account`,
        { ...cause, hint: 'choose another --device-name' },
      );
    case 'InvalidAuthenticationCode':
      return awsError(
        'mfa_code_rejected',
        `${call} failed: IAM rejected the two consecutive codes (this computer's clock may be off)`,
        { ...cause, hint: 'fix the clock (NTP) and try again' },
      );
    case 'NoSuchEntity':
      return awsError('config', `${call} failed: IAM has no such user or device`, {
        ...cause,
        hint: 'check --user (and that the device was not deleted in the console)',
      });
    case 'InvalidClientTokenId':
      return awsError('invalid_key', `${call} failed: AWS does not recognise the access key id`, cause);
    case 'SignatureDoesNotMatch':
      return awsError('bad_secret', `${call} failed: the secret access key is wrong for this access key id`, cause);
    default:
      return awsError('sts_error', `${call} failed: IAM answered ${code.replace(/[^\w.-]/g, '').slice(0, 64)}`, cause);
  }
}

async function call<T>(name: IamCall, fn: () => Promise<T>, ctx?: { user?: string; device?: string }): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw iamError(name, e, ctx);
  }
}

// ---- keys and the user ----

/** The IAM user whose keys these are (GetCallerIdentity, which needs no MFA and no permission). */
async function callerUser(sts: StsApi, keys: SigningKeys): Promise<{ user: string; account_id: string }> {
  const got = await sts.getCallerIdentity({ region: 'us-east-1' }, keys);
  if (!got.ok) throw iamError('GetCallerIdentity', iamFailed(got.failure));
  const who = got.value;
  const m = /^arn:[\w-]+:iam::(\d{12}):user\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(who.arn);
  const [, account_id, user] = m ?? [];
  if (account_id === undefined || user === undefined)
    return fail('invalid', 'these keys are not an IAM user’s long-term keys (root, or a role session)', {
      hint: 'use the access key of the IAM user that will own the device',
    });
  return { user, account_id };
}

// ---- codes ----

/**
 * Two consecutive steps' codes after the device's last spent step (the previous and the current
 * step once a fresh pair exists), computed from `secret` at the moment they are sent.
 */
async function freshPair(
  ctx: AppContext,
  serial: string,
  deps: DeviceDeps,
): Promise<{ first: number; ledger: string }> {
  const ledger = ledgerPathFor(awsStateDir(ctx), serial);
  const last = await readLedger(ledger, serial);
  const periodMs = PERIOD * 1000;
  for (;;) {
    const current = Math.floor(ctx.clock.now() / periodMs);
    if (current - 1 > last) return { first: current - 1, ledger };
    const wait = (last + 2) * periodMs - ctx.clock.now() + 25;
    if (wait > 2 * periodMs + 2_000)
      fail('invalid', "the MFA step ledger is ahead of this computer's clock: was the clock set back?");
    deps.progress?.(`waiting ${Math.ceil(wait / 1000)} s for two MFA codes AWS has not seen yet`);
    await (deps.sleep ?? realSleep)(wait);
  }
}

const codeAt = (secret: Redacted, step: number): Redacted =>
  generateCode({ type: 'totp', secret, algorithm: 'SHA1', digits: 6, period: PERIOD, counter: 0 }, step * PERIOD * 1000)
    .code;

/** Enable or Resync with two fresh consecutive codes, under the serial's lock; the steps recorded once IAM answered. */
async function withTwoCodes(
  ctx: AppContext,
  serial: string,
  secret: Redacted,
  deps: DeviceDeps,
  send: (c1: Redacted, c2: Redacted) => Promise<void>,
): Promise<number> {
  const dir = awsStateDir(ctx);
  await ensureRealDir(dir, { levels: 2 });
  return withLock(
    lockPathFor(dir, serial),
    async () => {
      const { first, ledger } = await freshPair(ctx, serial, deps);
      try {
        await send(codeAt(secret, first), codeAt(secret, first + 1));
      } catch (e) {
        if (iamFailureOf(e)?.answered === true) await recordStep(ledger, serial, first + 1, ctx.clock.now());
        throw e;
      }
      await recordStep(ledger, serial, first + 1, ctx.clock.now());
      return first + 1;
    },
    { timeoutMs: 150_000 },
  );
}

// ---- enroll ----

export interface EnrollInput {
  user: string;
  deviceName?: string | undefined;
  source?: string | undefined;
  accessKeyId?: string | undefined;
  readSecret?: (() => Promise<Redacted>) | undefined;
  region?: string | undefined;
  roles?: string[] | undefined;
}

export interface EnrollResult {
  account: string;
  serial: string;
  user: string;
  device_name: string;
  /** The step whose code was spent last (recorded in the ledger). */
  step: number;
}

/**
 * CreateVirtualMFADevice → the seed into a new vault account with its aws block (one write) →
 * EnableMFADevice with two consecutive codes. A failure after the device exists deletes it again
 * and removes the account: nothing half-done remains.
 */
export async function awsEnroll(
  ctx: AppContext,
  id: string,
  input: EnrollInput,
  deps: DeviceDeps = {},
): Promise<EnrollResult> {
  checkId(id);
  if (!USER_NAME.test(input.user)) fail('usage', '--user is an IAM user name (letters, digits and _+=,.@-)');
  const deviceName = input.deviceName ?? `totp-mcp-${id}`.replace(/[^\w+=,.@-]/g, '-');
  if (!DEVICE_NAME.test(deviceName)) fail('usage', '--device-name takes letters, digits and _+=,.@- (at most 226)');
  const region = input.region === undefined ? null : checkRegion(input.region);
  const roles = (input.roles ?? []).flatMap((r) => r.split(/,(?=[A-Za-z0-9_.-]+=arn:)/)).map(parseRoleSpec);
  const spec = input.source === undefined ? undefined : parseSourceSpec(input.source);
  if (input.accessKeyId !== undefined && spec !== undefined && spec.kind !== 'vault')
    fail('usage', '--access-key-id goes with --source vault');
  const vault = await ctx.vault();
  if ((await vault.read()).accounts.some((a) => a.id === id))
    fail('conflict', `account '${id}' already exists`, { hint: 'choose another id, or retire that one first' });

  let source: AwsConfig['source'];
  if (spec?.kind === 'vault' || (spec === undefined && input.accessKeyId !== undefined)) {
    if (input.accessKeyId === undefined) fail('usage', '--source vault needs --access-key-id');
    const akid = checkAccessKeyId(input.accessKeyId);
    if (!input.readSecret) fail('usage', 'the secret access key must be typed or piped');
    source = { kind: 'vault', access_key_id: akid, secret_access_key: checkSecretAccessKey(await input.readSecret()) };
  } else source = spec?.kind === 'profile' ? { kind: 'profile', profile: spec.profile } : { kind: 'default' };

  const keys = await loadSource(source);
  const sts = await (deps.sts ?? loadSts)();
  const who = await callerUser(sts, keys);
  if (who.user !== input.user)
    fail(
      'usage',
      `these keys are IAM user ${who.user}'s, not ${input.user}'s: an MFA session needs the device's own user's keys`,
      {
        hint: `use --user ${who.user}, or that user's keys`,
      },
    );
  const iam = await (deps.iam ?? loadIam)();
  const created = await call('CreateVirtualMFADevice', () => iam.createVirtualMfaDevice(keys, deviceName), {
    device: deviceName,
  });
  const serial = checkMfaSerial(created.serial);
  let added = false;
  const undo = async (): Promise<void> => {
    await iam.deleteVirtualMfaDevice(keys, serial.serial).catch(() => undefined);
    if (added)
      await vault
        .update((p) => {
          const i = p.accounts.findIndex((a) => a.id === id);
          if (i >= 0) p.accounts.splice(i, 1);
        })
        .catch(() => undefined);
  };
  try {
    const { canonicalBase32 } = await import('../otp/base32.js');
    const secret = new Redacted(canonicalBase32(created.seed.reveal()));
    const cacheIdentity = vault.unlockKind === 'passphrase' ? (await newSealIdentity(ctx.clock.now())).identity : null;
    const config: AwsConfig = {
      mfa_serial: serial.serial,
      account_id: serial.account_id,
      region,
      root: false,
      source,
      session_duration: SESSION_TOKEN_DEFAULT,
      roles: new Map(roles.map((r) => [r.name, r])),
      cache_identity: cacheIdentity,
    };
    const now = new Date(ctx.clock.now()).toISOString();
    await vault.update((p) => {
      if (p.accounts.some((a) => a.id === id)) fail('conflict', `account '${id}' already exists`);
      const account: Account = {
        type: 'totp',
        secret,
        algorithm: 'SHA1',
        digits: 6,
        period: PERIOD,
        counter: 0,
        id,
        issuer: 'Amazon Web Services',
        label: `${input.user}@${serial.account_id ?? who.account_id}`,
        tags: [],
        aws: toAwsBlock(config),
        created_at: now,
        updated_at: now,
      };
      p.accounts.push(account);
    });
    added = true;
    const step = await withTwoCodes(ctx, serial.serial, secret, deps, (c1, c2) =>
      iam.enableMfaDevice(keys, input.user, serial.serial, c1, c2),
    ).catch((e: unknown) => {
      throw iamError('EnableMFADevice', e, { user: input.user });
    });
    const payload = await vault.read();
    await recordOwner(ctx, payload, {
      action: 'account_add',
      account: id,
      decision: 'allow',
      reason: 'aws_enroll',
      step,
    });
    return { account: id, serial: serial.serial, user: input.user, device_name: deviceName, step };
  } catch (e) {
    await undo();
    throw e;
  }
}

// ---- the account's device ----

async function deviceOf(
  ctx: AppContext,
  id: string,
  deps: DeviceDeps,
): Promise<{ account: Account; config: AwsConfig; keys: SigningKeys; user: string; iam: IamApi }> {
  checkId(id);
  const account = findAccount((await (await ctx.vault()).read()).accounts, id);
  if (account.aws === undefined)
    fail('invalid', `account ${id} has no aws block`, { hint: `totp-mcp aws enroll, or aws setup ${id}` });
  const config = parseAwsBlock(id, account.aws);
  const keys = await loadSource(config.source);
  const { user } = await callerUser(await (deps.sts ?? loadSts)(), keys);
  return { account, config, keys, user, iam: await (deps.iam ?? loadIam)() };
}

/** ResyncMFADevice with two fresh consecutive codes. */
export async function awsResync(
  ctx: AppContext,
  id: string,
  deps: DeviceDeps = {},
): Promise<{ serial: string; step: number }> {
  const d = await deviceOf(ctx, id, deps);
  const serial = d.config.mfa_serial;
  const step = await withTwoCodes(ctx, serial, d.account.secret, deps, (c1, c2) =>
    d.iam.resyncMfaDevice(d.keys, d.user, serial, c1, c2),
  ).catch((e: unknown) => {
    throw iamError('ResyncMFADevice', e, { user: d.user });
  });
  await recordOwner(ctx, await (await ctx.vault()).read(), {
    action: 'account_update',
    account: id,
    decision: 'allow',
    reason: 'aws_resync',
    step,
  });
  return { serial, step };
}

export interface DeviceList {
  account: string;
  user: string;
  devices: {
    serial: string;
    kind: 'virtual' | 'hardware' | 'security_key';
    enabled: string | null;
    this_vault: boolean;
  }[];
  slots_left: number;
}

const kindOf = (serial: string): 'virtual' | 'hardware' | 'security_key' =>
  /:u2f\//.test(serial) ? 'security_key' : /:mfa\//.test(serial) ? 'virtual' : 'hardware';

/** ListMFADevices for the account's user: every device, which one this vault holds, the slots left. */
export async function awsDevices(ctx: AppContext, id: string, deps: DeviceDeps = {}): Promise<DeviceList> {
  const d = await deviceOf(ctx, id, deps);
  const list: MfaDeviceInfo[] = await call('ListMFADevices', () => d.iam.listMfaDevices(d.keys, d.user), {
    user: d.user,
  });
  return {
    account: id,
    user: d.user,
    devices: list.map((x) => ({
      serial: x.serial,
      kind: kindOf(x.serial),
      enabled: x.enabled === null ? null : new Date(x.enabled).toISOString(),
      this_vault: x.serial === d.config.mfa_serial,
    })),
    slots_left: Math.max(0, MAX_MFA_DEVICES - list.length),
  };
}

/** DeactivateMFADevice, DeleteVirtualMFADevice, then the account (or only its aws block). */
export async function awsRetire(
  ctx: AppContext,
  id: string,
  opts: { keepAccount: boolean },
  deps: DeviceDeps = {},
): Promise<{ serial: string; kept_account: boolean }> {
  const d = await deviceOf(ctx, id, deps);
  const serial = d.config.mfa_serial;
  if (kindOf(serial) !== 'virtual')
    fail('invalid', `account ${id}'s device is not a virtual MFA device: retire it in the IAM console`);
  await call('DeactivateMFADevice', () => d.iam.deactivateMfaDevice(d.keys, d.user, serial), { user: d.user });
  await call('DeleteVirtualMFADevice', () => d.iam.deleteVirtualMfaDevice(d.keys, serial));
  const vault = await ctx.vault();
  await vault.update((p) => {
    const i = p.accounts.findIndex((a) => a.id === id);
    const a = p.accounts[i];
    if (a === undefined) return;
    if (opts.keepAccount) {
      delete a.aws;
      a.updated_at = new Date(ctx.clock.now()).toISOString();
    } else p.accounts.splice(i, 1);
  });
  await recordOwner(ctx, await vault.read(), {
    action: opts.keepAccount ? 'account_update' : 'account_remove',
    account: id,
    decision: 'allow',
    reason: 'aws_retire',
  });
  return { serial, kept_account: opts.keepAccount };
}

/**
 * The policy file on disk and its pin in the vault (tamper-evident: an unapplied edit is refused).
 *
 * `policy apply` validates policy.yaml and pins its SHA-256 in the vault. Every agent decision then
 * loads the file through `PolicyGate`, which refuses (so every request is denied) when the file is
 * missing, is writable by group or others, is a symlink, or differs from the pin. The check is
 * cheap: one stat per turn of the event loop, and a re-read and re-hash only when the stat changes.
 */
import { lstatSync, type BigIntStats } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import { fail, TotpMcpError } from '../core/errors.js';
import { isEexist, writeNewFile } from '../core/fs.js';
import { sameStamp, type FileStamp } from '../core/file-stamp.js';
import { perTurn } from '../core/per-turn.js';
// Specific modules, not the policy barrel: the agent path must not load the YAML parser or the
// schema library (parse.ts, lint.ts), which load on demand below.
import { fromCompiledJson, toCompiledJson } from '../policy/compiled.js';
import { policyHash } from '../policy/hash.js';
import type { Policy } from '../policy/types.js';
import type { PolicyWarning } from '../policy/lint.js';
import type { Payload } from '../vault/index.js';
import { recordOwner } from './audit.js';
import type { AppContext } from './context.js';

/** Why the policy cannot be used: each denies every request, and doctor reports it. */
const PROBLEMS = ['missing', 'not_pinned', 'differs_from_pin', 'unsafe_permissions', 'invalid'] as const;
export type PolicyProblem = (typeof PROBLEMS)[number];

/** The problem of an unusable-policy error (its `reason` is `policy_<problem>`, as audited), else undefined. */
export function policyProblem(e: unknown): PolicyProblem | undefined {
  if (!(e instanceof TotpMcpError) || e.reason?.startsWith('policy_') !== true) return undefined;
  const problem = e.reason.slice('policy_'.length);
  return PROBLEMS.find((p) => p === problem);
}

const MESSAGES: Record<PolicyProblem, [string, string]> = {
  missing: [
    'policy.yaml is missing: every agent request is denied',
    "create one with 'totp-mcp policy init', then 'totp-mcp policy apply'",
  ],
  not_pinned: [
    'policy.yaml has not been applied: every agent request is denied',
    "run 'totp-mcp policy apply' to validate and pin it",
  ],
  differs_from_pin: [
    'policy.yaml differs from the applied (pinned) policy: every agent request is denied',
    "review the change, then run 'totp-mcp policy apply'",
  ],
  unsafe_permissions: [
    'policy.yaml is writable by group or others, or is not a regular file: every agent request is denied',
    'chmod 600 policy.yaml',
  ],
  invalid: ['policy.yaml does not validate: every agent request is denied', "run 'totp-mcp policy check'"],
};

/** Denies every agent request, said to the agent with what the owner should do. */
export const unusable = (problem: PolicyProblem): TotpMcpError =>
  new TotpMcpError('denied', MESSAGES[problem][0], {
    kind: 'denied',
    hint: MESSAGES[problem][1],
    reason: `policy_${problem}`,
  });

interface Loaded {
  stamp: FileStamp;
  hash: string;
  policy: Policy;
}

/** Reads and checks policy.yaml against the pin; caches the parse by the file's stamp (dev, ino, size, mtime, ctime). */
export class PolicyGate {
  #loaded: Loaded | undefined;
  /** Once per turn of the event loop, synchronously (see AgentService's vault stat). */
  readonly #lstat: () => BigIntStats | undefined;

  constructor(private readonly path: string) {
    this.#lstat = perTurn(() => {
      try {
        return lstatSync(this.path, { bigint: true });
      } catch {
        return undefined;
      }
    });
  }

  async load(pin: Payload['policy_pin']): Promise<{ policy: Policy; hash: string }> {
    const st = this.#lstat();
    if (st === undefined) throw unusable('missing');
    if (!st.isFile() || (st.mode & 0o022n) !== 0n) throw unusable('unsafe_permissions');
    if (!pin) throw unusable('not_pinned');
    let loaded = this.#loaded;
    if (loaded === undefined || !sameStamp(loaded.stamp, st)) {
      const text = await readFile(this.path);
      const hash = policyHash(text);
      // The pinned, already validated copy when the file is the one applied; else parse it, only
      // to tell a broken file from a changed one (either way every request is denied).
      const pinned = hash === pin.sha256 ? fromCompiledJson(pin.compiled) : undefined;
      let policy: Policy;
      if (pinned) policy = pinned;
      else {
        try {
          policy = (await import('../policy/parse.js')).parsePolicy(text.toString('utf8'), 'policy.yaml');
        } catch {
          throw unusable(hash === pin.sha256 ? 'invalid' : 'differs_from_pin');
        }
      }
      loaded = { stamp: st, hash, policy };
      this.#loaded = loaded;
    }
    if (loaded.hash !== pin.sha256) throw unusable('differs_from_pin');
    return { policy: loaded.policy, hash: loaded.hash };
  }
}

/** `policy init`: a commented starter file, never over an existing one. */
export async function initPolicy(ctx: AppContext): Promise<string> {
  const { STARTER_POLICY } = await import('../policy/starter.js');
  // A half-written starter (disk full) is not left behind to be edited and applied.
  await writeNewFile(ctx.paths.policy, STARTER_POLICY).catch((e: unknown) => {
    if (isEexist(e)) fail('conflict', 'policy.yaml already exists', { hint: "edit it, then 'totp-mcp policy apply'" });
    throw e;
  });
  return ctx.paths.policy;
}

async function readPolicyText(ctx: AppContext): Promise<Buffer> {
  try {
    return await readFile(ctx.paths.policy);
  } catch {
    throw unusable('missing');
  }
}

/** `policy check`: validate and lint against the vault's accounts. Throws on an invalid file. */
export async function checkPolicy(
  ctx: AppContext,
): Promise<{ policy: Policy; warnings: PolicyWarning[]; hash: string; pinned: boolean }> {
  const text = await readPolicyText(ctx);
  const [{ parsePolicy }, { lintPolicy }] = await Promise.all([
    import('../policy/parse.js'),
    import('../policy/lint.js'),
  ]);
  const policy = parsePolicy(text.toString('utf8'), 'policy.yaml');
  const payload = await (await ctx.vault()).read();
  const hash = policyHash(text);
  return { policy, hash, pinned: payload.policy_pin?.sha256 === hash, warnings: lintPolicy(policy, payload.accounts) };
}

/**
 * `policy apply`: validate, then pin the hash of exactly the bytes validated. The file is made
 * 0600 first: a file that others could write would be refused at every decision anyway.
 */
export async function applyPolicy(
  ctx: AppContext,
): Promise<{ hash: string; previous: string | null; warnings: PolicyWarning[] }> {
  const text = await readPolicyText(ctx);
  const [{ parsePolicy }, { lintPolicy }] = await Promise.all([
    import('../policy/parse.js'),
    import('../policy/lint.js'),
  ]);
  const policy = parsePolicy(text.toString('utf8'), 'policy.yaml');
  const st = await lstat(ctx.paths.policy);
  if (!st.isFile()) throw unusable('unsafe_permissions');
  if ((st.mode & 0o022) !== 0) {
    const fh = await open(ctx.paths.policy, 'r');
    try {
      await fh.chmod(0o600);
    } finally {
      await fh.close();
    }
  }
  const hash = policyHash(text);
  const vault = await ctx.vault();
  const { previous, payload } = await vault.update((p) => {
    const prev = p.policy_pin?.sha256 ?? null;
    p.policy_pin = {
      sha256: hash,
      applied_at: new Date(ctx.clock.now()).toISOString(),
      compiled: { ...toCompiledJson(policy) },
    };
    return { previous: prev, payload: p };
  });
  // The event names the pinned SHA-256 in `rule` (the policy's identity: 64 hex digits fit that
  // field's pattern, not the reason's), so the trail says which policy agents were decided by.
  await recordOwner(ctx, payload, { action: 'policy_apply', decision: 'allow', reason: 'applied', rule: hash });
  const accounts = payload.accounts;
  return { hash, previous, warnings: lintPolicy(policy, accounts) };
}

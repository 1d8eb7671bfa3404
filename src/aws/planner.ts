/**
 * The STS planner: which calls give the asked session, and why. Pure.
 *
 * - No role: GetSessionToken with MFA (the IAM user's own permissions, with MFA context).
 * - A role for at most 1 h: AssumeRole signed by an MFA session (GetSessionToken), which is cached
 *   per MFA device, so other roles and later runs need no new code. AWS caps such chained role
 *   sessions at 1 h whatever the role's MaxSessionDuration.
 * - A role for more than 1 h: AssumeRole with MFA directly from the long-term keys, up to the
 *   role's MaxSessionDuration. Each such session spends a code.
 */
import { checkDurationRange, formatDuration } from '../core/duration.js';
import { fail } from '../core/errors.js';
import {
  CHAINED_MAX,
  MIN_DURATION,
  sessionTokenMax,
  sessionTokenWhy,
  type AwsConfig,
  type RoleConfig,
} from './config.js';
import { chainSource, freshFor, pick, type CacheDoc, type Session, type SessionWant } from './session.js';

export interface SessionRequest {
  config: AwsConfig;
  role: RoleConfig | null;
  /** Seconds, resolved by `resolveDuration`. */
  duration: number;
  /** RoleSessionName for a role session. */
  session_name: string;
  /** SourceIdentity to send, or null. */
  source_identity: string | null;
}

export interface PlanStep {
  call: 'GetSessionToken' | 'AssumeRole';
  /** Carries an MFA code. */
  mfa: boolean;
  duration: number;
  role_arn: string | null;
  signed_by: 'long-term keys' | 'the new MFA session' | 'the cached MFA session';
}

export interface Plan {
  want: SessionWant;
  /** A cached session that serves the request: no call at all. */
  reuse: Session | null;
  /** The MFA session that will sign the AssumeRole, when one is cached. */
  chain_from: Session | null;
  steps: PlanStep[];
  /** Plain-language reasons, one per line. */
  why: string[];
}

/** The session length to ask for: the request's, else the configured default; never over the policy cap. */
export function resolveDuration(
  config: AwsConfig,
  role: RoleConfig | null,
  requested: number | undefined,
  cap: number | undefined,
): number {
  if (role) {
    const why = `AWS refuses more than the MaxSessionDuration of role ${role.name} (${formatDuration(role.max_duration)}; set with --role ${role.name}=ARN,max_duration=…)`;
    if (requested !== undefined)
      return checkDurationRange(requested, 'the duration', { min: MIN_DURATION, max: role.max_duration, why });
    const d = Math.min(role.duration, cap ?? Number.POSITIVE_INFINITY);
    if (d < MIN_DURATION)
      fail('denied', `the policy caps this session at ${formatDuration(d)}, under AWS's 15-minute minimum`);
    return d;
  }
  const max = sessionTokenMax(config.root);
  if (requested !== undefined)
    return checkDurationRange(requested, 'the duration', { min: MIN_DURATION, max, why: sessionTokenWhy(config.root) });
  const d = Math.min(config.session_duration, max, cap ?? Number.POSITIVE_INFINITY);
  if (d < MIN_DURATION)
    fail('denied', `the policy caps this session at ${formatDuration(d)}, under AWS's 15-minute minimum`);
  return d;
}

export function wantFor(req: SessionRequest): SessionWant {
  return req.role
    ? { kind: 'role', role_arn: req.role.arn, session_name: req.session_name, duration: req.duration }
    : { kind: 'mfa-session', role_arn: null, session_name: null, duration: req.duration };
}

/** The plan for `req` given the cache as it is at `now`. */
export function planSession(req: SessionRequest, doc: CacheDoc | null, now: number): Plan {
  const want = wantFor(req);
  const reuse = pick(doc, (s) => freshFor(s, want, now));
  const { config, role, duration } = req;
  const base = Math.min(config.session_duration, sessionTokenMax(config.root));
  if (reuse) {
    return {
      want,
      reuse,
      chain_from: null,
      steps: [],
      why: [
        `a cached session serves this request until ${new Date(reuse.expires).toISOString()}: no STS call, no MFA code`,
      ],
    };
  }
  if (!role) {
    return {
      want,
      reuse: null,
      chain_from: null,
      steps: [{ call: 'GetSessionToken', mfa: true, duration, role_arn: null, signed_by: 'long-term keys' }],
      why: [
        `GetSessionToken with an MFA code for ${formatDuration(duration)}: the IAM user's own permissions, with MFA context`,
        'the session is cached per MFA device and also signs role sessions of up to 1 hour, without a new code',
      ],
    };
  }
  if (duration <= CHAINED_MAX) {
    const from = chainSource(doc, now);
    const assume: PlanStep = {
      call: 'AssumeRole',
      mfa: false,
      duration,
      role_arn: role.arn,
      signed_by: from ? 'the cached MFA session' : 'the new MFA session',
    };
    const chainWhy = `AssumeRole ${role.arn} for ${formatDuration(duration)}, signed by the MFA session: AWS caps roles assumed from a session (role chaining) at 1 hour, whatever the role's MaxSessionDuration`;
    if (from) {
      return {
        want,
        reuse: null,
        chain_from: from,
        steps: [assume],
        why: [
          `a cached MFA session (until ${new Date(from.expires).toISOString()}) signs the call: no MFA code needed`,
          chainWhy,
        ],
      };
    }
    return {
      want,
      reuse: null,
      chain_from: null,
      steps: [
        { call: 'GetSessionToken', mfa: true, duration: base, role_arn: null, signed_by: 'long-term keys' },
        assume,
      ],
      why: [
        `GetSessionToken with an MFA code for ${formatDuration(base)}: cached per MFA device, so later runs and other roles reuse it without a new code`,
        chainWhy,
      ],
    };
  }
  return {
    want,
    reuse: null,
    chain_from: null,
    steps: [{ call: 'AssumeRole', mfa: true, duration, role_arn: role.arn, signed_by: 'long-term keys' }],
    why: [
      `more than 1 hour asked (${formatDuration(duration)}): a role assumed from an MFA session is capped at 1 hour (role chaining)`,
      `so AssumeRole ${role.arn} is called directly with the long-term keys and an MFA code, up to the role's MaxSessionDuration (${formatDuration(role.max_duration)})`,
      'each such session spends an MFA code; ask for 1h or less to share one MFA session across roles',
    ],
  };
}

/** The plan as text for `--explain`. */
export function formatPlan(req: SessionRequest, plan: Plan, account: string): string {
  const lines = [
    `plan for ${account}${req.role ? ` role ${req.role.name}` : ''}, ${formatDuration(req.duration)} (MFA device ${req.config.mfa_serial}${req.config.region ? `, region ${req.config.region}` : ''}):`,
  ];
  plan.steps.forEach((s, i) => {
    lines.push(
      `  ${i + 1}. ${s.call}${s.role_arn ? ` ${s.role_arn}` : ''} for ${formatDuration(s.duration)}, ${s.mfa ? 'with an MFA code, ' : ''}signed by ${s.signed_by}`,
    );
  });
  if (plan.steps.length === 0) lines.push('  (no call)');
  lines.push('why:');
  for (const w of plan.why) lines.push(`  - ${w}`);
  return `${lines.join('\n')}\n`;
}

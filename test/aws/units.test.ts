// Pure parts: input validation, the planner and its explanations, cache freshness, session names,
// the credentials-file edit, and the container endpoint's token check.
import { parseDuration } from '../../src/core/duration.js';
import { describe, expect, it } from 'vitest';
import {
  checkMfaSerial,
  checkProfileName,
  checkRegion,
  checkRoleArn,
  formatPlan,
  freshFor,
  parseAwsBlock,
  parseCache,
  parseRoleSpec,
  planSession,
  refreshMargin,
  replaceSection,
  resolveDuration,
  serializeCache,
  sessionNameFor,
  toAwsBlock,
  usableFor,
  withSession,
  type AwsConfig,
  type CacheDoc,
  type Session,
  type SessionRequest,
} from '../../src/aws/index.js';
import { tokenMatches } from '../../src/aws/container-server.js';
import { freshStep } from '../../src/aws/ledger.js';
import { Redacted } from '../../src/core/redacted.js';

const SERIAL = 'arn:aws:iam::123456789012:mfa/alice-phone';

function config(over: Partial<AwsConfig> = {}): AwsConfig {
  return {
    mfa_serial: SERIAL,
    account_id: '123456789012',
    region: null,
    root: false,
    source: {
      kind: 'vault',
      access_key_id: 'AKIAIOSFODNN7EXAMPLE',
      secret_access_key: new Redacted('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
    },
    session_duration: 43_200,
    roles: new Map([
      ['deploy', parseRoleSpec('deploy=arn:aws:iam::123456789012:role/deploy')],
      ['admin', parseRoleSpec('admin=arn:aws:iam::123456789012:role/admin,max_duration=12h')],
    ]),
    cache_identity: null,
    ...over,
  };
}

function session(over: Partial<Session>): Session {
  return {
    kind: 'role',
    role_arn: 'arn:aws:iam::123456789012:role/deploy',
    session_name: 'totp-mcp.terraform',
    source_identity: 'totp-mcp.terraform',
    duration: 3600,
    issued: 0,
    expires: 3600_000,
    arn: 'arn:aws:sts::123456789012:assumed-role/deploy/totp-mcp.terraform',
    account_id: '123456789012',
    with_mfa: false,
    access_key_id: 'ASIAEXAMPLE',
    secret_access_key: new Redacted('s'),
    session_token: new Redacted('t'),
    ...over,
  };
}

describe('input validation', () => {
  it('MFA serials: virtual ARNs (with paths, other partitions), hardware serials; u2f, user ARNs and junk refused', () => {
    expect(checkMfaSerial(SERIAL)).toEqual({ serial: SERIAL, account_id: '123456789012', root: false });
    expect(checkMfaSerial('arn:aws-us-gov:iam::123456789012:mfa/team/alice').account_id).toBe('123456789012');
    expect(checkMfaSerial('arn:aws:iam::123456789012:mfa/root-account-mfa-device').root).toBe(true);
    expect(checkMfaSerial('GAHT12345678')).toEqual({ serial: 'GAHT12345678', account_id: null, root: false });
    expect(() => checkMfaSerial('arn:aws:iam::123456789012:u2f/user/alice/key-ABC')).toThrow(
      /FIDO security key .*only in the console/,
    );
    expect(() => checkMfaSerial('arn:aws:iam::123456789012:user/alice')).toThrow(/user ARN, not an MFA device ARN/);
    for (const bad of [
      '',
      'arn:aws:iam::1234:mfa/x',
      'arn:aws:iam::123456789012:mfa/',
      'arn:aws:iam::123456789012:mfa/a b',
      'gaht1234',
      'arn:aws:sts::123456789012:mfa/x',
    ]) {
      expect(() => checkMfaSerial(bad), bad).toThrow(/invalid MFA serial/);
    }
  });

  it('role ARNs, regions, profile names', () => {
    expect(checkRoleArn('arn:aws:iam::123456789012:role/path/to/Deploy+Role').name).toBe('Deploy+Role');
    for (const bad of [
      'arn:aws:iam::123456789012:user/x',
      'arn:aws:iam::123456789012:role/',
      'arn:aws:iam::12345678901:role/x',
      'role/x',
      `arn:aws:iam::123456789012:role/${'x'.repeat(65)}`,
    ]) {
      expect(() => checkRoleArn(bad), bad).toThrow(/invalid role ARN/);
    }
    for (const ok of ['us-east-1', 'eu-central-1', 'us-gov-west-1', 'ap-southeast-4', 'cn-north-1'])
      expect(checkRegion(ok)).toBe(ok);
    for (const bad of ['', 'US-EAST-1', 'us-east', 'mars-1', 'us_east_1'])
      expect(() => checkRegion(bad), bad).toThrow(/invalid region/);
    for (const ok of ['default', 'long-term', 'team/prod', 'a.b@c']) expect(checkProfileName(ok)).toBe(ok);
    for (const bad of ['', 'has space', '[x]', 'a=b', 'a;b', 'a#b', 'x'.repeat(129)])
      expect(() => checkProfileName(bad), bad).toThrow(/invalid profile name/);
  });

  it('durations and role specs', () => {
    // The one grammar (core/duration.ts, its own table in test/core/duration.test.ts), as the AWS flags read it.
    const aws = (t: string) => parseDuration(t, { bare: true });
    expect([aws('900'), aws('900s'), aws('15m'), aws('1h30m'), aws('36h'), aws('1d12h')]).toEqual([
      900, 900, 900, 5400, 129_600, 129_600,
    ]);
    for (const bad of ['', '0', '-1', 'h', '1.5h', '1 h', '99999999999']) expect(aws(bad), bad).toBeUndefined();
    expect(parseRoleSpec('deploy=arn:aws:iam::123456789012:role/deploy')).toMatchObject({
      duration: 3600,
      max_duration: 3600,
      source_identity: true,
    });
    expect(parseRoleSpec('admin=arn:aws:iam::123456789012:role/admin,duration=4h')).toMatchObject({
      duration: 14_400,
      max_duration: 14_400,
    });
    expect(
      parseRoleSpec('x=arn:aws:iam::123456789012:role/x,max_duration=12h,external_id=a,b,source_identity=off'),
    ).toMatchObject({
      duration: 3600,
      max_duration: 43_200,
      external_id: 'a,b',
      source_identity: false,
    });
    expect(() => parseRoleSpec('deploy')).toThrow(/expected NAME=ARN/);
    expect(() => parseRoleSpec('deploy=arn:aws:iam::123456789012:role/deploy,duration=10m')).toThrow(/from 15m to 12h/);
    expect(() => parseRoleSpec('deploy=arn:aws:iam::123456789012:role/deploy,duration=2h,max_duration=1h')).toThrow(
      /over its max_duration/,
    );
    expect(() => parseRoleSpec('deploy=arn:aws:iam::123456789012:role/deploy,ttl=1h')).toThrow(
      /unknown --role option 'ttl'/,
    );
  });

  it('session names carry the agent (AWS alphabet, 2–64 characters, distinct per agent)', () => {
    expect(sessionNameFor('terraform')).toBe('totp-mcp.terraform');
    expect(sessionNameFor('team:ci')).toBe('totp-mcp.team=ci');
    expect(sessionNameFor(null)).toBe('totp-mcp.owner');
    const long = `a${'b'.repeat(63)}`;
    expect(sessionNameFor(long)).toBe(long);
    for (const a of ['x', 'a.b_c@d+e-f', long, 'team:ci']) expect(sessionNameFor(a)).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(sessionNameFor('team:ci')).not.toBe(sessionNameFor('team-ci'));
  });

  it('the stored block round-trips; a damaged one names the field, never a value', () => {
    const c = config({ region: 'eu-west-1' });
    // as the vault writes it: Redacted values revealed (JSON.stringify calls toJSON first, so look at the holder)
    const raw = JSON.parse(
      JSON.stringify(toAwsBlock(c), function (this: Record<string, unknown>, k: string, v: unknown) {
        const held = this[k];
        return held instanceof Redacted ? held.reveal() : v;
      }),
    ) as unknown;
    const back = parseAwsBlock('prod', raw);
    expect(back.roles.get('admin')?.max_duration).toBe(43_200);
    expect(back.source.kind === 'vault' && back.source.secret_access_key.reveal()).toBe(
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    );
    const broken = {
      ...(raw as Record<string, unknown>),
      source: { kind: 'vault', access_key_id: 'AKIAIOSFODNN7EXAMPLE', secret_access_key: 'short' },
    };
    expect(() => parseAwsBlock('prod', broken)).toThrow(
      /aws block of account 'prod' is invalid \(source.secret_access_key\)$/,
    );
    expect(() => parseAwsBlock('prod', undefined)).toThrow(/has no AWS setup/);
    expect(() => parseAwsBlock('prod', { ...(raw as object), v: 2 })).toThrow(/\(version\)/);
  });
});

describe('planner', () => {
  const req = (role: string | null, duration: number, c = config()): SessionRequest => ({
    config: c,
    role: role === null ? null : c.roles.get(role)!,
    duration,
    session_name: 'totp-mcp.terraform',
    source_identity: 'totp-mcp.terraform',
  });
  const now = 1_000_000;

  it('≤ 1 h: GetSessionToken (cached per device) then AssumeRole, and it says why', () => {
    const p = planSession(req('deploy', 3600), null, now);
    expect(p.steps.map((s) => `${s.call}:${s.mfa}:${s.duration}:${s.signed_by}`)).toEqual([
      'GetSessionToken:true:43200:long-term keys',
      'AssumeRole:false:3600:the new MFA session',
    ]);
    expect(formatPlan(req('deploy', 3600), p, 'prod')).toMatch(
      /AWS caps roles assumed from a session \(role chaining\) at 1 hour/,
    );
  });

  it('a cached MFA session signs the role without a code; a fresh role session is reused outright', () => {
    const base = session({
      kind: 'mfa-session',
      role_arn: null,
      session_name: null,
      duration: 43_200,
      expires: now + 10 * 3600_000,
    });
    const doc: CacheDoc = { v: 1, serial: SERIAL, sessions: [base] };
    const p = planSession(req('deploy', 3600), doc, now);
    expect(p.steps.map((s) => `${s.call}:${s.mfa}:${s.signed_by}`)).toEqual([
      'AssumeRole:false:the cached MFA session',
    ]);
    expect(p.chain_from).toBe(base);
    const role = session({ expires: now + 50 * 60_000 });
    expect(planSession(req('deploy', 3600), { ...doc, sessions: [base, role] }, now).reuse).toBe(role);
    expect(
      formatPlan(req('deploy', 3600), planSession(req('deploy', 3600), { ...doc, sessions: [role] }, now), 'prod'),
    ).toMatch(/no STS call, no MFA code/);
  });

  it('> 1 h: AssumeRole with MFA directly, up to the role maximum, and it says so', () => {
    const p = planSession(req('admin', 4 * 3600), null, now);
    expect(p.steps.map((s) => `${s.call}:${s.mfa}:${s.signed_by}`)).toEqual(['AssumeRole:true:long-term keys']);
    expect(p.why.join('\n')).toMatch(/capped at 1 hour \(role chaining\)[\s\S]*directly with the long-term keys/);
  });

  it('durations: role default and maximum, device default, policy cap, root', () => {
    const c = config();
    expect(resolveDuration(c, c.roles.get('deploy')!, undefined, undefined)).toBe(3600);
    expect(resolveDuration(c, c.roles.get('deploy')!, undefined, 1800)).toBe(1800);
    expect(() => resolveDuration(c, c.roles.get('deploy')!, 7200, undefined)).toThrow(
      /MaxSessionDuration of role deploy/,
    );
    expect(resolveDuration(c, c.roles.get('admin')!, 43_200, undefined)).toBe(43_200);
    expect(resolveDuration(c, null, undefined, undefined)).toBe(43_200);
    expect(resolveDuration(c, null, undefined, 3600)).toBe(3600);
    expect(() => resolveDuration(c, null, 129_601, undefined)).toThrow(/15 minutes to 36 hours/);
    expect(() => resolveDuration(c, null, 899, undefined)).toThrow(/from 15m/);
    expect(() => resolveDuration(config({ root: true }), null, 7200, undefined)).toThrow(
      /root user lasts at most 1 hour/,
    );
    expect(resolveDuration(config({ root: true, session_duration: 3600 }), null, undefined, undefined)).toBe(3600);
    expect(() => resolveDuration(c, null, undefined, 600)).toThrow(/under AWS's 15-minute minimum/);
  });
});

describe('cache freshness', () => {
  const want = {
    kind: 'role' as const,
    role_arn: 'arn:aws:iam::123456789012:role/deploy',
    session_name: 'totp-mcp.terraform',
    duration: 3600,
  };
  it('reuse above 15 min left, refresh below, never serve 5 min or less; short sessions use half their life', () => {
    const s = session({ expires: 100 * 60_000 });
    expect(freshFor(s, want, s.expires - 16 * 60_000)).toBe(true);
    expect(freshFor(s, want, s.expires - 15 * 60_000)).toBe(false);
    expect(usableFor(s, want, s.expires - 6 * 60_000)).toBe(true);
    expect(usableFor(s, want, s.expires - 5 * 60_000)).toBe(false);
    expect(refreshMargin({ duration: 900 })).toBe(450_000);
    expect(refreshMargin({ duration: 600 })).toBe(300_000);
    // another agent's role session, another duration: not served
    expect(freshFor(s, { ...want, session_name: 'totp-mcp.other' }, 0)).toBe(false);
    expect(freshFor(s, { ...want, duration: 1800 }, 0)).toBe(false);
  });

  it('stores, replaces and prunes; the plaintext round-trips; junk parses to null', () => {
    let doc = withSession(null, SERIAL, session({ expires: 10 }), 0);
    doc = withSession(doc, SERIAL, session({ expires: 20, access_key_id: 'ASIANEW' }), 5);
    expect(doc.sessions.map((s) => s.access_key_id)).toEqual(['ASIANEW']);
    const back = parseCache(serializeCache(doc), SERIAL);
    expect(back?.sessions[0]?.session_token.reveal()).toBe('t');
    expect(parseCache(serializeCache(doc), 'GAHT12345678')).toBeNull();
    for (const junk of ['', '{', '[]', '{"v":2}', 'null']) expect(parseCache(junk, SERIAL)).toBeNull();
    expect(
      parseCache(JSON.stringify({ v: 1, serial: SERIAL, sessions: [{ kind: 'x' }, 7] }), SERIAL)?.sessions,
    ).toEqual([]);
  });

  it('a cached session is kept only when every field is of its kind, and only its own fields come back', () => {
    const good = JSON.parse(serializeCache(withSession(null, SERIAL, session({}), 0))) as {
      sessions: Record<string, unknown>[];
    };
    const stored = good.sessions[0] ?? {};
    const parse = (over: Record<string, unknown>) =>
      parseCache(JSON.stringify({ ...good, sessions: [{ ...stored, ...over }] }), SERIAL)?.sessions ?? [];
    const [back] = parse({ extra: 'dropped' });
    expect(Object.keys(back ?? {}).sort()).toEqual(Object.keys(session({})).sort());
    expect(back?.secret_access_key).toBeInstanceOf(Redacted);
    const broken: Record<string, unknown>[] = [
      { kind: 'user' },
      { role_arn: 7 },
      { session_name: undefined },
      { source_identity: false },
      { duration: 'x' },
      { issued: null },
      { expires: '1' },
      { arn: null },
      { account_id: 1 },
      { with_mfa: 'true' },
      { access_key_id: '' },
      { secret_access_key: '' },
      { session_token: 5 },
    ];
    for (const over of broken) expect(parse(over)).toEqual([]);
    expect(parse({ role_arn: null, session_name: null, source_identity: null })).toHaveLength(1);
  });

  it('the step ledger: the current step when fresh, else a wait until the next one begins', () => {
    expect(freshStep(-1, 95_000, 30_000)).toEqual({ step: 3, waitMs: 0 });
    expect(freshStep(3, 95_000, 30_000)).toEqual({ step: 4, waitMs: 25_025 });
    expect(freshStep(2, 95_000, 30_000)).toEqual({ step: 3, waitMs: 0 });
  });
});

describe('outputs', () => {
  it('replaces one INI section and keeps every other byte', () => {
    const text = '[default]\nregion = x\n\n[p]\nold = 1\n# comment\n[q]\nk = v\n';
    expect(replaceSection(text, 'p', ['a = 1'])).toBe('[default]\nregion = x\n\n[p]\na = 1\n[q]\nk = v\n');
    expect(replaceSection('', 'p', ['a = 1'])).toBe('[p]\na = 1\n');
    expect(replaceSection('[x]\ny = 1', 'p', ['a = 1'])).toBe('[x]\ny = 1\n\n[p]\na = 1\n');
    expect(replaceSection('[p]\n1\n[x]\n2\n[ p ]\n3\n', 'p', ['a'])).toBe('[p]\na\n[x]\n2\n');
  });

  it('the bearer token is compared whole, with or without "Bearer "', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('Bearer abc', 'abc')).toBe(true);
    for (const bad of [undefined, '', 'ab', 'abcd', 'ABC']) expect(tokenMatches(bad, 'abc')).toBe(false);
  });
});

// One duration grammar (core/duration.ts), one table of cases: each case runs against the parser
// and through every surface that takes a duration: policy fields, `policy explain --duration`,
// `aws credential-process --duration`, `aws setup --session-duration` and `--role …,duration=`,
// `serve --approval-timeout`, `--passphrase-timeout`, `code --min-remaining` (in process, through
// main). A rejected value is a usage error (exit 2) whose fixed text names the flag or field and
// its range, and never echoes the value.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readEnv, type EnvConfig } from '../../src/config.js';
import {
  DURATION_RULE,
  durationSeconds,
  formatDuration,
  isZeroDuration,
  parseDuration,
} from '../../src/core/duration.js';
import { buildPolicy } from '../../src/policy/index.js';
import { ROOT } from '../helpers/build.js';
import { tempDir } from '../helpers/cli.js';
import { memoryIo } from '../helpers/io.js';

interface Case {
  readonly text: string;
  /** Seconds as written, when the grammar takes it; undefined: never a duration. */
  readonly seconds?: number;
  /** Bare digits: seconds on command-line flags only, never in policy.yaml. */
  readonly bare?: 'digits' | 'fraction';
}

/** The table. Range limits (0, over a surface's maximum) are per surface, below. */
export const CASES: readonly Case[] = [
  { text: '90s', seconds: 90 },
  { text: '15m', seconds: 900 },
  { text: '1h30m', seconds: 5400 },
  { text: '12h', seconds: 43_200 },
  { text: '1d', seconds: 86_400 },
  { text: '1d12h', seconds: 129_600 },
  { text: '2h30m', seconds: 9000 },
  { text: '45m30s', seconds: 2730 },
  { text: '1h0m', seconds: 3600 },
  { text: '366d', seconds: 31_622_400 },
  { text: '0s', seconds: 0 },
  { text: '900', seconds: 900, bare: 'digits' },
  { text: '3600', seconds: 3600, bare: 'digits' },
  { text: '0', seconds: 0, bare: 'digits' },
  { text: '1.5', seconds: 1.5, bare: 'fraction' },
  { text: '367d', seconds: 367 * 86_400 },
  { text: '' },
  { text: 'soon' },
  { text: '1 h' },
  { text: '1h 30m' },
  { text: '30m1h' },
  { text: '1h1h' },
  { text: '1.5h' },
  { text: '-1s' },
  { text: '-1' },
  { text: '1e3' },
  { text: 'h' },
  { text: '1H' },
  { text: '1hour' },
  { text: '99999999999' },
  { text: '1w' },
];

/** What a surface takes: its range and whether bare digits (and fractions) count as seconds. */
interface Spec {
  readonly min: number;
  readonly max: number;
  readonly bare: false | 'digits' | 'fraction';
}

function expected(c: Case, s: Spec): number | undefined {
  if (c.seconds === undefined) return undefined;
  if (c.bare !== undefined && (s.bare === false || (c.bare === 'fraction' && s.bare !== 'fraction'))) return undefined;
  return c.seconds >= s.min && c.seconds <= s.max ? c.seconds : undefined;
}

describe('the duration grammar (core/duration.ts)', () => {
  it.each(CASES)('parser: %j', (c) => {
    const policy: Spec = { min: 1, max: 366 * 86_400, bare: false };
    expect(parseDuration(c.text)).toBe(expected(c, policy));
    const flag: Spec = { min: 1, max: 366 * 86_400, bare: 'digits' };
    expect(parseDuration(c.text, { bare: true })).toBe(expected(c, flag));
    const fraction: Spec = { min: 0, max: 366 * 86_400, bare: 'fraction' };
    expect(parseDuration(c.text, { bare: true, fraction: true, min: 0 })).toBe(expected(c, fraction));
  });

  it('the formatter writes the shortest canonical form, which the parser reads back', () => {
    expect([9000, 90_000, 129_600, 90, 3600, 86_400, 61, 1.5, 0.3, 0, -5].map(formatDuration)).toEqual([
      '2h30m',
      '1d1h',
      '1d12h',
      '1m30s',
      '1h',
      '1d',
      '1m1s',
      '1.5s',
      '0.3s',
      '0s',
      '0s',
    ]);
    for (const c of CASES) {
      const s = durationSeconds(c.text, { bare: true, fraction: true });
      if (s === undefined || s === 0 || !Number.isInteger(s)) continue;
      expect(parseDuration(formatDuration(s), { max: Infinity }), c.text).toBe(s);
    }
  });

  it('zero, where a policy takes it (approval_ttl: 0)', () => {
    for (const z of [0, '0', '0s', '0m', '0h0m']) expect(isZeroDuration(z), String(z)).toBe(true);
    for (const n of [1, '', '1s', 'soon', '0.0']) expect(isZeroDuration(n), String(n)).toBe(false);
  });
});

describe('policy.yaml fields take the table (no bare digits there)', () => {
  const policyWith = (per: string, ttl: string) =>
    buildPolicy(
      {
        version: 1,
        agents: { bot: {} },
        rules: [
          {
            id: 'r',
            agents: ['bot'],
            accounts: ['a'],
            actions: ['code'],
            approval: 'confirm',
            approval_ttl: ttl,
            limit: { count: 1, per },
          },
        ],
      },
      'policy.yaml',
    );
  const spec: Spec = { min: 1, max: 366 * 86_400, bare: false };

  it.each(CASES)('limit.per and approval_ttl: %j', (c) => {
    const want = expected(c, spec);
    if (want === undefined) {
      expect(() => policyWith(c.text, '1h')).toThrow(`policy.yaml: rules[0].limit.per: ${DURATION_RULE}`);
      if (c.seconds !== 0) expect(() => policyWith('1h', c.text)).toThrow(`rules[0].approval_ttl: ${DURATION_RULE}`);
    } else {
      const rule = policyWith(c.text, c.text).rules[0];
      expect(rule?.limit?.per_seconds).toBe(want);
      expect(rule?.approval_ttl_seconds).toBe(want);
    }
  });
});

describe('command-line flags take the table (in process, through main)', () => {
  const env: EnvConfig = { ...readEnv(join(ROOT, 'dist', 'totp-mcp.mjs')), agent: undefined };
  const LIKE = 'like 90s, 15m, 1h30m, 12h or 1d';
  const surfaces: {
    name: string;
    argv: (d: string) => string[];
    spec: Spec;
    error: string;
    /** Accepted values are only checked where the command stops by itself without a vault. */
    acceptedToo: boolean;
  }[] = [
    {
      name: 'policy explain --duration',
      argv: (d) => [
        'policy',
        'explain',
        '--agent',
        'bot',
        '--account',
        'a',
        '--action',
        'aws_session',
        '--duration',
        d,
      ],
      spec: { min: 1, max: 366 * 86_400, bare: 'digits' },
      error: `--duration: expected a duration from 1s to 366d (${LIKE}, or seconds)`,
      acceptedToo: true,
    },
    {
      name: 'aws credential-process --duration',
      argv: (d) => ['aws', 'credential-process', '--account', 'a', '--agent', 'bot', '--duration', d],
      spec: { min: 1, max: 366 * 86_400, bare: 'digits' },
      error: `--duration: expected a duration from 1s to 366d (${LIKE}, or seconds)`,
      acceptedToo: true,
    },
    {
      name: 'aws setup --session-duration',
      argv: (d) => [
        'aws',
        'setup',
        'a',
        '--mfa-serial',
        'arn:aws:iam::123456789012:mfa/alice',
        '--session-duration',
        d,
      ],
      spec: { min: 900, max: 129_600, bare: 'digits' },
      error: `--session-duration: expected a duration from 15m to 1d12h (${LIKE}, or seconds): GetSessionToken lasts 15 minutes to 36 hours`,
      acceptedToo: true,
    },
    {
      name: 'aws setup --role NAME=ARN,duration=',
      argv: (d) => [
        'aws',
        'setup',
        'a',
        '--mfa-serial',
        'arn:aws:iam::123456789012:mfa/alice',
        '--role',
        `deploy=arn:aws:iam::123456789012:role/deploy,duration=${d},max_duration=12h`,
      ],
      spec: { min: 900, max: 43_200, bare: 'digits' },
      error: `duration of role deploy: expected a duration from 15m to 12h (${LIKE}, or seconds): AssumeRole lasts 15 minutes to 12 hours`,
      acceptedToo: true,
    },
    {
      name: '--passphrase-timeout',
      argv: (d) => [`--passphrase-timeout=${d}`, '--passphrase-command', 'echo x', 'list'],
      spec: { min: 0.001, max: 3600, bare: 'fraction' },
      error: `--passphrase-timeout: expected a duration from 0.001s to 1h (${LIKE}, or seconds)`,
      acceptedToo: true,
    },
    {
      name: 'code --min-remaining',
      argv: (d) => ['code', 'a', '--min-remaining', d],
      spec: { min: 0, max: 3600, bare: 'digits' },
      error: `--min-remaining: expected a duration from 0s to 1h (${LIKE}, or seconds)`,
      acceptedToo: true,
    },
    {
      // An accepted value starts the server on this process's stdio: those run in test/mcp.
      name: 'serve --approval-timeout',
      argv: (d) => ['serve', '--agent', 'bot', '--approval-timeout', d],
      spec: { min: 1, max: 600, bare: false },
      error: `--approval-timeout: expected a duration from 1s to 10m (${LIKE})`,
      acceptedToo: false,
    },
  ];

  for (const s of surfaces) {
    it(`${s.name}: the table`, async () => {
      for (const c of CASES) {
        const want = expected(c, s.spec);
        if (want !== undefined && !s.acceptedToo) continue;
        const io = memoryIo();
        const code = await main(['--home', join(tempDir(), 'none'), ...s.argv(c.text)], env, io);
        const { err, out } = io.text();
        if (want === undefined) {
          expect([c.text, code], err).toEqual([c.text, 2]);
          expect(err.split('\n')[0], c.text).toBe(`totp-mcp: ${s.error}`);
          expect(out).toBe('');
        } else {
          // Past the flag: whatever stops the command next (no vault here), never the duration.
          expect(err, c.text).not.toContain('expected a duration');
        }
      }
    });
  }
});

// Issue 12 item 10: no existence oracle. An id the agent cannot use (a deny rule catches it by tag
// or by id, or no rule allows it) gets the very same answer whether an account by that id exists
// or not: same text, same error code, byte for byte, on every agent-facing path (both MCP eras,
// both tools, the CLI's `code --agent`). The audit log keeps the true reason.
import { afterAll, describe, expect, it } from 'vitest';
import { cli, newHome } from '../helpers/cli.js';
import { auditEvents, call, connect, expectAllStdoutClean, writePolicy, type Era } from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

const POLICY = `version: 1
agents:
  bot: {}
rules:
  - id: never-bank
    effect: deny
    agents: ["*"]
    accounts: ["tag:bank"]
  - id: no-vault
    effect: deny
    agents: [bot]
    accounts: ["vault-*"]
  - id: bot-github
    agents: [bot]
    accounts: ["github*", "vault-*"]
    actions: [list, code, aws_session]
`;

const URI = 'otpauth://totp/X:y?secret=JBSWY3DPEHPK3PXP';

/** Ids the agent cannot see, by why: [id, tags it has where it exists, the true audit reason there]. */
const HIDDEN: [why: string, id: string, tags: string[], rule: string | null, reason: string][] = [
  ['tag deny, an allow glob also matches', 'github:bank', ['bank'], 'never-bank', 'denied_by_rule'],
  ['tag deny, no allow rule', 'payroll', ['bank'], 'never-bank', 'denied_by_rule'],
  ['tag deny and id deny', 'vault-bank', ['bank'], 'never-bank', 'denied_by_rule'],
  ['no rule', 'secret-thing', [], null, 'no_matching_rule'],
  ['no rule, tagged', 'hr:ledger', ['hr'], null, 'no_matching_rule'],
  ['id deny', 'vault-keys', [], 'no-vault', 'denied_by_rule'],
];

/** Two homes under the same policy: in one every hidden id exists, in the other none does. */
function homes(): { exists: string; missing: string } {
  const make = (withHidden: boolean): string => {
    const home = newHome();
    const accounts: [string, string[]][] = [
      ['github:alice', []],
      ...(withHidden ? HIDDEN.map(([, id, tags]) => [id, tags] as [string, string[]]) : []),
    ];
    for (const [id, tags] of accounts) {
      const r = cli(home, ['add', id, '--uri', URI, ...tags.flatMap((t) => ['--tag', t])]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    writePolicy(home, POLICY);
    return home;
  };
  return { exists: make(true), missing: make(false) };
}

const CALLS: [tool: string, args: (id: string) => Record<string, unknown>][] = [
  ['get_totp_code', (id) => ({ account: id, min_remaining_seconds: 0 })],
  ['get_aws_session', (id) => ({ account: id, role: 'deploy' })],
  ['get_aws_session', (id) => ({ account: id, delivery: 'inline' })],
];

describe.each(['legacy', 'modern'] as Era[])(
  'an id the agent cannot see answers the same, existing or not (%s era)',
  (era) => {
    const h = homes();

    it.each(HIDDEN)(
      '%s (%s): byte-identical replies on every tool; the audit keeps the true reason',
      async (_why, id, _tags, rule, reason) => {
        const replies: Record<'exists' | 'missing', unknown[]> = { exists: [], missing: [] };
        for (const which of ['exists', 'missing'] as const) {
          const c = await connect(h[which], { agent: 'bot', era });
          try {
            for (const [tool, args] of CALLS) {
              const r = await c.client.callTool({ name: tool, arguments: args(id) });
              expect(r.isError, `${which} ${tool}`).toBe(true);
              replies[which].push({ content: r.content, structuredContent: r.structuredContent, isError: r.isError });
            }
          } finally {
            await c.close();
          }
        }
        expect(JSON.stringify(replies.exists)).toBe(JSON.stringify(replies.missing));
        // Where it exists, the owner's audit log says why it was really refused.
        const truth = auditEvents(h.exists).filter((e) => e.agent === 'bot' && e.account === id);
        expect(truth.length).toBe(CALLS.length);
        for (const e of truth) expect(e).toMatchObject({ decision: 'deny', rule, reason });
      },
    );

    it('a visible account still answers as before (control)', async () => {
      const c = await connect(h.exists, { agent: 'bot', era });
      try {
        expect(
          (await call(c, 'get_totp_code', { account: 'github:alice', min_remaining_seconds: 0 })).structured.code,
        ).toMatch(/^\d{6}$/);
        expect((await call(c, 'list_accounts')).structured.accounts.map((a: { id: string }) => a.id)).toEqual([
          'github:alice',
        ]);
      } finally {
        await c.close();
      }
    });
  },
);

describe('the CLI agent path answers the same, existing or not', () => {
  const h = homes();
  it.each(HIDDEN)('%s (%s): same stderr, same exit code, nothing on stdout', (_why, id) => {
    const exists = cli(h.exists, ['code', id, '--agent', 'bot']);
    const missing = cli(h.missing, ['code', id, '--agent', 'bot']);
    expect(exists.stdout).toBe('');
    expect([exists.code, exists.stderr]).toEqual([missing.code, missing.stderr]);
    expect(exists.code).not.toBe(0);
  });
});

// The leak canary through the MCP front: a recognisable seed in the vault never appears in a tool
// result, an error, stdout, stderr (with --debug too) or any file the server writes; the code
// itself appears only in get_totp_code's result; an error never echoes the agent's input.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { base32ToBytes } from '../helpers/base32.js';
import { CANARY_SECRET, canaryUri } from '../helpers/cli.js';
import {
  auditEvents,
  call,
  connect,
  expectAllStdoutClean,
  expectJsonRpcOnly,
  homeWithPolicy,
  stdoutCaptures,
  TEST_POLICY,
  type Era,
} from './helpers.js';

function canaryForms(): string[] {
  const bytes = Buffer.from(base32ToBytes(CANARY_SECRET));
  return [
    CANARY_SECRET,
    CANARY_SECRET.toLowerCase(),
    bytes.toString('hex'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('latin1'),
  ];
}

function expectNoCanary(where: string, text: string): void {
  for (const form of canaryForms()) expect(text.includes(form), `${where} contains the canary seed`).toBe(false);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const POLICY = `${TEST_POLICY}  - id: bot-canary
    agents: [bot]
    accounts: ["canary*"]
    actions: [list, code, aws_session]
  - id: bot-canary-confirm
    agents: [bot]
    accounts: [confirm-canary]
    actions: [list, code]
    approval: confirm
    approval_via: [client]
  - id: no-canary-bank
    effect: deny
    agents: ["*"]
    accounts: [canary-bank]
`;

const MARKER = 'ECHO-MARKER-QZX';

afterAll(() => {
  expectAllStdoutClean();
});

describe.each(['legacy', 'modern'] as Era[])('leak canary through MCP, %s era', (era) => {
  it('never shows the seed; the code only in get_totp_code’s result; errors never echo input', async () => {
    const home = homeWithPolicy(POLICY, [
      ['canary', canaryUri()],
      ['canary-hotp', `otpauth://hotp/Hotp:canary?secret=${CANARY_SECRET}&issuer=Hotp&counter=7`],
      ['canary-steam', `steam://${CANARY_SECRET}`],
      ['confirm-canary', canaryUri('Confirm')],
      ['canary-bank', canaryUri('Bank')],
    ]);
    const texts: [string, string][] = [];
    const codes: string[] = [];
    const debugged = await connect(home, {
      agent: 'bot',
      era,
      args: ['--debug'],
      elicit: (m) =>
        m.includes('confirm-canary') ? { action: 'accept', content: { confirm: true } } : { action: 'decline' },
    });
    const plain = await connect(home, { agent: 'bot', era: era === 'legacy' ? 'auto' : 'legacy' });
    const calls: [string, Record<string, unknown>][] = [
      ['list_accounts', {}],
      ['list_accounts', { tag: 'secret' }],
      ['list_accounts', { tag: MARKER }],
      ['describe_access', {}],
      ['get_totp_code', { account: 'canary', min_remaining_seconds: 0 }],
      ['get_totp_code', { account: 'canary-hotp' }],
      ['get_totp_code', { account: 'canary-steam', min_remaining_seconds: 0 }],
      ['get_totp_code', { account: 'confirm-canary', min_remaining_seconds: 0 }],
      ['get_totp_code', { account: 'canary-bank' }],
      ['get_totp_code', { account: 'canary-missing' }],
      ['get_totp_code', { account: MARKER }],
      ['get_totp_code', { account: `${MARKER.toLowerCase()}/../x` }],
      ['get_totp_code', { account: 'canary', min_remaining_seconds: MARKER }],
      ['get_totp_code', { account: 'canary', [MARKER]: MARKER }],
      ['get_aws_session', { account: 'canary' }],
      ['get_aws_session', { account: 'canary', role: MARKER.replace(/-/g, ' '), delivery: 'inline' }],
      ['get_aws_session', { account: 'canary', delivery: MARKER }],
      ['get_aws_session', { account: 'canary-bank', delivery: 'inline' }],
    ];
    try {
      for (const c of [debugged, plain]) {
        for (const [name, args] of calls) {
          const r = await call(c, name, args);
          const where = `${name} ${JSON.stringify(args).slice(0, 80)}`;
          const whole = `${r.text}\n${JSON.stringify(r.structured ?? null)}`;
          texts.push([where, whole]);
          if (name === 'get_totp_code' && !r.isError) codes.push(r.structured.code);
          if (r.isError) {
            expect(r.text, where).toMatch(/^([a-z_]+: |Input validation error: )/);
            expect(r.text, where).not.toContain(MARKER);
            expect(r.text, where).not.toContain(MARKER.toLowerCase());
            expect(r.text, where).not.toContain(MARKER.replace(/-/g, ' '));
            expect(r.text, where).not.toMatch(/\n\s+at /); // no stack
          }
        }
      }
      expect(texts.find(([w]) => w.startsWith('get_aws_session {"account":"canary"}'))?.[1]).toMatch(
        /^not_configured: account 'canary' has no AWS setup/,
      );
      // canary, hotp, steam, confirm-canary and canary again (an unknown argument is ignored) for
      // the client that can confirm; the same but confirm-canary for the other.
      expect(codes.length).toBe(9);
    } finally {
      await debugged.close();
      await plain.close();
    }
    for (const [where, text] of texts) expectNoCanary(where, text);
    const stderr = debugged.stderr() + plain.stderr();
    expect(debugged.stderr()).toMatch(/totp-mcp serve: /); // --debug does write diagnostics
    expect(plain.stderr()).toBe(''); // and without it, nothing
    expectNoCanary('stderr', stderr);
    for (const code of codes) expect(stderr).not.toMatch(new RegExp(`\\b${code}\\b`));
    for (const chunks of stdoutCaptures) expectNoCanary('stdout', Buffer.concat(chunks).toString('latin1'));
    for (const f of files(home)) {
      if (/\.age$/.test(f) && !f.endsWith('identity.age')) continue; // ciphertext
      expectNoCanary(relative(home, f), readFileSync(f, 'latin1'));
    }
    // The audit log holds no code: no field of any event equals one.
    for (const e of auditEvents(home)) {
      for (const v of Object.values(e))
        for (const code of codes) expect(v, `audit ${JSON.stringify(e)}`).not.toBe(code);
      expect(JSON.stringify(e)).not.toMatch(/"code"\s*:/);
    }
    expect(stdoutCaptures.every((c) => expectJsonRpcOnly(c) >= 0)).toBe(true);
  });
});

// Item 4 of issue 18: `code` as people expect it: a live view that shows each new code, --watch,
// --min-remaining / --fresh, a word when a code is about to expire, and a table of several codes.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshWaitMs } from '../../src/app/fresh.js';
import { main } from '../../src/cli/main.js';
import { readEnv, type EnvConfig } from '../../src/config.js';
import { Redacted } from '../../src/core/redacted.js';
import { generateCode } from '../../src/otp/index.js';
import { CLI, ROOT } from '../helpers/build.js';
import { cli, cliEnv, newHome, tempDir } from '../helpers/cli.js';
import { memoryIo } from '../helpers/io.js';
import { runOnTerminal } from '../helpers/pty.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const totp = (period: number) => ({
  type: 'totp' as const,
  secret: new Redacted(SECRET),
  algorithm: 'SHA1' as const,
  digits: 6,
  period,
  counter: 0,
});
const codeAt = (period: number, ms: number): string => generateCode(totp(period), ms).code.reveal();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the current step of `period` seconds has between `lo` and `hi` ms left. */
async function whenLeft(period: number, lo: number, hi: number): Promise<void> {
  for (;;) {
    const left = period * 1000 - (Date.now() % (period * 1000));
    if (left >= lo && left <= hi) return;
    await sleep(left > hi ? left - hi + 20 : left + 20);
  }
}

function homeWith(accounts: Record<string, string>): string {
  const home = newHome();
  for (const [id, uri] of Object.entries(accounts)) {
    const r = cli(home, ['add', id, '--uri', uri]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return home;
}

describe('code: flags (in process, through main)', () => {
  const env: EnvConfig = { ...readEnv(join(ROOT, 'dist', 'totp-mcp.mjs')), agent: undefined };
  const cases: [string[], Partial<EnvConfig>, RegExp][] = [
    [['code'], {}, /give an account id/],
    [['code', 'a', '--agent', 'bot', '--watch'], {}, /as an agent, code shows one code per request/],
    [['code', 'a', 'b', '--agent', 'bot'], {}, /as an agent/],
    [['code', '--all', '--agent', 'bot'], {}, /as an agent/],
    [['code', '--all'], { agent: 'bot' }, /as an agent/], // TOTP_MCP_AGENT counts as --agent
    [['code', 'a', '--watch'], { agent: 'bot' }, /as an agent/],
    [['code', 'a', '--fresh', '--min-remaining', '3'], {}, /--fresh or --min-remaining, not both/],
    [['code', 'a', '--min-remaining', 'soon'], {}, /--min-remaining: expected a duration from 0s to 1h/],
    [['code', 'a', '--min-remaining', '3601'], {}, /--min-remaining: expected a duration from 0s to 1h/],
    [['code', 'a', '--min-remaining', '2.5'], {}, /--min-remaining: expected a duration from 0s to 1h/],
    [['code', '--tag', 'work'], {}, /--tag goes with --all/],
    [['code', 'a', '--all'], {}, /ids or --all, not both/],
    [['code', 'a', '--at', '59', '--watch'], {}, /--at gives one code/],
    [['code', 'a', '--at', '59', '--fresh'], {}, /--at gives one code/],
    [['code', 'a', 'b', '--fresh'], {}, /take one account/],
    [['code', 'a', '--watch', '--json'], {}, /does not go with --json/],
  ];
  it.each(cases)('%j (env %j) is a usage error (exit 2)', async (argv, extra, message) => {
    const io = memoryIo();
    const code = await main(['--home', join(tempDir(), 'none'), ...argv], { ...env, ...extra }, io);
    expect(code).toBe(2);
    expect(io.text().err).toMatch(message);
    expect(io.text().out).toBe('');
  });

  it('waits at most one step, and only when the code has too little time left', () => {
    const t = { type: 'totp' as const, period: 30 };
    expect(freshWaitMs(t, 5, 10_000)).toBe(0); // 20 s left
    expect(freshWaitMs(t, 5, 28_000)).toBe(2_005); // 2 s left: until the next step
    expect(freshWaitMs(t, 0, 29_999)).toBe(0);
    expect(freshWaitMs(t, 3600, 1_000)).toBe(29_005); // more than a step can give: one step, no more
    expect(freshWaitMs({ type: 'hotp', period: 30 }, 5, 29_000)).toBe(0);
  });
});

describe('code: one account, off a terminal', () => {
  // A 12 s period (about to expire: 4 s or less) leaves a slow machine 3 s to start the CLI.
  it('says on stderr (never the code) that a code is about to expire, and prints one line', async () => {
    const home = homeWith({ p12: `otpauth://totp/X:a?secret=${SECRET}&period=12` });
    await whenLeft(12, 3000, 3500);
    const r = cli(home, ['code', 'p12']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d{6}\n$/);
    expect(r.stderr).toMatch(/^warning: this code expires in [1-4] s \(--fresh waits for the next one\)\n$/);
    expect(r.stderr).not.toContain(r.stdout.trim());
  });

  it('--min-remaining waits for the next code when the current one has too little left', async () => {
    const home = homeWith({ p12: `otpauth://totp/X:a?secret=${SECRET}&period=12` });
    await whenLeft(12, 3000, 3500);
    const started = Date.now();
    const stepThen = Math.floor(started / 12000);
    const r = cli(home, ['code', 'p12', '--min-remaining', '8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { code: string; step: number; remaining_seconds: number };
    expect(j.step).toBe(stepThen + 1);
    expect(j.code).toBe(codeAt(12, j.step * 12000));
    expect(j.remaining_seconds).toBeGreaterThanOrEqual(8);
    expect(Date.now() - started).toBeLessThan(3500 + 4000); // waited for the next step, not longer
    // Enough left already (or none asked): no wait.
    const t = Date.now();
    const now = JSON.parse(cli(home, ['code', 'p12', '--min-remaining', '0', '--json']).stdout) as { step: number };
    expect(now.step).toBe(Math.floor(t / 12000));
    // --fresh: never a code about to expire.
    const f = cli(home, ['code', 'p12', '--fresh']);
    expect(f.code).toBe(0);
    expect(f.stderr).toBe('');
  });

  it('--watch off a terminal prints each new code on its own line, until interrupted', async () => {
    const home = homeWith({ p2: `otpauth://totp/X:a?secret=${SECRET}&period=2` });
    const child = spawn(process.execPath, [CLI, 'code', 'p2', '--watch'], {
      env: cliEnv(home),
      cwd: dirname(home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((r) =>
      child.on('close', (c) => {
        r(c);
      }),
    );
    const started = Date.now();
    await sleep(5000);
    child.kill('SIGINT');
    const code = await closed;
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^\d{6}$/);
    const first = Math.floor(started / 2000);
    const expected = Array.from({ length: 6 }, (_, i) => codeAt(2, (first + i) * 2000));
    expect(expected.join(' ')).toContain(lines.join(' ')); // consecutive steps, none skipped or repeated
  });
});

describe('code: several accounts', () => {
  it('prints a table of codes; --all lists HOTP accounts without advancing their counters, naming one advances it', () => {
    const home = homeWith({
      a: `otpauth://totp/A:a?secret=${SECRET}`,
      b: `otpauth://totp/B:b?secret=${SECRET}&digits=8&period=60`,
      vpn: `otpauth://hotp/V:v?secret=${SECRET}&counter=0`,
    });
    cli(home, ['tag', 'a', '+work']);
    cli(home, ['tag', 'vpn', '+work']);
    const r = cli(home, ['code', 'a', 'b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+CODE\s+LEFT\na\s+\d{6}\s+\d+s.*\nb\s+\d{8}\s+\d+s.*\n$/);

    const all = cli(home, ['code', '--all']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/\nvpn\s+-\s+HOTP: not advanced/);
    expect(all.stderr).toMatch(/1 HOTP account\(s\) not advanced/);
    const tagged = JSON.parse(cli(home, ['code', '--all', '--tag', 'work', '--json']).stdout) as {
      account: string;
      code: string | null;
    }[];
    expect(tagged.map((x) => x.account)).toEqual(['a', 'vpn']);
    expect(tagged[1]!.code).toBeNull();
    // The counter did not move: the next named code is counter 0 (RFC 4226: 755224), then 1.
    const named = cli(home, ['code', 'a', 'vpn']);
    expect(named.stdout).toMatch(/\nvpn\s+755224\s+HOTP counter 0\n/);
    expect(JSON.parse(cli(home, ['code', 'vpn', '--json']).stdout)).toMatchObject({ code: '287082', step: 1 });
    expect(cli(home, ['code', 'a', 'nope']).code).toBe(1);
    expect(cli(home, ['code', '--all', '--tag', 'none']).code).toBe(1);
  });
});

describe('code on a terminal (pty)', () => {
  it('started with a few seconds left: says the code is about to expire, then shows the next one; Ctrl-C ends it (exit 0)', async () => {
    const home = homeWith({ p12: `otpauth://totp/X:a?secret=${SECRET}&period=12` });
    await whenLeft(12, 4000, 4500);
    const step = Math.floor(Date.now() / 12000);
    const r = runOnTerminal([process.execPath, CLI, 'code', 'p12'], {
      env: cliEnv(home),
      cwd: dirname(home),
      ctrlCAfterMs: 6500,
      timeoutMs: 20_000,
    });
    expect(r.code, r.transcript).toBe(0);
    const first = codeAt(12, step * 12000);
    const next = codeAt(12, (step + 1) * 12000);
    expect(r.transcript).toMatch(new RegExp(`${first}  [█░]+ +[1-4]s  about to expire: the next code follows`));
    expect(r.transcript).toContain(`\r\n\r${next}  `);
    expect(r.transcript).toMatch(/\r\n$/); // the cursor is left on a fresh line
  });

  it('a table of live codes, redrawn in place until Ctrl-C; HOTP counters untouched', () => {
    const home = homeWith({
      p2: `otpauth://totp/X:a?secret=${SECRET}&period=2`,
      p30: `otpauth://totp/Y:b?secret=${SECRET}`,
      vpn: `otpauth://hotp/V:v?secret=${SECRET}&counter=0`,
    });
    const started = Date.now();
    const r = runOnTerminal([process.execPath, CLI, 'code', '--all'], {
      env: cliEnv(home),
      cwd: dirname(home),
      ctrlCAfterMs: 4500,
      timeoutMs: 15_000,
    });
    expect(r.code, r.transcript).toBe(0);
    expect(r.transcript).toContain('\u001b[4A'); // back up over the header and 3 rows
    const first = Math.floor(started / 2000);
    const shown = new Set([...r.transcript.matchAll(/p2 +(\d{6})/g)].map((m) => m[1]));
    expect(shown.size).toBeGreaterThanOrEqual(2);
    const expected = Array.from({ length: 6 }, (_, i) => codeAt(2, (first + i) * 2000));
    for (const c of shown) expect(expected).toContain(c);
    expect(r.transcript).toMatch(/vpn +- +HOTP: not advanced/);
    expect(JSON.parse(cli(home, ['code', 'vpn', '--json']).stdout)).toMatchObject({ step: 0 });
  });
});

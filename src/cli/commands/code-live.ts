/**
 * What people expect of `code` beyond one line: a live view that shows each new code as it comes
 * (until Ctrl-C), `--min-remaining` / `--fresh`, a word when a code is about to expire, and a table
 * of several accounts (`code A B`, `code --all [--tag T]`). Live views and tables are the owner's
 * only: an agent's every code goes through the policy gate (code.ts), one request per code.
 */
import { checkId, checkTag, findAccount } from '../../app/accounts.js';
import { issueCode, issueFor, toIssued } from '../../app/codes.js';
import { dyingSeconds, freshWaitMs } from '../../app/fresh.js';
import { fail } from '../../core/errors.js';
import type { Account, IssuedCode } from '../../core/model.js';
import { json, table } from '../format.js';
import type { Runtime } from '../runtime.js';
import type { CodesOptions } from './code.js';

/** The owner's code with at least `minRemaining` seconds left: waits (at most one step) when needed. */
export async function freshOwnerCode(rt: Runtime, id: string, minRemaining: number): Promise<IssuedCode> {
  checkId(id);
  const account = findAccount((await (await rt.ctx.vault()).read()).accounts, id);
  const wait = freshWaitMs(account, minRemaining, rt.clock.now());
  if (wait > 0) {
    if (rt.io.interactive) rt.io.err(`waiting ${Math.ceil(wait / 1000)} s for the next code…\n`);
    await new Promise((r) => setTimeout(r, wait));
  }
  return issueCode(rt.ctx, id);
}

/** Resolves after `ms`, or at once when `signal` aborts (Ctrl-C ends a live view cleanly). */
const tick = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

function untilCtrlC(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGINT', () => {
    ac.abort();
  });
  return ac.signal;
}

const toNextSecond = (rt: Runtime): number => 1000 - (rt.clock.now() % 1000) + 5;

const secondsLeft = (c: IssuedCode, now: number): number =>
  Math.max(0, Math.ceil((Date.parse(c.expires_at ?? '') - now) / 1000));

/**
 * One account, live: the code with a bar and the seconds left, redrawn each second; when it rolls
 * over, the next code on a new line. Off a terminal (`--watch` in a pipe): each code on its own line.
 */
export async function liveCode(rt: Runtime, id: string, first: IssuedCode): Promise<void> {
  const account = findAccount((await (await rt.ctx.vault()).read()).accounts, id);
  const signal = untilCtrlC();
  const tty = rt.io.stdoutIsTTY;
  const period = account.period;
  const width = 20;
  let c = first;
  if (!tty) rt.io.out(`${c.code.reveal()}\n`);
  while (!signal.aborted) {
    const now = rt.clock.now();
    const next = toIssued(account, now);
    if (next.step !== c.step) {
      c = next;
      rt.io.out(tty ? '\n' : `${c.code.reveal()}\n`);
    }
    if (tty) {
      const left = secondsLeft(c, now);
      const bar = '█'.repeat(Math.round((width * left) / period)).padEnd(width, '░');
      const dying = left <= dyingSeconds(period);
      const [on, off] = rt.io.color && dying ? ['\u001b[31m', '\u001b[0m'] : ['', ''];
      const note = dying ? '  about to expire: the next code follows' : '';
      rt.io.out(`\r${c.code.reveal()}  ${on}${bar} ${String(left).padStart(2)}s${note}${off}\u001b[K`);
    }
    await tick(toNextSecond(rt), signal);
  }
  if (tty) rt.io.out('\n');
}

interface Row {
  account: Account;
  /** The code shown; null for an HOTP account not named (its counter is not advanced). */
  code: IssuedCode | null;
}

/**
 * Several accounts: a table of live codes (redrawn in place on a terminal until Ctrl-C; printed once
 * off a terminal, or at every change with --watch). HOTP: a code only for an account named
 * explicitly, issued once (its counter advances once); with --all they are listed, not advanced.
 */
export async function codeTable(rt: Runtime, ids: string[], o: CodesOptions): Promise<void> {
  const accounts = (await (await rt.ctx.vault()).read()).accounts;
  let chosen: Account[];
  if (o.all) {
    const tag = o.tag === undefined ? undefined : checkTag(o.tag);
    chosen = accounts.filter((a) => tag === undefined || a.tags.includes(tag)).sort((a, b) => a.id.localeCompare(b.id));
    if (chosen.length === 0)
      fail('not_found', tag === undefined ? 'the vault holds no account' : 'no account with that tag');
  } else {
    chosen = [...new Set(ids)].map((id) => findAccount(accounts, checkId(id)));
  }
  const now = rt.clock.now();
  const rows: Row[] = [];
  for (const a of chosen) {
    rows.push({
      account: a,
      code: a.type === 'hotp' ? (o.all ? null : await issueFor(rt.ctx, a, now)) : toIssued(a, now),
    });
  }
  const skipped = rows.filter((r) => r.code === null).length;

  if (o.json) {
    rt.io.out(
      json(
        rows.map((r) =>
          r.code
            ? { ...r.code, code: r.code.code.reveal() }
            : { account: r.account.id, code: null, note: 'hotp: not advanced; name it to use its counter' },
        ),
      ),
    );
    return;
  }
  const render = (at: number): string => {
    const lines = rows.map((r) => {
      if (r.code === null)
        return [r.account.id, '-', 'HOTP: not advanced (name it: totp-mcp code ' + r.account.id + ')'];
      if (r.code.expires_at === null) return [r.account.id, r.code.code.reveal(), `HOTP counter ${r.code.step}`];
      const left = secondsLeft(r.code, at);
      return [
        r.account.id,
        r.code.code.reveal(),
        `${left}s${left <= dyingSeconds(r.account.period) ? ' about to expire' : ''}`,
      ];
    });
    return table(['ID', 'CODE', 'LEFT'], lines);
  };
  const roll = (at: number): boolean => {
    let changed = false;
    for (const r of rows) {
      if (r.code === null || r.code.expires_at === null) continue;
      const n = toIssued(r.account, at);
      if (n.step !== r.code.step) {
        r.code = n;
        changed = true;
      }
    }
    return changed;
  };
  const tty = rt.io.stdoutIsTTY;
  if (!tty && !o.watch) {
    rt.io.out(render(now));
    if (skipped > 0) rt.io.err(`${skipped} HOTP account(s) not advanced: name them to get a code\n`);
    return;
  }
  const signal = untilCtrlC();
  const height = rows.length + 1;
  let drawn = false;
  while (!signal.aborted) {
    const at = rt.clock.now();
    const changed = roll(at);
    if (tty) {
      // Back to the table's first line, then redraw it over itself.
      rt.io.out(`${drawn ? `\u001b[${height}A` : ''}${render(at).replace(/\n/g, '\u001b[K\n')}`);
    } else if (!drawn || changed) {
      rt.io.out(`${drawn ? '\n' : ''}${render(at)}`);
    }
    drawn = true;
    await tick(toNextSecond(rt), signal);
  }
}

import { issueCode } from '../../app/codes.js';
import { dyingSeconds, FRESH_SECONDS, MAX_MIN_REMAINING } from '../../app/fresh.js';
import { parseTime } from '../../core/clock.js';
import { checkDuration } from '../../core/duration.js';
import { fail } from '../../core/errors.js';
import type { IssuedCode } from '../../core/model.js';
import { json } from '../format.js';
import type { Runtime } from '../runtime.js';
import { VERSION } from '../../version.js';

interface CodeOptions {
  json?: boolean | undefined;
  at?: string | undefined;
  agent?: string | undefined;
  /** Wait for a code with at least this many seconds left (checked by code-live.ts). */
  minRemaining?: number | undefined;
  /** The live view even off a terminal. */
  watch?: boolean | undefined;
}

export interface CodesOptions {
  json?: boolean;
  at?: string;
  agent?: string;
  watch?: boolean;
  minRemaining?: string;
  fresh?: boolean;
  all?: boolean;
  tag?: string;
}

function parseMinRemaining(o: CodesOptions): number | undefined {
  if (o.fresh && o.minRemaining !== undefined) fail('usage', 'give --fresh or --min-remaining, not both');
  if (o.fresh) return FRESH_SECONDS;
  if (o.minRemaining === undefined) return undefined;
  return checkDuration(o.minRemaining, '--min-remaining', { bare: true, min: 0, max: MAX_MIN_REMAINING });
}

/** `code [ids...]`: checks the combinations, then one code (code.ts) or a table. */
export async function runCodes(rt: Runtime, ids: string[], o: CodesOptions): Promise<void> {
  const minRemaining = parseMinRemaining(o);
  const agent = o.agent ?? rt.env.agent;
  const several = ids.length > 1 || o.all === true;
  if (o.tag !== undefined && !o.all) fail('usage', '--tag goes with --all');
  if (o.all && ids.length > 0) fail('usage', 'give account ids or --all, not both');
  if (ids.length === 0 && !o.all) fail('usage', 'give an account id (or several, or --all)');
  if (agent !== undefined && (several || o.watch)) {
    fail('usage', 'as an agent, code shows one code per request: no --watch, several ids or --all', {
      hint: 'each code an agent gets is policy-checked and audited on its own',
    });
  }
  if (o.watch && o.json) fail('usage', '--watch shows codes as they come: it does not go with --json');
  if (o.at !== undefined && (several || o.watch || minRemaining !== undefined))
    fail('usage', '--at gives one code at one time: no --watch, --min-remaining, several ids or --all');
  if (!several) {
    await runCode(rt, ids[0] as string, { json: o.json, at: o.at, agent: o.agent, minRemaining, watch: o.watch });
    return;
  }
  if (minRemaining !== undefined) fail('usage', '--min-remaining and --fresh take one account');
  await (await import('./code-live.js')).codeTable(rt, ids, o);
}

async function runCode(rt: Runtime, id: string, o: CodeOptions): Promise<void> {
  const agent = o.agent ?? rt.env.agent;
  // An agent gets the code of now, like over MCP: a chosen time would dodge `hours` and hand out
  // a future step. Refused before anything is decided, recorded or released.
  if (agent !== undefined && o.at !== undefined) {
    fail('usage', '--at is not allowed for an agent (--agent or TOTP_MCP_AGENT): an agent only gets the current code', {
      hint: 'drop --at, or run as the owner without an agent',
    });
  }
  let at: number | undefined;
  if (o.at !== undefined) {
    at = parseTime(o.at);
    if (at === undefined) fail('usage', '--at takes ISO 8601 (2026-01-02T03:04:05Z) or Unix seconds');
  }
  // The live view's module loads only when it is used: a plain `code` is the hot path.
  const live = () => import('./code-live.js');
  const c =
    agent === undefined
      ? at === undefined && o.minRemaining !== undefined
        ? await (await live()).freshOwnerCode(rt, id, o.minRemaining)
        : await issueCode(rt.ctx, id, at)
      : await agentCode(rt, agent, id, o.minRemaining);
  if (o.json) {
    rt.io.out(json({ ...c, code: c.code.reveal() }));
    return;
  }
  if ((!rt.io.stdoutIsTTY && !o.watch) || c.expires_at === null || at !== undefined) {
    rt.io.out(`${c.code.reveal()}\n`);
    if (at === undefined) warnIfDying(rt, c);
    return;
  }
  // The owner gets a live view; an agent's every code goes through the policy gate, so it gets this one only.
  if (agent === undefined) {
    await (await live()).liveCode(rt, id, c);
    return;
  }
  warnIfDying(rt, c);
  await countdown(rt, c);
}

/** Says on stderr (never the code) that a code handed out is about to expire. */
function warnIfDying(rt: Runtime, c: IssuedCode): void {
  if (c.remaining_seconds === null || c.expires_at === null) return;
  const period = Date.parse(c.expires_at) / 1000 / (c.step + 1);
  if (c.remaining_seconds <= dyingSeconds(period)) {
    rt.io.err(`warning: this code expires in ${c.remaining_seconds} s (--fresh waits for the next one)\n`);
  }
}

/** As an agent: the same path as the MCP server (policy, audit), with no way to ask a person. */
async function agentCode(
  rt: Runtime,
  agent: string,
  id: string,
  minRemaining: number | undefined,
): Promise<IssuedCode> {
  const { AgentService } = await import('../../app/agent.js');
  const service = new AgentService(rt.ctx, agent);
  try {
    return await service.getCode({ client: { name: 'totp-mcp-cli', version: VERSION } }, id, {
      minRemainingSeconds: minRemaining,
    });
  } finally {
    await service.close();
  }
}

/** On a terminal: the code with a bar and the seconds left, redrawn each second until it expires. */
async function countdown(rt: Runtime, c: IssuedCode): Promise<void> {
  const expires = Date.parse(c.expires_at ?? '');
  const period = expires / 1000 / (c.step + 1); // expires_at = (step + 1) × period
  const width = 20;
  const draw = (): number => {
    const left = Math.max(0, Math.ceil((expires - rt.clock.now()) / 1000));
    const bar = '█'.repeat(Math.round((width * left) / period)).padEnd(width, '░');
    const [on, off] = rt.io.color && left <= 5 ? ['\u001b[31m', '\u001b[0m'] : ['', ''];
    rt.io.out(`\r${c.code.reveal()}  ${on}${bar} ${String(left).padStart(2)}s${off} `);
    return left;
  };
  while (draw() > 0) await new Promise((r) => setTimeout(r, 1000 - (rt.clock.now() % 1000) + 5));
  rt.io.out('\n');
}

import { issueCode } from '../../app/codes.js';
import { parseTime } from '../../core/clock.js';
import { fail } from '../../core/errors.js';
import type { IssuedCode } from '../../core/model.js';
import { json } from '../format.js';
import type { Runtime } from '../runtime.js';
import { VERSION } from '../../version.js';

export interface CodeOptions {
  json?: boolean | undefined;
  at?: string | undefined;
  agent?: string | undefined;
  /** Wait for a code with at least this many seconds left (checked by code-live.ts). */
  minRemaining?: number | undefined;
  /** The live view even off a terminal. */
  watch?: boolean | undefined;
}

export async function runCode(rt: Runtime, id: string, o: CodeOptions): Promise<void> {
  const agent = o.agent ?? rt.env.agent;
  // An agent gets the code of now, like over MCP: a chosen time would dodge `hours` and hand out
  // a future step. Refused before anything is decided, recorded or released.
  if (agent !== undefined && o.at !== undefined) {
    fail('usage', '--at is not allowed for an agent (--agent or TOTP_MCP_AGENT): an agent only gets the current code', { hint: 'drop --at, or run as the owner without an agent' });
  }
  let at: number | undefined;
  if (o.at !== undefined) {
    at = parseTime(o.at);
    if (at === undefined) fail('usage', '--at takes ISO 8601 (2026-01-02T03:04:05Z) or Unix seconds');
  }
  const live = await import('./code-live.js');
  const c =
    agent === undefined
      ? at === undefined && o.minRemaining !== undefined
        ? await live.freshOwnerCode(rt, id, o.minRemaining)
        : await issueCode(rt.ctx, id, at)
      : await agentCode(rt, agent, id, o.minRemaining);
  if (o.json) {
    rt.io.out(json({ ...c, code: c.code.reveal() }));
    return;
  }
  if ((!rt.io.stdoutIsTTY && !o.watch) || c.expires_at === null || at !== undefined) {
    rt.io.out(`${c.code.reveal()}\n`);
    if (at === undefined) live.warnIfDying(rt, c);
    return;
  }
  // The owner gets a live view; an agent's every code goes through the policy gate, so it gets this one only.
  if (agent === undefined) {
    await live.liveCode(rt, id, c);
    return;
  }
  live.warnIfDying(rt, c);
  await countdown(rt, c);
}

/** As an agent: the same path as the MCP server (policy, audit), with no way to ask a person. */
async function agentCode(rt: Runtime, agent: string, id: string, minRemaining: number | undefined): Promise<IssuedCode> {
  const { AgentService } = await import('../../app/agent.js');
  const service = new AgentService(rt.ctx, agent);
  try {
    return await service.getCode({ client: { name: 'totp-mcp-cli', version: VERSION } }, id, { minRemainingSeconds: minRemaining });
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

// Bounds on one serving process (issue 12, item 7): a flood of pipelined calls is answered with a
// fixed-text JSON-RPC error beyond a fixed depth instead of growing the heap, a client that stops
// reading stdout stops the server executing calls, and nothing reaches stderr without --debug.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  expectAllStdoutClean,
  expectAuditVerifies,
  homeWithPolicy,
  rawServe,
  type Loose,
} from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const codeCall = (id: number): string =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_totp_code', arguments: { account: 'github:alice', min_remaining_seconds: 0 } } })}\n`;

/** Peak resident set size of a live process (Linux: VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmHWM');
  return Number(m[1]) / 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every response seen on the session's stdout so far, by id. */
function collect(s: ReturnType<typeof rawServe>): Map<number, Loose> {
  const seen = new Map<number, Loose>();
  s.child.stdin.on('error', () => undefined); // a server killed by the test
  let buffered = '';
  s.child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const m = JSON.parse(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
      if (typeof m.id === 'number') seen.set(m.id, m);
    }
  });
  return seen;
}

describe('serve: bounds', () => {
  it('a pipelined flood of 60,000 tools/call lines: peak RSS ≤ 200 MB, every call answered (a result or a "busy" error), stderr empty', async () => {
    const home = homeWithPolicy();
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    const seen = collect(s);
    s.send(INIT);
    await s.response(1);
    s.send({ method: 'notifications/initialized' });
    const N = 60_000;
    let lines = '';
    for (let i = 0; i < N; i++) lines += codeCall(100 + i);
    s.child.stdin.write(lines);
    const deadline = Date.now() + 240_000;
    let peak = 0;
    // (Stops early once over the bound: the old server took minutes to reach ~1 GB.)
    while (seen.size < N + 1 && Date.now() < deadline && peak <= 200) {
      await sleep(100);
      peak = peakRssMb(s.child.pid!);
    }
    if (peak > 200) s.child.kill('SIGKILL');
    const end = await s.end();
    console.log(
      `flood of ${N} pipelined calls: peak RSS ${peak.toFixed(1)} MB, ${seen.size - 1} answered, ${[...seen.values()].filter((m) => m.result && m.id >= 100).length} executed`,
    );
    expect(peak).toBeLessThanOrEqual(200);
    expect(seen.size).toBe(N + 1);
    const replies = [...seen.values()].filter((m) => m.id >= 100);
    const ok = replies.filter((m) => m.result && !m.result.isError);
    const busy = replies.filter((m) => m.error);
    expect(ok.length + busy.length).toBe(N);
    expect(ok.length).toBeGreaterThan(0);
    for (const m of busy) expect(m.error).toEqual({ code: -32000, message: expect.stringMatching(/^busy: /) });
    expect(end.code).toBe(0);
    expect(end.stderr).toBe('');
    // Every call that ran is recorded; the refused ones never reached the policy.
    expect(auditEvents(home).filter((e) => e.agent === 'bot')).toHaveLength(ok.length);
    expectAuditVerifies(home);
  }, 300_000);

  it('10,000 calls in flight while the client reads nothing for 5 s: all answered once it reads, and no Node warning (MaxListenersExceededWarning) on stderr', async () => {
    const home = homeWithPolicy();
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    const seen = collect(s);
    s.send(INIT);
    await s.response(1);
    s.send({ method: 'notifications/initialized' });
    s.child.stdout.pause();
    const N = 10_000;
    let lines = '';
    // On the limited account too: those calls wait for the cross-process limits lock.
    for (let i = 0; i < N; i++)
      lines += i % 2 ? codeCall(100 + i) : codeCall(100 + i).replace('github:alice', 'limited');
    s.child.stdin.write(lines);
    await sleep(5000);
    s.child.stdout.resume();
    const deadline = Date.now() + 60_000;
    while (seen.size < N + 1 && Date.now() < deadline) await sleep(50);
    const end = await s.end();
    expect(end.stderr).toBe('');
    expect(seen.size).toBe(N + 1);
    for (const m of [...seen.values()].filter((x) => x.error)) expect(m.error.message).toMatch(/^busy: /);
  }, 120_000);

  it('a client that stops reading stdout (pipe kept open): the server stops executing calls within a bounded time', async () => {
    const home = homeWithPolicy();
    const s = rawServe(home, ['serve', '--agent', 'bot']);
    s.send(INIT);
    await s.response(1);
    s.send({ method: 'notifications/initialized' });
    s.child.stdout.pause(); // the pipe stays open; nobody reads it
    s.child.stdin.on('error', () => undefined); // the feeder may outlive the server
    const log = join(home, 'state', 'audit.log');
    const size = (): number => {
      try {
        return statSync(log).size;
      } catch {
        return 0;
      }
    };
    // A steady stream of calls, as an agent that never reads its answers would send.
    let id = 100;
    const feeder = setInterval(() => {
      let lines = '';
      for (let i = 0; i < 200; i++) lines += codeCall(id++);
      s.child.stdin.write(lines);
    }, 50);
    try {
      await sleep(15_000);
      const a = size();
      await sleep(5_000);
      const b = size();
      // The audit log stopped growing: no more codes minted for a client that reads none.
      expect(b).toBe(a);
      expect(peakRssMb(s.child.pid!)).toBeLessThanOrEqual(200);
      expect(s.stderr()).toBe('');
    } finally {
      clearInterval(feeder);
      s.child.kill('SIGKILL');
    }
  }, 60_000);
});

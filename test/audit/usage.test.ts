import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditStats,
  canonicalJson,
  countAllowed,
  followAudit,
  openAuditLog,
  readAudit,
  type AuditEvent,
} from '../../src/audit/index.js';
import { usageIndexFor } from '../../src/audit/usage.js';
import type { Clock } from '../../src/core/clock.js';
import { key, sample, stateDir } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

describe('countAllowed', () => {
  it('counts allow decisions of counted actions per rule, agent and account, in a time window', async () => {
    const dir = await stateDir();
    let now = T0;
    const clock: Clock = { now: () => now };
    const log = openAuditLog(dir, key(), { clock });
    await log.append(sample(0, { account: 'github' })); // T0
    now += 10_000;
    await log.append(sample(0, { account: 'github' })); // T0+10s
    await log.append(sample(0, { account: 'gitlab' }));
    await log.append(sample(0, { account: 'github', decision: 'deny', reason: 'rate_limited' })); // not counted
    await log.append(sample(0, { account: 'github', action: 'list' })); // not a counted action
    await log.append(sample(0, { account: 'github', agent: 'cursor' })); // other agent
    await log.append(sample(0, { account: 'github', rule: 'other-rule' }));
    await log.append({
      agent: 'terraform',
      action: 'aws_session',
      account: 'aws-prod',
      decision: 'allow',
      rule: 'tf',
      reason: 'allowed',
    });
    await log.close();

    const q = { rule: 'desktop-github', agent: 'claude-desktop' };
    expect(await countAllowed(dir, { ...q, account: 'github', sinceMs: T0 })).toBe(2);
    expect(await countAllowed(dir, { ...q, account: 'github', sinceMs: T0 + 1 })).toBe(1);
    expect(await countAllowed(dir, { ...q, sinceMs: T0 })).toBe(3); // any account
    expect(await countAllowed(dir, { ...q, account: 'github', sinceMs: T0, actions: ['code', 'list'] })).toBe(3);
    expect(await countAllowed(dir, { ...q, agent: 'cursor', sinceMs: T0 })).toBe(1);
    expect(await countAllowed(dir, { rule: 'tf', agent: 'terraform', account: 'aws-prod', sinceMs: T0 })).toBe(1);
    expect(await countAllowed(dir, { ...q, account: 'github', sinceMs: T0 + 20_000 })).toBe(0);
  });

  it('reads only new bytes on later calls, follows rotations, and sees other writers', async () => {
    const dir = await stateDir();
    const a = openAuditLog(dir, key(), { rotateBytes: 2500 });
    const b = openAuditLog(dir, key(), { rotateBytes: 2500 }); // stands in for another process
    const q = { rule: 'desktop-github', agent: 'claude-desktop', sinceMs: 0 };
    expect(await countAllowed(dir, q)).toBe(0);
    let expected = 0;
    for (let round = 0; round < 12; round++) {
      await Promise.all([
        a.append(sample(round)),
        b.append(sample(round)),
        b.append(sample(round, { decision: 'deny', reason: 'x' })),
      ]);
      expected += 2;
      expect(await countAllowed(dir, q)).toBe(expected);
    }
    await Promise.all([a.close(), b.close()]);
    const rotated = (await import('node:fs/promises')).readdir(dir).then((f) => f.filter((n) => /^audit\.\d/.test(n)));
    expect((await rotated).length).toBeGreaterThan(2);
  });

  it('after the first call, reads only the bytes appended since', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(sample(i))));
    await log.flush();
    const q = { rule: 'desktop-github', agent: 'claude-desktop', sinceMs: 0 };
    const index = usageIndexFor(dir);
    expect(await countAllowed(dir, q)).toBe(300);
    const size = (await stat(join(dir, 'audit.log'))).size;
    expect(index.bytesRead).toBe(size);
    const e = await log.append(sample());
    await log.close();
    expect(await countAllowed(dir, q)).toBe(301);
    expect(index.bytesRead - size).toBe(canonicalJson(e).length + 1);
    expect(await countAllowed(dir, q)).toBe(301);
    expect(index.bytesRead - size).toBe(canonicalJson(e).length + 1); // nothing new: nothing read
  });

  it('does not count a torn last line until it is complete', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample());
    await log.close();
    const q = { rule: 'desktop-github', agent: 'claude-desktop', sinceMs: 0 };
    expect(await countAllowed(dir, q)).toBe(1);
    const line = (await readFile(join(dir, 'audit.log'), 'utf8')).trim();
    const next = line.replace('"seq":1', '"seq":2');
    await appendFile(join(dir, 'audit.log'), next.slice(0, 50));
    expect(await countAllowed(dir, q)).toBe(1);
    await appendFile(join(dir, 'audit.log'), next.slice(50) + '\n');
    expect(await countAllowed(dir, q)).toBe(2);
  });

  it('AuditLog.countAllowed also counts this process’s appends still in flight', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const q = { rule: 'desktop-github', agent: 'claude-desktop', sinceMs: 0 };
    expect(await log.countAllowed(q)).toBe(0);
    const pending = Array.from({ length: 5 }, (_, i) => log.append(sample(i)));
    expect(await log.countAllowed(q)).toBe(5); // none of them may be on disk yet
    await Promise.all(pending);
    expect(await log.countAllowed(q)).toBe(5); // now from the file, not twice
    const usage = await log.usage();
    expect(usage.count(q)).toBe(5);
    expect(usage.count({ ...q, account: 'github-0' })).toBe(2);
    const counter = await log.usageCounter(Date.now());
    expect(counter('desktop-github', 'claude-desktop', 'github-1', 3600)).toBe(2);
    await log.close();
    expect(await countAllowed(dir, q)).toBe(5);
  });

  it('count, decide and append in one synchronous step: concurrent requests never overshoot a limit', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const q = { rule: 'desktop-github', agent: 'claude-desktop', account: 'github-0', sinceMs: 0 };
    const request = async (): Promise<'allow' | 'deny'> => {
      const usage = await log.usage();
      const decision = usage.count(q) < 5 ? 'allow' : 'deny';
      await log.append(sample(0, { decision, reason: decision === 'allow' ? 'allowed' : 'rate_limited' }));
      return decision;
    };
    const first = await Promise.all(Array.from({ length: 20 }, request));
    expect(first.filter((d) => d === 'allow')).toHaveLength(5);
    const again = await Promise.all(Array.from({ length: 5 }, request));
    expect(again.every((d) => d === 'deny')).toBe(true);
    await log.close();
    expect(await countAllowed(dir, q)).toBe(5);
  });

  it('a rejected append is not counted', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { lockTimeoutMs: 100 });
    const { writeFile, rm } = await import('node:fs/promises');
    const { hostname } = await import('node:os');
    await writeFile(
      join(dir, 'audit.lock'),
      JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'x', ts: Date.now() }),
    );
    expect(await log.countAllowed({ rule: 'desktop-github', agent: 'claude-desktop', sinceMs: 0 })).toBe(0);
    const p = log.append(sample());
    await expect(p).rejects.toThrow();
    await rm(join(dir, 'audit.lock'));
    expect(await log.countAllowed({ rule: 'desktop-github', agent: 'claude-desktop', sinceMs: 0 })).toBe(0);
    await log.close();
  });
});

describe('followAudit', () => {
  it('delivers new events in order across rotations, and stops on abort', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 1500 });
    for (let i = 0; i < 3; i++) await log.append(sample(i)); // before following: not delivered
    const seen: AuditEvent[] = [];
    const ac = new AbortController();
    const following = followAudit(dir, (e) => seen.push(e), ac.signal, { intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    for (let i = 0; i < 20; i++) {
      await log.append(sample(i));
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await log.close();
    const deadline = Date.now() + 5000;
    while (seen.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await following;
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));
  });

  it('with afterSeq, first delivers what is already there after it', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 1500 });
    for (let i = 0; i < 8; i++) await log.append(sample(i));
    await log.close();
    const last = await readAudit(dir, { last: 1 });
    expect(last[0]!.seq).toBe(8);
    const seen: number[] = [];
    const ac = new AbortController();
    const following = followAudit(dir, (e) => seen.push(e.seq), ac.signal, { intervalMs: 20, afterSeq: 2 });
    const deadline = Date.now() + 5000;
    while (seen.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await following;
    expect(seen).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('resolves at once when the signal is already aborted', async () => {
    const dir = await stateDir();
    const ac = new AbortController();
    ac.abort();
    await expect(followAudit(dir, () => undefined, ac.signal)).resolves.toBeUndefined();
  });
});

describe('auditStats', () => {
  it('counts per agent, account, action and decision', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample(0));
    await log.append(sample(1, { decision: 'deny', reason: 'rate_limited' }));
    await log.append(sample(2, { agent: null, account: null, action: 'list' }));
    await log.append(sample(3, { agent: 'constructor', decision: 'error', reason: 'io_error' }));
    await log.close();
    const s = auditStats(await readAudit(dir));
    expect(s.total).toBe(4);
    expect({ ...s.byAgent }).toEqual({ 'claude-desktop': 2, '(owner)': 1, constructor: 1 });
    expect({ ...s.byAccount }).toEqual({ 'github-0': 2, 'github-1': 1, '(none)': 1 });
    expect(s.byDecision).toEqual({ allow: 2, deny: 1, error: 1 });
    expect({ ...s.byAction }).toEqual({ code: 3, list: 1 });
    expect({ ...s.denyReasons }).toEqual({ rate_limited: 1 });
    expect(auditStats([])).toMatchObject({ total: 0, from: null, to: null });
  });
});

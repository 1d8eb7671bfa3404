// Retention of rotated audit files and the usage index's start (issue 12, item 8): a flood of
// events is pruned but never what a limit still counts, `verify` says where the retained chain
// starts (and still catches files deleted by hand), and a new process's first count reads only
// the files that may hold events inside the window.
import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditLog, verifyAudit } from '../../src/audit/index.js';
import { UsageIndex } from '../../src/audit/usage.js';
import type { Clock } from '../../src/core/clock.js';
import { key, sample, stateDir } from './helpers.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 12);
const rotatedFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((n) => /^audit\.\d{12}-\d{12}\.log$/.test(n)).sort();
const bytesOf = async (dir: string, names: readonly string[]): Promise<number> => {
  let n = 0;
  for (const f of names) n += (await stat(join(dir, f))).size;
  return n;
};

/** A limited use, as the agent service records it. */
const use = (i: number) => sample(i, { agent: 'bot', account: 'limited', rule: 'bot-limited' });
/** An unmetered call (list_accounts): what a flood is made of. */
const list = (i: number) => sample(i, { agent: 'bot', action: 'list', account: null, rule: null, step: null });

describe('audit retention', () => {
  it('flooding the log until rotation and pruning does not reset a limit: old files are pruned, every file with a counted use is kept', async () => {
    const dir = await stateDir();
    let now = T0 - 5 * HOUR;
    const clock: Clock = { now: () => now };
    const log = openAuditLog(dir, key(), {
      clock,
      rotateBytes: 4000,
      retention: { keepFiles: 2, keepBytes: 8000, protectMs: () => HOUR },
    });
    // Old history, outside any window: may go.
    for (let i = 0; i < 60; i++) await log.append(list(i));
    // The limit (5 per hour) used up...
    now = T0;
    for (let i = 0; i < 5; i++) await log.append(use(i));
    // ...then a flood of unmetered calls, many times the retention, to push those uses out.
    now = T0 + 60_000;
    for (let i = 0; i < 400; i++) await log.append(list(i));
    await log.close();
    expect(log.stats.rotations).toBeGreaterThan(20);

    const rotated = await rotatedFiles(dir);
    // Pruned: the old history is gone, the chain no longer starts at 1.
    expect(rotated[0]).not.toMatch(/^audit\.000000000001-/);
    // Never pruned: a file holding a use inside the window (plus the clock margin), however much
    // more than keepFiles/keepBytes that keeps.
    expect(rotated.length).toBeGreaterThan(2);
    const fresh = new UsageIndex(dir); // a new process
    await fresh.refresh(T0 + 60_000 - HOUR);
    expect(fresh.count({ rule: 'bot-limited', agent: 'bot', account: 'limited', sinceMs: T0 + 60_000 - HOUR })).toBe(5);

    // `verify` accepts the retained chain and says where it starts.
    const v = await verifyAudit(dir, key());
    expect(v.ok).toBe(true);
    expect(v.startSeq).toBeGreaterThan(1);
    expect(v.lastSeq).toBe(465);
    expect(v.events).toBe(465 - (v.startSeq as number) + 1);
  });

  it('a file deleted by hand is still a broken chain; so is a forged pruning record', async () => {
    const dir = await stateDir();
    let now = T0 - 5 * HOUR;
    const clock: Clock = { now: () => now };
    const log = openAuditLog(dir, key(), {
      clock,
      rotateBytes: 3000,
      retention: { keepFiles: 3, keepBytes: 1 << 30, protectMs: () => HOUR },
    });
    for (let i = 0; i < 80; i++) await log.append(list(i));
    now = T0;
    for (let i = 0; i < 40; i++) await log.append(list(i));
    await log.close();
    expect((await verifyAudit(dir, key())).ok).toBe(true);
    const [oldest] = await rotatedFiles(dir);
    await unlink(join(dir, oldest as string));
    const v = await verifyAudit(dir, key());
    expect(v.ok).toBe(false);
    expect(v.firstBad?.problem).toBe('sequence');
    // A record that names the new start, without the key's tag, is not believed.
    const first = Number(/^audit\.(\d{12})-/.exec((await rotatedFiles(dir))[0] as string)?.[1]);
    await writeFile(
      join(dir, 'audit.pruned'),
      JSON.stringify({ v: 1, seq: first - 1, last_mac: 'a'.repeat(64), tag: 'b'.repeat(64) }) + '\n',
    );
    expect((await verifyAudit(dir, key())).ok).toBe(false);
  });

  it("a new process's first count does not read every rotated file: only those that may hold events in the window", async () => {
    const dir = await stateDir();
    let now = T0 - 30 * 24 * HOUR;
    const clock: Clock = { now: () => now };
    // A long history (no retention here: every file stays), then a few recent uses.
    const log = openAuditLog(dir, key(), { clock, rotateBytes: 20_000 });
    for (let i = 0; i < 3000; i++) {
      await log.append(i % 10 === 0 ? use(i) : list(i));
      now += 60_000;
    }
    now = T0;
    for (let i = 0; i < 3; i++) await log.append(use(i));
    await log.close();
    const rotated = await rotatedFiles(dir);
    expect(rotated.length).toBeGreaterThan(50);
    const total = (await bytesOf(dir, rotated)) + (await stat(join(dir, 'audit.log'))).size;

    const since = T0 - HOUR;
    const q = { rule: 'bot-limited', agent: 'bot', account: 'limited', sinceMs: since };
    const fresh = new UsageIndex(dir);
    await fresh.refresh(since);
    expect(fresh.count(q)).toBe(3);
    // The old files were not read (only their last lines were looked at).
    expect(fresh.bytesRead).toBeLessThan(total / 20);

    // Without a horizon (or with a longer one later) the whole chain is read and counts agree.
    const whole = new UsageIndex(dir);
    await whole.refresh();
    expect(whole.bytesRead).toBe(total);
    expect(whole.count(q)).toBe(3);
    await fresh.refresh(since - 40 * 24 * HOUR);
    expect(fresh.count({ ...q, sinceMs: 0 })).toBe(whole.count({ ...q, sinceMs: 0 }));
  });

  it("a new process reads the rotated files' usage summaries instead of the files; an edited summary is not believed", async () => {
    const dir = await stateDir();
    let now = T0 - 20 * HOUR;
    const log = openAuditLog(dir, key(), { clock: { now: () => now }, rotateBytes: 20_000 });
    for (let i = 0; i < 2400; i++) {
      await log.append(i % 10 === 0 ? use(i) : list(i));
      now += 30_000;
    }
    await log.close();
    const rotated = await rotatedFiles(dir);
    expect(rotated.length).toBeGreaterThan(20);
    const since = now - 24 * HOUR; // a 24 h window: every file holds events inside it
    const q = { rule: 'bot-limited', agent: 'bot', account: 'limited', sinceMs: since };

    const first = new UsageIndex(dir);
    first.useKey(key());
    await first.refresh(since);
    const total = first.bytesRead;
    expect(first.count(q)).toBe(240);
    expect(first.countCalls('bot', since)).toBe(2400);
    // It summarized what it read (written in the background).
    const summaries = async () => (await readdir(dir)).filter((n) => n.endsWith('.use')).sort();
    for (let i = 0; i < 100 && (await summaries()).length < rotated.length; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await summaries()).length).toBe(rotated.length);

    const second = new UsageIndex(dir); // a new process
    second.useKey(key());
    await second.refresh(since);
    expect(second.bytesRead).toBeLessThan(total / 4);
    expect(second.count(q)).toBe(240);
    expect(second.countCalls('bot', since)).toBe(2400);
    // A minute's calls count at its end: a window starting inside it counts them all (never fewer).
    expect(second.countCalls('bot', now - HOUR)).toBeGreaterThanOrEqual(first.countCalls('bot', now - HOUR));

    // Drop a use from a summary (its tag no longer verifies): that file is read again.
    const name = (await summaries())[3] as string;
    const o = JSON.parse(await readFile(join(dir, name), 'utf8')) as { allows: unknown[] };
    expect(o.allows.length).toBeGreaterThan(0);
    o.allows.shift();
    await writeFile(join(dir, name), JSON.stringify(o));
    const third = new UsageIndex(dir);
    third.useKey(key());
    await third.refresh(since);
    expect(third.count(q)).toBe(240);
    expect(third.bytesRead).toBeGreaterThan(second.bytesRead);
  });

  it('a long-running index forgets times outside the window, and its counts stay those of a full read', async () => {
    const dir = await stateDir();
    let now = T0;
    const log = openAuditLog(dir, key(), { clock: { now: () => now } });
    const live = new UsageIndex(dir);
    // 24,000 events, one per second of the clock, refreshed as a server would between calls.
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        Array.from({ length: 4000 }, (_, i) => {
          now += 1000;
          return log.append(i % 4 === 0 ? use(i) : list(i));
        }),
      );
      await live.refresh(now - HOUR);
    }
    await log.close();
    const whole = new UsageIndex(dir);
    await whole.refresh();
    for (const since of [now - HOUR, now - HOUR / 2, now - 60_000]) {
      const q = { rule: 'bot-limited', agent: 'bot', account: 'limited', sinceMs: since };
      expect(live.count(q)).toBe(whole.count(q));
      expect(live.countCalls('bot', since)).toBe(whole.countCalls('bot', since));
    }
    // Asking for earlier times than it kept starts it again, from the files.
    await live.refresh(now - 5 * HOUR);
    expect(live.countCalls('bot', T0)).toBe(24_000);
  });

  it("counts every call of an agent (any action, any decision) for max_calls, with this process's queued events", async () => {
    const dir = await stateDir();
    const now = T0;
    const log = openAuditLog(dir, key(), { clock: { now: () => now } });
    await log.append(list(0));
    await log.append(sample(1, { agent: 'bot', decision: 'deny', reason: 'denied_by_rule', rule: 'x' }));
    await log.append(sample(2, { agent: 'other' }));
    expect(await log.countCalls('bot', T0 - HOUR, now)).toBe(2);
    const queued = log.append(list(3));
    expect(await log.countCalls('bot', T0 - HOUR, now)).toBe(3);
    await queued;
    await log.close();
    expect(await log.countCalls('bot', T0 + 1, now)).toBe(0);
  });
});

import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, openAuditLog, readAudit, verifyAudit, type AuditEvent } from '../../src/audit/index.js';
import type { Clock } from '../../src/core/clock.js';
import { key, sample, stateDir } from './helpers.js';

const readHeadFile = async (dir: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(dir, 'audit.head'), 'utf8'));

describe('group commit', () => {
  it('64 concurrent appends share a few writes and fsyncs, and the chain verifies', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample(0)); // the first batch creates the file
    const events = await Promise.all(Array.from({ length: 64 }, (_, i) => log.append(sample(i + 1))));
    const stats = log.stats;
    await log.close();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 64 }, (_, i) => i + 2));
    expect(stats.events).toBe(65);
    expect(stats.fsyncs).toBe(stats.batches);
    // Appends issued in one tick all wait for the lock together, so they go out as one batch.
    expect(stats.batches).toBeLessThanOrEqual(3);
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 65 });
  });

  it('events that arrive while a batch is in flight form the next batch', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const first = Array.from({ length: 10 }, (_, i) => log.append(sample(i)));
    await new Promise((r) => setImmediate(r));
    const second = Array.from({ length: 10 }, (_, i) => log.append(sample(i)));
    const all = await Promise.all([...first, ...second]);
    await log.close();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log.stats.batches).toBeLessThanOrEqual(3);
    expect((await verifyAudit(dir, key())).ok).toBe(true);
  });

  it('close() waits for queued appends, then refuses new ones', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const pending = Array.from({ length: 5 }, (_, i) => log.append(sample(i)));
    await log.close();
    const settled = await Promise.allSettled(pending);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    expect(await readAudit(dir)).toHaveLength(5);
    await expect(log.append(sample())).rejects.toThrow(/closed/);
  });
});

describe('failures reject the append (the caller fails closed)', () => {
  it('when the log cannot be opened for writing', async () => {
    const dir = await stateDir();
    await mkdir(join(dir, 'audit.log')); // a directory where the file should be
    const log = openAuditLog(dir, key());
    const results = await Promise.allSettled([log.append(sample(1)), log.append(sample(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await log.close();
  });

  it('when the state folder cannot be created', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, 'file'), '');
    const log = openAuditLog(join(dir, 'file', 'state'), key());
    await expect(log.append(sample())).rejects.toThrow(/cannot create the state folder/);
    await log.close();
  });

  it('when the lock is held by a live process past the timeout', async () => {
    const dir = await stateDir();
    await writeFile(
      join(dir, 'audit.lock'),
      JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), nonce: 'x', ts: Date.now() }),
    );
    const log = openAuditLog(dir, key(), { lockTimeoutMs: 200 });
    await expect(log.append(sample())).rejects.toThrow(/timed out waiting for the lock/);
    await log.close();
    await rm(join(dir, 'audit.lock'));
  });

  it('a later append succeeds once the cause is gone', async () => {
    const dir = await stateDir();
    await mkdir(join(dir, 'audit.log'));
    const log = openAuditLog(dir, key());
    await expect(log.append(sample())).rejects.toThrow();
    await rm(join(dir, 'audit.log'), { recursive: true });
    expect((await log.append(sample())).seq).toBe(1);
    await log.close();
    expect((await verifyAudit(dir, key())).ok).toBe(true);
  });
});

describe('head record and recovery', () => {
  it('records seq, mac, size and file after each batch', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    const e = await log.append(sample());
    const e2 = await log.append(sample());
    await log.close();
    const st = await stat(join(dir, 'audit.log'), { bigint: true });
    expect(await readHeadFile(dir)).toEqual({
      v: 2,
      seq: e2.seq,
      mac: e2.mac,
      size: Number(st.size),
      file: 'audit.log',
      ino: st.ino.toString(),
      gen: 0,
      hmac: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(e2.prev).toBe(e.mac);
  });

  it('a missing head is rebuilt from the last line', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample());
    await log.append(sample());
    await log.flush();
    await rm(join(dir, 'audit.head'));
    expect((await log.append(sample())).seq).toBe(3);
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 3, head: 'ok' });
  });

  it('a head left behind by a crash (log fsynced, head not updated) is caught up', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample());
    await log.flush();
    const oldHead = await readFile(join(dir, 'audit.head'));
    await log.append(sample());
    await log.append(sample());
    await log.flush();
    await writeFile(join(dir, 'audit.head'), oldHead);
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, head: 'behind' });
    expect((await log.append(sample())).seq).toBe(4);
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 4, head: 'ok' });
  });

  it('an unreadable head is treated as missing', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample());
    await log.flush();
    await writeFile(join(dir, 'audit.head'), '{"seq": "garbage');
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, head: 'invalid' });
    expect((await log.append(sample())).seq).toBe(2);
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, head: 'ok' });
  });

  it('verify during a stream of appends sees a consistent snapshot (no torn tail, no head ahead)', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 20_000 });
    let stop = false;
    let n = 0;
    const writers = Array.from({ length: 8 }, async () => {
      while (!stop) await log.append(sample(n++));
    });
    try {
      for (let i = 0; i < 15; i++) {
        const r = await verifyAudit(dir, key());
        expect(r.ok, JSON.stringify(r.firstBad)).toBe(true);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: n, head: 'ok' });
  });

  it('two writers in one process keep one chain', async () => {
    const dir = await stateDir();
    const a = openAuditLog(dir, key());
    const b = openAuditLog(dir, key());
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append(sample(i))));
    await Promise.all([a.close(), b.close()]);
    expect(new Set(all.map((e) => e.seq)).size).toBe(40);
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 40 });
  });
});

describe('rotation', () => {
  it('rotates by size into sortable files and the chain continues across them', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 2000 });
    const events: AuditEvent[] = [];
    for (let i = 0; i < 40; i++) events.push(await log.append(sample(i)));
    await log.close();
    const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    expect(files.length).toBeGreaterThan(3);
    let next = 1;
    for (const f of files.filter((n) => n !== 'audit.log')) {
      const m = /^audit\.(\d{12})-(\d{12})\.log$/.exec(f)!;
      expect(Number(m[1])).toBe(next);
      const lines = (await readFile(join(dir, f), 'utf8')).trim().split('\n');
      expect(JSON.parse(lines[0]!).seq).toBe(next);
      expect(JSON.parse(lines.at(-1)!).seq).toBe(Number(m[2]));
      next = Number(m[2]) + 1;
    }
    const report = await verifyAudit(dir, key());
    expect(report).toMatchObject({ ok: true, events: 40, lastSeq: 40 });
    expect(report.files).toEqual(files);
    expect((await readAudit(dir)).map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  });

  it('a rotated file that is cut short or removed fails verification', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 2000 });
    for (let i = 0; i < 30; i++) await log.append(sample(i));
    await log.close();
    const rotated = (await readdir(dir)).filter((f) => /^audit\.\d/.test(f)).sort();
    const second = rotated[1]!;
    const lines = (await readFile(join(dir, second), 'utf8')).trim().split('\n');
    const lastSeq = JSON.parse(lines.at(-1)!).seq as number;
    await writeFile(
      join(dir, second),
      lines
        .slice(0, -1)
        .map((l) => l + '\n')
        .join(''),
    );
    expect((await verifyAudit(dir, key())).firstBad).toEqual({
      seq: lastSeq,
      line: lines.length,
      file: second,
      problem: 'truncated',
    });
    await rm(join(dir, second));
    expect((await verifyAudit(dir, key())).firstBad).toMatchObject({
      line: 1,
      file: rotated[2] ?? 'audit.log',
      problem: 'sequence',
    });
  });

  // A writer killed in a session that rotated leaves a head that names an older file. These two
  // stale heads still match the size of a file on disk; trusting them would fork the chain.
  it('a stale head naming an older rotated file is not trusted', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 1 }); // every batch rotates
    await log.append(sample(1));
    await log.flush();
    const stale = await readFile(join(dir, 'audit.head'));
    expect(JSON.parse(stale.toString()).file).toMatch(/^audit\.\d{12}-\d{12}\.log$/);
    await log.append(sample(2));
    await log.flush();
    await writeFile(join(dir, 'audit.head'), stale);
    expect((await log.append(sample(3))).seq).toBe(3);
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 3 });
  });

  it('a stale head naming a live file of the same size, but another inode, is not trusted', async () => {
    const dir = await stateDir();
    const clock = { now: () => Date.UTC(2026, 0, 1) }; // same ts: lines of the same length
    const probe = openAuditLog(await stateDir(), key(), { clock });
    const lineLength = canonicalJson(await probe.append(sample(1))).length + 1;
    await probe.close();
    const log = openAuditLog(dir, key(), { clock, rotateBytes: Math.floor(lineLength * 1.5) });
    await log.append(sample(1)); // live: 1 line
    await log.flush();
    const stale = await readFile(join(dir, 'audit.head'));
    await log.append(sample(1)); // live: 2 lines → rotated
    await log.append(sample(1)); // a new live file: 1 line, the same size as before
    await log.flush();
    expect((await stat(join(dir, 'audit.log'))).size).toBe(JSON.parse(stale.toString()).size);
    await writeFile(join(dir, 'audit.head'), stale);
    expect((await log.append(sample(1))).seq).toBe(4);
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 4 });
  });

  it('recovers from a crash between the rename and the head update', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { rotateBytes: 1_000_000 });
    let e: AuditEvent | undefined;
    for (let i = 0; i < 4; i++) e = await log.append(sample(i));
    await log.flush();
    const head = await readHeadFile(dir);
    expect(head['file']).toBe('audit.log');
    // Simulate: the live file was renamed but the head still names it.
    const { rename } = await import('node:fs/promises');
    await rename(
      join(dir, 'audit.log'),
      join(dir, `audit.${'1'.padStart(12, '0')}-${String(e!.seq).padStart(12, '0')}.log`),
    );
    expect((await log.append(sample())).seq).toBe(e!.seq + 1);
    await log.close();
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: e!.seq + 1 });
  });
});

describe('readAudit and the clock', () => {
  it('filters by time and keeps the last N', async () => {
    const dir = await stateDir();
    let now = Date.UTC(2026, 0, 1);
    const clock: Clock = { now: () => now };
    const log = openAuditLog(dir, key(), { clock, rotateBytes: 3000 });
    for (let i = 0; i < 30; i++) {
      await log.append(sample(i));
      now += 60_000;
    }
    await log.close();
    const all = await readAudit(dir);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(all[1]!.ts).toBe('2026-01-01T00:01:00.000Z');
    expect((await readAudit(dir, { last: 4 })).map((e) => e.seq)).toEqual([27, 28, 29, 30]);
    const t0 = Date.UTC(2026, 0, 1);
    expect((await readAudit(dir, { since: t0 + 10 * 60_000, until: t0 + 13 * 60_000 })).map((e) => e.seq)).toEqual([
      11, 12, 13,
    ]);
    expect((await readAudit(dir, { since: t0 + 10 * 60_000, last: 2 })).map((e) => e.seq)).toEqual([29, 30]);
    expect(await readAudit(dir, { last: 0 })).toEqual([]);
  });

  it('skips lines that do not parse', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append(sample());
    await log.close();
    await writeFile(join(dir, 'audit.log'), (await readFile(join(dir, 'audit.log'), 'utf8')) + 'garbage\n{"v":1}\n');
    expect(await readAudit(dir)).toHaveLength(1);
  });
});

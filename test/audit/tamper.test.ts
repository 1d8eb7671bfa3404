import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, openAuditLog, verifyAudit } from '../../src/audit/index.js';
import { key, sample, stateDir } from './helpers.js';

const N = 10;

/** A state folder with a chain of N events; returns helpers to rewrite its lines. */
async function chain(): Promise<{ dir: string; path: string; lines: string[]; write(lines: string[]): Promise<void> }> {
  const dir = await stateDir();
  const log = openAuditLog(dir, key());
  for (let i = 0; i < N; i++)
    await log.append(sample(i, i % 4 === 3 ? { decision: 'deny', reason: 'rate_limited' } : {}));
  await log.close();
  const path = join(dir, 'audit.log');
  const lines = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
  expect(lines).toHaveLength(N);
  expect((await verifyAudit(dir, key())).ok).toBe(true);
  return { dir, path, lines, write: (ls) => writeFile(path, ls.map((l) => l + '\n').join('')) };
}

const edit = (line: string, change: Record<string, unknown>): string =>
  canonicalJson({ ...JSON.parse(line), ...change });

describe('verify detects tampering and names the first bad line', () => {
  it('an edited field (deny turned into allow)', async () => {
    const c = await chain();
    c.lines[3] = edit(c.lines[3]!, { decision: 'allow', reason: 'allowed' });
    await c.write(c.lines);
    const r = await verifyAudit(c.dir, key());
    expect(r.ok).toBe(false);
    expect(r.firstBad).toEqual({ seq: 4, line: 4, file: 'audit.log', problem: 'mac' });
    expect(r.events).toBe(3);
  });

  it('an edited field in every position is caught', async () => {
    const c = await chain();
    const changes: Record<string, unknown>[] = [
      { agent: 'other-agent' },
      { account: 'bank' },
      { action: 'list' },
      { rule: 'other' },
      { step: 1 },
      { ts: '2020-01-01T00:00:00.000Z' },
      { pid: 1 },
      { client: null },
      { approval: 'confirmed' },
      { extra: 'field' },
    ];
    for (const change of changes) {
      const ls = [...c.lines];
      ls[6] = edit(ls[6]!, change);
      await c.write(ls);
      expect((await verifyAudit(c.dir, key())).firstBad, JSON.stringify(change)).toEqual({
        seq: 7,
        line: 7,
        file: 'audit.log',
        problem: 'mac',
      });
    }
  });

  it('an edited mac, an edited prev, an edited seq', async () => {
    const c = await chain();
    const flip = (hex: string): string => (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1);
    let ls = [...c.lines];
    ls[4] = edit(ls[4]!, { mac: flip(JSON.parse(ls[4]!).mac) });
    await c.write(ls);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({ seq: 5, line: 5, file: 'audit.log', problem: 'mac' });

    ls = [...c.lines];
    ls[4] = edit(ls[4]!, { prev: flip(JSON.parse(ls[4]!).prev) });
    await c.write(ls);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({ seq: 5, line: 5, file: 'audit.log', problem: 'prev' });

    ls = [...c.lines];
    ls[4] = edit(ls[4]!, { seq: 50 });
    await c.write(ls);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: 50,
      line: 5,
      file: 'audit.log',
      problem: 'sequence',
    });
  });

  it('a deleted line', async () => {
    const c = await chain();
    c.lines.splice(3, 1);
    await c.write(c.lines);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: 5,
      line: 4,
      file: 'audit.log',
      problem: 'sequence',
    });
  });

  it('a deleted line with the later seqs renumbered (no key to re-MAC)', async () => {
    const c = await chain();
    const ls = c.lines.filter((_, i) => i !== 3).map((l, i) => (i >= 3 ? edit(l, { seq: i + 1 }) : l));
    await c.write(ls);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({ seq: 4, line: 4, file: 'audit.log', problem: 'prev' });
  });

  it('two lines swapped', async () => {
    const c = await chain();
    [c.lines[4], c.lines[5]] = [c.lines[5]!, c.lines[4]!];
    await c.write(c.lines);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: 6,
      line: 5,
      file: 'audit.log',
      problem: 'sequence',
    });
  });

  it('a duplicated line', async () => {
    const c = await chain();
    c.lines.splice(2, 0, c.lines[2]!);
    await c.write(c.lines);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: 3,
      line: 4,
      file: 'audit.log',
      problem: 'sequence',
    });
  });

  it('a duplicated last line', async () => {
    const c = await chain();
    c.lines.push(c.lines[N - 1]!);
    await c.write(c.lines);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: N,
      line: N + 1,
      file: 'audit.log',
      problem: 'sequence',
    });
  });

  it('the tail cut off at a line boundary (caught by the head record)', async () => {
    const c = await chain();
    await c.write(c.lines.slice(0, 8));
    const r = await verifyAudit(c.dir, key());
    expect(r.firstBad).toEqual({ seq: 9, line: 9, file: 'audit.log', problem: 'truncated' });
    expect(r.events).toBe(8);
  });

  it('the whole log emptied (caught by the head record)', async () => {
    const c = await chain();
    await c.write([]);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: 1,
      line: 1,
      file: 'audit.log',
      problem: 'truncated',
    });
    await rm(c.path);
    expect((await verifyAudit(c.dir, key())).firstBad).toMatchObject({ seq: 1, line: 1, problem: 'truncated' });
  });

  it('the tail cut in the middle of a line', async () => {
    const c = await chain();
    const size = (await readFile(c.path)).length;
    await truncate(c.path, size - 40);
    const r = await verifyAudit(c.dir, key());
    expect(r.firstBad).toMatchObject({ line: N, file: 'audit.log', problem: 'truncated' });
    expect(r.events).toBe(N - 1);
  });

  it('a garbage line inserted, and an empty line', async () => {
    const c = await chain();
    const ls = [...c.lines];
    ls.splice(2, 0, 'this is not an event');
    await c.write(ls);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({ line: 3, file: 'audit.log', problem: 'parse' });

    const ls2 = [...c.lines];
    ls2.splice(5, 0, '');
    await c.write(ls2);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({ line: 6, file: 'audit.log', problem: 'parse' });

    const ls3 = [...c.lines];
    ls3.splice(5, 0, '{"seq":6}');
    await c.write(ls3);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: 6,
      line: 6,
      file: 'audit.log',
      problem: 'parse',
    });
  });

  it('a forged line with a well-formed but wrong MAC appended at the end', async () => {
    const c = await chain();
    const last = JSON.parse(c.lines[N - 1]!);
    c.lines.push(edit(c.lines[N - 1]!, { seq: N + 1, prev: last.mac, mac: 'f'.repeat(64) }));
    await c.write(c.lines);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      seq: N + 1,
      line: N + 1,
      file: 'audit.log',
      problem: 'mac',
    });
  });
});

describe('the writer refuses to continue a damaged chain, and repairs a torn line', () => {
  it('refuses to append after the tail was cut (the caller fails closed)', async () => {
    const c = await chain();
    await c.write(c.lines.slice(0, 7));
    const log = openAuditLog(c.dir, key());
    await expect(log.append(sample())).rejects.toThrow(/truncated or rolled back/);
    await log.close();
    // The owner accepts the log as it is by deleting the head: the chain continues from seq 7.
    await rm(join(c.dir, 'audit.head'));
    const log2 = openAuditLog(c.dir, key());
    expect((await log2.append(sample())).seq).toBe(8);
    await log2.close();
    expect((await verifyAudit(c.dir, key())).ok).toBe(true);
  });

  it('refuses to append after a forged last line', async () => {
    const c = await chain();
    c.lines[N - 1] = edit(c.lines[N - 1]!, { decision: 'deny' });
    await c.write(c.lines);
    await rm(join(c.dir, 'audit.head'));
    const log = openAuditLog(c.dir, key());
    await expect(log.append(sample())).rejects.toThrow(/not a valid event/);
    await log.close();
  });

  it('cuts away a torn last line (a writer that died mid-write) and continues the chain', async () => {
    const c = await chain();
    const last = c.lines[N - 1]!;
    const torn = edit(last, { seq: N + 1 }).slice(0, 100);
    await writeFile(c.path, c.lines.map((l) => l + '\n').join('') + torn);
    expect((await verifyAudit(c.dir, key())).firstBad).toEqual({
      line: N + 1,
      file: 'audit.log',
      problem: 'truncated',
    });
    const log = openAuditLog(c.dir, key());
    const e = await log.append(sample());
    expect(e.seq).toBe(N + 1);
    await log.close();
    expect(await verifyAudit(c.dir, key())).toMatchObject({ ok: true, events: N + 1, head: 'ok' });
    expect(await readFile(c.path, 'utf8')).toBe([...c.lines, canonicalJson(e)].map((l) => l + '\n').join(''));
  });
});

// The MAC'd head record (audit/head.ts) and the writer's strictness once the vault anchors the
// trail (AuditLogOptions.anchored): a cut, forged or missing head is refused, never rebuilt.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditLog, verifyAudit } from '../../src/audit/index.js';
import { readHead } from '../../src/audit/files.js';
import { headVerifies } from '../../src/audit/head.js';
import { judgeHead } from '../../src/app/trail.js';
import { newPayload } from '../../src/vault/store.js';
import { key, otherKey, sample, stateDir } from './helpers.js';

const headOf = async (dir: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(dir, 'audit.head'), 'utf8')) as Record<string, unknown>;
const writeHeadJson = (dir: string, h: Record<string, unknown>): Promise<void> =>
  writeFile(join(dir, 'audit.head'), `${JSON.stringify(h)}\n`);

async function chain(n: number, gens: (number | null)[] = []): Promise<string> {
  const dir = await stateDir();
  const log = openAuditLog(dir, key());
  for (let i = 0; i < n; i++) await log.append({ ...sample(i), gen: gens[i] ?? null });
  await log.close();
  return dir;
}

describe('the head record is MAC’d', () => {
  it('a fresh chain starts with a signed head at seq 0; each session writes a signed v2 head with the highest generation seen', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key());
    await log.append({ ...sample(0), gen: 3 });
    await log.append({ ...sample(1), gen: 5 });
    await log.append({ ...sample(2), gen: 4 }); // a process with an older copy of the vault: the head keeps 5
    await log.close();
    const h = await readHead(dir);
    expect(h).toMatchObject({ v: 2, seq: 3, gen: 5 });
    expect(headVerifies(key(), h as never)).toBe(true);
    expect(headVerifies(otherKey(), h as never)).toBe(false);
    expect(await verifyAudit(dir, key())).toMatchObject({
      ok: true,
      head: 'ok',
      maxGen: 5,
      headRecord: { seq: 3, gen: 5 },
    });
  });

  it('any edited field of the head (seq, mac, size, gen) makes it not verify; verify reports it forged', async () => {
    const dir = await chain(4, [1, 1, 2, 2]);
    const good = await headOf(dir);
    for (const change of [
      { seq: 3 },
      { mac: 'a'.repeat(64) },
      { size: 1 },
      { gen: 0 },
      { ino: '1' },
      { hmac: 'b'.repeat(64) },
    ]) {
      await writeHeadJson(dir, { ...good, ...change });
      const h = await readHead(dir);
      expect(h !== null && h !== 'invalid' && headVerifies(key(), h), JSON.stringify(change)).toBe(false);
      expect((await verifyAudit(dir, key())).head, JSON.stringify(change)).toBe('forged');
    }
  });

  it('not anchored (a trail from before anchors): a missing or v1 head is rebuilt from the log, as before', async () => {
    const dir = await chain(3);
    const good = await headOf(dir);
    await writeHeadJson(dir, {
      v: 1,
      seq: good['seq'],
      mac: good['mac'],
      size: good['size'],
      file: good['file'],
      ino: good['ino'],
    });
    expect((await verifyAudit(dir, key())).head).toBe('unsigned');
    const log = openAuditLog(dir, key());
    expect((await log.append(sample())).seq).toBe(4);
    await log.close();
    expect((await headOf(dir))['v']).toBe(2); // upgraded
  });

  it.each([
    ['missing', async (dir: string) => rm(join(dir, 'audit.head')), /audit\.head is missing/],
    [
      'unsigned (v1)',
      async (dir: string) => {
        const h = await headOf(dir);
        await writeHeadJson(dir, {
          v: 1,
          seq: h['seq'],
          mac: h['mac'],
          size: h['size'],
          file: h['file'],
          ino: h['ino'],
        });
      },
      /not signed/,
    ],
    ['forged', async (dir: string) => writeHeadJson(dir, { ...(await headOf(dir)), gen: 9 }), /does not verify/],
    ['unreadable', async (dir: string) => writeFile(join(dir, 'audit.head'), '{"v": 2, "seq'), /does not verify/],
  ] as const)(
    'anchored: a %s head is refused (the caller fails closed), and stays so',
    async (_what, tamper, message) => {
      const dir = await chain(3);
      await tamper(dir);
      const log = openAuditLog(dir, key(), { anchored: () => true });
      await expect(log.append(sample())).rejects.toThrow(message);
      await expect(log.append(sample())).rejects.toThrow(/the audit trail is broken/);
      await log.close();
      // Nothing was rebuilt or appended behind the refusal.
      expect((await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n')).toHaveLength(3);
    },
  );

  it('anchored: a wiped state folder (no head, no log) is refused, not started afresh', async () => {
    const dir = await stateDir();
    const log = openAuditLog(dir, key(), { anchored: () => true });
    await expect(log.append(sample())).rejects.toThrow(/audit\.head is missing/);
    await log.close();
  });
});

describe('judgeHead: the agent path’s per-request verdict', () => {
  const payload = (generation: number, anchor?: { seq: number; mac: string }) => {
    const p = newPayload(0);
    p.audit_key = { reveal: () => key().reveal().toString('base64') } as never;
    p.generation = generation;
    if (anchor) p.anchors['id-0000000000000000'] = anchor;
    return p;
  };
  const HOME = 'id-0000000000000000';

  it('rollback: the head has seen a newer generation than the vault', async () => {
    const dir = await chain(2, [7, 8]);
    const h = await readHead(dir);
    expect(judgeHead(h, key(), payload(8), HOME)).toMatchObject({ broken: null, rollback: null });
    expect(judgeHead(h, key(), payload(5), HOME)).toMatchObject({ broken: null, rollback: { vault: 5, trail: 8 } });
  });

  it('broken: behind the anchor, or the anchored event replaced; another home’s anchor does not count', async () => {
    const dir = await chain(3);
    const h = await readHead(dir);
    if (h === null || h === 'invalid') throw new Error('no head');
    expect(judgeHead(h, key(), payload(0, { seq: 3, mac: h.mac }), HOME).broken).toBeNull();
    expect(judgeHead(h, key(), payload(0, { seq: 9, mac: h.mac }), HOME).broken).toMatch(
      /ends at event 3 but the vault saw event 9/,
    );
    expect(judgeHead(h, key(), payload(0, { seq: 3, mac: 'c'.repeat(64) }), HOME).broken).toMatch(
      /not the one the vault saw/,
    );
    expect(judgeHead(h, key(), payload(0, { seq: 9, mac: h.mac }), 'id-1111111111111111').broken).toBeNull();
    expect(judgeHead(null, key(), payload(0, { seq: 0, mac: '0'.repeat(64) }), HOME).broken).toMatch(/missing/);
    expect(judgeHead(null, key(), payload(0), HOME).broken).toBeNull(); // no anchor: a home new to this vault
  });
});

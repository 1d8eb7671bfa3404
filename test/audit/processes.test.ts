import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog, readAudit, verifyAudit } from '../../src/audit/index.js';
import { KEY_HEX, key, sample, stateDir } from './helpers.js';

let buildDir = '';
let child = '';

beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), 'totp-mcp-audit-child-'));
  child = join(buildDir, 'child.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', 'child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
});

afterAll(async () => {
  await rm(buildDir, { recursive: true, force: true });
});

interface Run {
  proc: ChildProcess;
  /** Acknowledged appends: seq → pid. */
  acks: Map<number, number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  firstAck: Promise<void>;
}

function run(dir: string, args: string[], acks = new Map<number, number>()): Run {
  const proc = spawn(process.execPath, [child, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onFirst: () => void = () => undefined;
  const firstAck = new Promise<void>((r) => (onFirst = r));
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const lines = out.split('\n');
    out = lines.pop()!; // only complete lines are acknowledgements
    for (const l of lines) {
      const [seq, pid] = l.split(' ').map(Number);
      expect(acks.has(seq!), `seq ${seq} acknowledged twice`).toBe(false);
      acks.set(seq!, pid!);
      onFirst();
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('exit', (code, signal) => {
      onFirst();
      resolve({ code, signal, stderr: err });
    }),
  );
  return { proc, acks, exited, firstAck };
}

const rawLines = async (dir: string): Promise<string[]> => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const out: string[] = [];
  for (const f of files) {
    const text = await readFile(join(dir, f), 'utf8');
    expect(text === '' || text.endsWith('\n'), `${f} ends with a newline`).toBe(true);
    out.push(...text.split('\n').slice(0, -1));
  }
  return out;
};

describe('across processes', () => {
  it('8 processes × 250 events at once make one chain, with no interleaved bytes', async () => {
    const dir = await stateDir();
    const acks = new Map<number, number>();
    const runs = Array.from({ length: 8 }, () => run(dir, ['burst', '250', '4', KEY_HEX], acks));
    for (const r of runs) {
      const x = await r.exited;
      expect(x.stderr).toBe('');
      expect(x.code).toBe(0);
    }
    expect(acks.size).toBe(2000);
    const lines = await rawLines(dir);
    expect(lines).toHaveLength(2000);
    const parsed = lines.map((l) => JSON.parse(l) as { seq: number; pid: number });
    expect(parsed.map((e) => e.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    for (const e of parsed) expect(acks.get(e.seq)).toBe(e.pid);
    expect(new Set(parsed.map((e) => e.pid)).size).toBe(8);
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: 2000, head: 'ok' });
    expect(await readAudit(dir)).toHaveLength(2000);
  });

  it('4 processes rotating a small log keep one chain across files', async () => {
    const dir = await stateDir();
    const runs = Array.from({ length: 4 }, () => run(dir, ['burst', '150', '3', KEY_HEX, String(16 * 1024)]));
    for (const r of runs) expect((await r.exited).code).toBe(0);
    const report = await verifyAudit(dir, key());
    expect(report).toMatchObject({ ok: true, events: 600 });
    expect(report.files.length).toBeGreaterThan(5);
    expect((await rawLines(dir)).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
  });

  it('SIGKILL at random moments: the log verifies and no acknowledged event is missing', async () => {
    const dir = await stateDir();
    const acks = new Map<number, number>();
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      // Odd rounds rotate a small log, so kills also land around renames.
      const extra = round % 2 ? [String(8 * 1024)] : [];
      const runs = Array.from({ length: 4 }, () => run(dir, ['loop', '0', '4', KEY_HEX, ...extra], acks));
      await Promise.all(runs.map((r) => r.firstAck));
      await Promise.all(
        runs.map(async (r) => {
          await new Promise((res) => setTimeout(res, 20 + Math.random() * 250));
          r.proc.kill('SIGKILL');
          const x = await r.exited;
          expect(x.signal, x.stderr).toBe('SIGKILL');
        }),
      );
      const report = await verifyAudit(dir, key());
      expect(report.ok, JSON.stringify(report.firstBad)).toBe(true);
    }
    const events = await readAudit(dir);
    const bySeq = new Map(events.map((e) => [e.seq, e.pid]));
    expect(acks.size).toBeGreaterThan(0);
    for (const [seq, pid] of acks) expect(bySeq.get(seq), `acknowledged seq ${seq}`).toBe(pid);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));

    // A survivor continues the chain (breaking any lock a killed child held).
    const log = openAuditLog(dir, key());
    const e = await log.append(sample());
    await log.close();
    expect(e.seq).toBe(events.length + 1);
    expect(await verifyAudit(dir, key())).toMatchObject({ ok: true, events: events.length + 1, head: 'ok' });
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLines, scanTail } from '../../src/audit/files.js';
import { stateDir } from './helpers.js';

/** What readLines and scanTail must agree with: a plain split. */
function naive(content: string): { lines: string[]; torn: string | null } {
  const parts = content.split('\n');
  const torn = parts.pop()!;
  return { lines: parts, torn: torn === '' ? null : torn };
}

const lineArb = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => s.replace(/\n/g, ' ')) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 140_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('é😀中') },
);

describe('line reading', () => {
  it('readLines and scanTail agree with a plain split, across chunk boundaries (property)', async () => {
    const dir = await stateDir();
    const path = join(dir, 'f.log');
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { maxLength: 30 }),
        fc.option(fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, '') || 'z')),
        async (lines, torn) => {
          const content = lines.map((l) => l + '\n').join('') + (torn ?? '');
          await writeFile(path, content);
          const want = naive(content);
          const got: string[] = [];
          let tornSeen: string | null = null;
          let expectOffset = 0;
          for await (const l of readLines(path)) {
            expect(l.offset).toBe(expectOffset);
            if (l.complete) {
              got.push(l.text);
              expectOffset = l.next;
            } else tornSeen = l.text;
          }
          expect(got).toEqual(want.lines);
          expect(tornSeen).toBe(want.torn);
          const scan = await scanTail(path);
          const size = Buffer.byteLength(content);
          expect(scan?.size).toBe(size);
          expect(scan?.completeEnd).toBe(size - Buffer.byteLength(want.torn ?? ''));
          expect(scan?.lastLine).toBe(want.lines.at(-1));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a file larger than one chunk', async () => {
    const dir = await stateDir();
    const path = join(dir, 'big.log');
    const lines = Array.from({ length: 9000 }, (_, i) => `${i}:${'y'.repeat(i % 700)}`);
    await writeFile(path, lines.map((l) => l + '\n').join(''));
    const got: string[] = [];
    for await (const l of readLines(path)) got.push(l.text);
    expect(got).toEqual(lines);
    expect((await scanTail(path))?.lastLine).toBe(lines.at(-1));
  });

  it('a line over 2 MiB is returned cut short, and the next line is intact', async () => {
    const dir = await stateDir();
    const path = join(dir, 'monster.log');
    const monster = 'm'.repeat(3_000_000);
    await writeFile(path, `first\n${monster}\nlast\n`);
    const got: { text: string; next: number; complete: boolean }[] = [];
    for await (const l of readLines(path)) got.push({ text: l.text, next: l.next, complete: l.complete });
    expect(got.map((l) => l.text.length)).toEqual([5, 256, 4]);
    expect(got[1]).toMatchObject({ complete: true, next: 6 + monster.length + 1 });
    expect(got[2]!.text).toBe('last');
    await writeFile(path, `first\n${monster}`);
    const torn: boolean[] = [];
    for await (const l of readLines(path)) torn.push(l.complete);
    expect(torn).toEqual([true, false]);
  });

  it('scanTail of a missing, an empty, and an all-torn file', async () => {
    const dir = await stateDir();
    expect(await scanTail(join(dir, 'none'))).toBeNull();
    await writeFile(join(dir, 'empty'), '');
    expect(await scanTail(join(dir, 'empty'))).toEqual({ size: 0, completeEnd: 0 });
    await writeFile(join(dir, 'torn'), 'abc');
    expect(await scanTail(join(dir, 'torn'))).toEqual({ size: 3, completeEnd: 0 });
    await writeFile(join(dir, 'nl'), '\n');
    expect(await scanTail(join(dir, 'nl'))).toEqual({ size: 1, completeEnd: 1, lastLine: '' });
  });
});

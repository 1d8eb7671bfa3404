import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ReplyWriter } from '../../src/mcp/stdio.js';

/** A stdout stand-in that records each write it receives. */
function recorder(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      writes.push(chunk.toString());
      cb();
    },
  });
  return { stream, writes };
}

const reply = (w: ReplyWriter, text: string): void => {
  w.beforeReply();
  w.write(text);
};

const cascadeOver = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ReplyWriter', () => {
  it('writes a lone reply at once', () => {
    const { stream, writes } = recorder();
    const w = new ReplyWriter(stream);
    reply(w, 'a\n');
    expect(writes).toEqual(['a\n']);
  });

  it('sends a burst of replies from one cascade in two writes, bytes and order unchanged', async () => {
    const { stream, writes } = recorder();
    const w = new ReplyWriter(stream);
    const sent: string[] = [];
    // As the SDK does: each reply sent from its own promise chain, all in one cascade.
    await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        for (let k = 0; k < i % 5; k++) await Promise.resolve();
        const line = `{"id":${i}}\n`;
        sent.push(line);
        reply(w, line);
      }),
    );
    await cascadeOver();
    expect(writes).toHaveLength(2);
    expect(writes.join('')).toBe(sent.join(''));
  });

  it('starts afresh in the next cascade', async () => {
    const { stream, writes } = recorder();
    const w = new ReplyWriter(stream);
    reply(w, '1\n');
    reply(w, '2\n');
    reply(w, '3\n');
    await cascadeOver();
    reply(w, '4\n');
    expect(writes).toEqual(['1\n', '2\n3\n', '4\n']);
    await cascadeOver();
  });

  it('passes an error of the real stream on, which then has a listener (no crash)', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE'));
      },
    });
    const w = new ReplyWriter(broken);
    const failed = new Promise<Error>((resolve) => w.once('error', resolve));
    reply(w, 'x\n');
    expect((await failed).message).toBe('EPIPE');
  });
});

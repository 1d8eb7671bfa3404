/**
 * The CLI's only door to the terminal. stdout carries results (and, under `serve`, JSON-RPC only);
 * everything for a person goes to stderr.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout itself, for `serve`'s JSON-RPC transport (its only writer while it serves). */
  readonly stdout: NodeJS.WritableStream;
  /** stdout is a terminal (live countdowns, tables). */
  readonly stdoutIsTTY: boolean;
  /** stdin and stderr are a terminal: prompts are possible. */
  readonly interactive: boolean;
  readStdin(): Promise<string>;
  /** Colour is used only on a terminal, and never when NO_COLOR is set. */
  readonly color: boolean;
}

export function processIo(noColor: boolean): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdout: process.stdout,
    stdoutIsTTY: process.stdout.isTTY,
    interactive: process.stdin.isTTY && process.stderr.isTTY,
    color: process.stderr.isTTY && !noColor,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > 16 * 1024 * 1024) throw new Error('standard input is larger than 16 MiB');
        chunks.push(b);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

import type { Io } from '../../src/cli/io.js';

/** An Io for in-process runs of `main(argv, env, io)`: no terminal, and what was written, kept. */
export function memoryIo(): Io & { text: () => { out: string; err: string } } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdout: process.stdout,
    stdoutIsTTY: false,
    interactive: false,
    color: false,
    readStdin: () => Promise.resolve(''),
    text: () => ({ out, err }),
  };
}

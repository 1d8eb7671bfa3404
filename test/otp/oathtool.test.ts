// 500 seeded-random cases checked against the real oathtool (OATH Toolkit), the reference most
// TOTP implementations are compared with. oathtool does SHA1/256/512 TOTP and SHA1 HOTP with 6–8
// digits; 9–10 digits and SHA256/512 HOTP are covered against node:crypto in vectors.test.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Redacted } from '../../src/core/redacted.js';
import { generateCode, makeDraft } from '../../src/otp/index.js';
import { requireTool } from '../helpers/tools.js';
import { base32, int, mangle, pick, prng, randomBytes } from './reference.js';

const run = promisify(execFile);
const CASES = 500;
/** Each spawn asks oathtool for WINDOW + 1 consecutive codes (`-w`), so 500 spawns check 2,000 codes. */
const WINDOW = 3;

interface Case {
  args: string[];
  /** The codes we compute for the same steps, in order. */
  ours: () => string[];
  what: string;
}

function makeCase(rand: () => number, i: number): Case {
  // Key lengths from 1 to 100 bytes: short, RFC-sized, and longer than a SHA1/SHA256 block (64).
  const key = randomBytes(rand, pick(rand, [10, 16, 20, 32, 64, int(rand, 1, 100)]));
  const hex = Buffer.from(key).toString('hex');
  // The secret reaches us as people type it; oathtool gets the same bytes in hex.
  const secret = new Redacted(mangle(rand, base32(key)));
  const digits = int(rand, 6, 8);

  if (i % 5 === 4) {
    const counter = pick(rand, [int(rand, 0, 1000), int(rand, 0, 2 ** 32 + 5), Number.MAX_SAFE_INTEGER - WINDOW]);
    const draft = makeDraft({ secret, type: 'hotp', digits: String(digits), counter: String(counter) });
    return {
      args: ['--hotp', '-d', String(digits), '-c', String(counter), '-w', String(WINDOW), hex],
      ours: () =>
        Array.from({ length: WINDOW + 1 }, (_, k) => generateCode({ ...draft, counter: counter + k }, 0).code.reveal()),
      what: `hotp SHA1/${digits} counter ${counter} key ${key.length} B`,
    };
  }

  const algorithm = pick(rand, ['SHA1', 'SHA256', 'SHA512'] as const);
  const period = pick(rand, [30, 30, 60, int(rand, 1, 86_400)]);
  const seconds = pick(rand, [int(rand, 0, 2 ** 31), int(rand, 0, 20_000_000_000), int(rand, 0, 1000)]);
  const algName = pick(rand, [algorithm, algorithm.toLowerCase(), algorithm.replace('SHA', 'SHA-')]);
  const draft = makeDraft({ secret, algorithm: algName, digits, period });
  // Milliseconds inside the second must not change the step.
  const atMs = seconds * 1000 + int(rand, 0, 999);
  return {
    args: [
      `--totp=${algorithm}`,
      '-d',
      String(digits),
      '-s',
      `${period}s`,
      '-N',
      `@${seconds}`,
      '-w',
      String(WINDOW),
      hex,
    ],
    ours: () =>
      Array.from({ length: WINDOW + 1 }, (_, k) => generateCode(draft, atMs + k * period * 1000).code.reveal()),
    what: `totp ${algorithm}/${digits}/${period}s at ${seconds} key ${key.length} B`,
  };
}

/** Runs jobs with at most `limit` in flight: enough to hide process start-up, kind to two cores. */
async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

describe.runIf(requireTool('oathtool', 'oathtool'))('agreement with oathtool', () => {
  it(`${CASES} seeded-random cases (TOTP SHA1/256/512, HOTP; 6–8 digits; odd periods and keys)`, async () => {
    const rand = prng(0x0a7);
    const cases = Array.from({ length: CASES }, (_, i) => makeCase(rand, i));
    expect(cases.filter((c) => c.args[0] === '--hotp').length).toBe(CASES / 5);

    const mismatches = await pool(cases, 6, async (c) => {
      const { stdout } = await run('oathtool', c.args);
      const theirs = stdout.trim().split('\n');
      const ours = c.ours();
      expect(theirs).toHaveLength(WINDOW + 1);
      return theirs.join() === ours.join() ? null : `${c.what}: oathtool ${theirs.join()} ≠ ours ${ours.join()}`;
    });
    expect(mismatches.filter((m) => m !== null)).toEqual([]);
  });
});

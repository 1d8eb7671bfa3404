/** Reading the command out of argv without the parser, for src/index.ts to pick an entry. */
/** Global options that take a value (program.ts defines them; kept here so the entry loads no parser). */
export const GLOBAL_VALUE_OPTIONS = [
  '--home',
  '--identity',
  '--passphrase-file',
  '--passphrase-command',
  '--passphrase-timeout',
] as const;

const TAKES_VALUE: ReadonlySet<string> = new Set(GLOBAL_VALUE_OPTIONS);

/**
 * The command word: the first argument that is neither a global option nor a global option's
 * value (`--home X`, `--home=X`). Anything unusual (an unknown option first) yields undefined,
 * and the full CLI then parses it and says what is wrong.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('-')) return a;
    if (a === '--debug' || (a.includes('=') && TAKES_VALUE.has(a.slice(0, a.indexOf('='))))) continue;
    if (TAKES_VALUE.has(a)) {
      i++;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/** `totp-mcp add <id>`: an account from an otpauth:// URI or a base32 secret (typed hidden, or piped). */
import { Option, type Command, type OptionValues } from 'commander';
import type { AccountDraft } from '../../core/model.js';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { printable } from '../format.js';
import { counterFlag, digitsFlag, periodFlag } from '../number-flags.js';
import {
  argString,
  collect,
  flagBool,
  flagChoice,
  flagList,
  flagString,
  type CommandUnit,
  type Deps,
} from '../unit.js';

const TYPES = ['totp', 'hotp', 'steam'] as const;
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

export interface AddOptions {
  id: string;
  /** Where the secret comes from: a URI argument, a URI on stdin, a base32 secret on stdin, or a prompt. */
  source: { kind: 'uri'; uri: Redacted } | { kind: 'uri-stdin' } | { kind: 'secret-stdin' } | { kind: 'prompt' };
  type?: (typeof TYPES)[number];
  algorithm?: (typeof ALGORITHMS)[number];
  digits?: string;
  period?: string;
  counter?: string;
  issuer?: string;
  label?: string;
  tags: string[];
}

const TYPE_FLAGS = ['type', 'algorithm', 'digits', 'period', 'counter'] as const;

export const addCommand: CommandUnit<AddOptions> = {
  define: (parent: Command) =>
    parent
      .command('add <id>')
      .description('add an account from an otpauth:// URI or a base32 secret (typed hidden, or piped)')
      .option(
        '--uri <uri>',
        "otpauth:// or steam:// URI; '-' reads it from stdin (keeps it out of ps and shell history)",
      )
      .option('--secret-stdin', 'read the base32 secret from stdin (hidden prompt on a terminal)')
      .option('--issuer <s>', 'issuer, e.g. GitHub')
      .option('--label <s>', 'account label, e.g. alice@example.com')
      .addOption(new Option('--type <type>', 'totp, hotp or steam').choices(TYPES))
      .addOption(new Option('--algorithm <alg>', 'HMAC algorithm').choices(ALGORITHMS))
      .option('--digits <n>', 'code length, 6-10 (default 6)', digitsFlag)
      .option('--period <s>', 'TOTP period in seconds (default 30)', periodFlag)
      .option('--counter <n>', 'HOTP initial counter (default 0)', counterFlag)
      .option('--tag <tag>', 'tag the account (repeatable)', collect),

  options(args: readonly unknown[], flags: OptionValues): AddOptions {
    const uri = flagString(flags, 'uri');
    const secretStdin = flagBool(flags, 'secretStdin');
    if (uri !== undefined && secretStdin) fail('usage', 'give either --uri or --secret-stdin, not both');
    const o: AddOptions = {
      id: argString(args, 0),
      source:
        uri === '-'
          ? { kind: 'uri-stdin' }
          : uri !== undefined
            ? { kind: 'uri', uri: new Redacted(uri) }
            : secretStdin
              ? { kind: 'secret-stdin' }
              : { kind: 'prompt' },
      tags: flagList(flags, 'tag') ?? [],
    };
    const type = flagChoice(flags, 'type', TYPES);
    const algorithm = flagChoice(flags, 'algorithm', ALGORITHMS);
    const digits = flagString(flags, 'digits');
    const period = flagString(flags, 'period');
    const counter = flagString(flags, 'counter');
    const issuer = flagString(flags, 'issuer');
    const label = flagString(flags, 'label');
    if (type !== undefined) o.type = type;
    if (algorithm !== undefined) o.algorithm = algorithm;
    if (digits !== undefined) o.digits = digits;
    if (period !== undefined) o.period = period;
    if (counter !== undefined) o.counter = counter;
    if (issuer !== undefined) o.issuer = issuer;
    if (label !== undefined) o.label = label;
    if (uri !== undefined) {
      const typed = TYPE_FLAGS.filter((k) => o[k] !== undefined);
      if (typed.length > 0)
        fail('usage', `--${typed.join(', --')} cannot be combined with --uri: the URI carries them`);
    }
    return o;
  },

  async run(o: AddOptions, { rt, prompter }: Deps): Promise<void> {
    const { addAccount, draftFromSecret, draftFromUri } = await import('../../app/accounts.js');
    /** One secret value: a hidden prompt on a terminal, else all of stdin. */
    const readSecret = async (what: string): Promise<Redacted> => {
      if (rt.io.interactive) return prompter.secret(`${what}:`);
      const text = (await rt.io.readStdin()).trim();
      if (text === '') fail('usage', `no ${what.toLowerCase()} on standard input`);
      return new Redacted(text);
    };
    /** What was pasted at the secret prompt (or piped): a base32 secret, or the whole URI (the common case). */
    const secretOrUri = (input: Redacted): AccountDraft => {
      if (!/^\s*(otpauth|steam):\/\//i.test(input.reveal())) return draftFromSecret(input, o, o.id);
      const typed = TYPE_FLAGS.filter((k) => o[k] !== undefined);
      if (typed.length > 0)
        fail('usage', `--${typed.join(', --')} cannot be combined with a URI: the URI carries them`);
      return draftFromUri(input, { issuer: o.issuer, label: o.label });
    };
    let draft: AccountDraft;
    const s = o.source;
    if (s.kind === 'uri') draft = draftFromUri(s.uri, { issuer: o.issuer, label: o.label });
    else if (s.kind === 'uri-stdin')
      draft = draftFromUri(await readSecret('otpauth:// URI'), { issuer: o.issuer, label: o.label });
    else if (s.kind === 'secret-stdin' || rt.io.interactive)
      draft = secretOrUri(await readSecret('Secret (base32) or otpauth:// URI'));
    else return fail('usage', 'give --uri URI, --uri - (URI on stdin) or --secret-stdin (base32 secret on stdin)');
    const { addWarnings } = await import('../../app/add-checks.js');
    let warnings: string[] = [];
    const a = await addAccount(rt.ctx, o.id, draft, o.tags, (existing) => {
      warnings = addWarnings(existing, draft);
    });
    for (const w of warnings) rt.io.err(`warning: ${w}\n`);
    const what =
      a.type === 'steam'
        ? 'steam'
        : `${a.type} ${a.algorithm} ${a.digits} digits${a.type === 'totp' ? ` ${a.period}s` : ''}`;
    rt.io.out(`added ${a.id}: ${printable([a.issuer, a.label].filter(Boolean).join(' / '))} (${what})\n`);
  },
};

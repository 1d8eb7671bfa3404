/** Interactive prompts, on stderr so that stdout stays clean. Loaded only when a prompt is shown. */
import { fail } from '../core/errors.js';
import { Redacted } from '../core/redacted.js';

const context = () => ({ input: process.stdin, output: process.stderr, clearPromptOnDone: true });

/** Tries at a new passphrase (an empty one, or a confirmation that differs) before giving up. */
const CONFIRM_TRIES = 3;

/**
 * A hidden prompt (nothing is echoed, not even a mask). With `confirm` (a new secret), asks twice:
 * an empty entry is refused before the confirmation, and a mismatch asks again, three tries in all.
 */
export async function promptSecret(message: string, options: { confirm?: boolean } = {}): Promise<Redacted> {
  const { default: password } = await import('@inquirer/password');
  if (!options.confirm) return new Redacted(await password({ message }, context()));
  for (let i = 1; ; i++) {
    const first = await password({ message }, context());
    let problem: string;
    if (first === '') problem = 'the passphrase is empty';
    else {
      const second = await password({ message: 'Again, to confirm:' }, context());
      if (first === second) return new Redacted(first);
      problem = 'the two entries differ';
    }
    if (i >= CONFIRM_TRIES) fail('usage', `${problem} (${CONFIRM_TRIES} tries): nothing was changed`);
    process.stderr.write(`${problem}: try again\n`);
  }
}

export async function promptConfirm(message: string): Promise<boolean> {
  const { default: confirm } = await import('@inquirer/confirm');
  return confirm({ message, default: false }, context());
}

/** Interactive prompts, on stderr so that stdout stays clean. Loaded only when a prompt is shown. */
import { fail } from '../core/errors.js';
import { Redacted } from '../core/redacted.js';

const context = () => ({ input: process.stdin, output: process.stderr, clearPromptOnDone: true });

/** A hidden prompt (nothing is echoed, not even a mask). With `confirm`, asks twice. */
export async function promptSecret(message: string, options: { confirm?: boolean } = {}): Promise<Redacted> {
  const { default: password } = await import('@inquirer/password');
  const first = await password({ message }, context());
  if (options.confirm) {
    const second = await password({ message: 'Again, to confirm:' }, context());
    if (first !== second) fail('usage', 'the two entries differ');
  }
  return new Redacted(first);
}

export async function promptConfirm(message: string): Promise<boolean> {
  const { default: confirm } = await import('@inquirer/confirm');
  return confirm({ message, default: false }, context());
}

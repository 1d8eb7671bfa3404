/**
 * What the device commands (aws enroll / resync / devices / retire) are given: the app context,
 * input and output, a prompter and the clock. Tests and other fronts pass their own.
 */
import type { AppContext } from '../../app/context.js';
import type { Clock } from '../../core/clock.js';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import type { Io } from '../io.js';
import type { Runtime } from '../runtime.js';

export interface Prompter {
  /** A terminal is there to ask on (stdin and stderr). */
  readonly interactive: boolean;
  secret(message: string): Promise<Redacted>;
  confirm(message: string): Promise<boolean>;
}

export interface DeviceCommandDeps {
  ctx: AppContext;
  io: Pick<Io, 'out' | 'err' | 'readStdin' | 'color'>;
  prompter: Prompter;
  clock: Clock;
}

export function deviceCommandDeps(rt: Runtime): DeviceCommandDeps {
  return {
    ctx: rt.ctx,
    io: rt.io,
    clock: rt.clock,
    prompter: {
      interactive: rt.io.interactive,
      secret: async (message) => (await import('../prompt.js')).promptSecret(message),
      confirm: async (message) => (await import('../prompt.js')).promptConfirm(message),
    },
  };
}

/** The secret access key: typed hidden on a terminal, else read from stdin; never an argument. */
export async function readSecretKey(deps: DeviceCommandDeps, keyId: string): Promise<Redacted> {
  if (deps.prompter.interactive)
    return deps.prompter.secret(`AWS secret access key for ${keyId.slice(0, 4)}…${keyId.slice(-4)}:`);
  const text = (await deps.io.readStdin()).trim();
  if (text === '')
    fail('usage', 'no secret access key on stdin', {
      hint: 'pipe it in (never pass it as an argument), or run in a terminal to type it hidden',
    });
  return new Redacted(text);
}

export const progressTo =
  (deps: DeviceCommandDeps) =>
  (m: string): void => {
    deps.io.err(`totp-mcp: ${m}\n`);
  };

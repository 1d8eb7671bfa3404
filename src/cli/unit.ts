/**
 * A command as one unit (the GitHub CLI's shape): its flags, its typed options and its run body,
 * in one file under commands/. `define` declares the command on its parent; `options` turns what
 * the parser read into the command's own option type (usage errors are thrown there, before
 * anything is opened); `run` does the work with what `Deps` hands it (the runtime, a prompter and
 * a clock), so a test can give it others.
 *
 * A unit file imports only cheap modules at its top (commander, errors, formatting): the app
 * modules its run needs are imported inside run, so that registering every command costs
 * `totp-mcp code` nothing.
 */
import type { Command, OptionValues } from 'commander';
import type { Clock } from '../core/clock.js';
import { fail } from '../core/errors.js';
import type { Redacted } from '../core/redacted.js';
import type { Runtime } from './runtime.js';

/** How a command asks the person (hidden entries and yes/no), on stderr. */
export interface Prompter {
  secret(message: string, options?: { confirm?: boolean }): Promise<Redacted>;
  confirm(message: string): Promise<boolean>;
}

export interface Deps {
  readonly rt: Runtime;
  readonly prompter: Prompter;
  readonly clock: Clock;
}

export interface CommandUnit<O> {
  define(parent: Command): Command;
  options(args: readonly unknown[], flags: OptionValues): O;
  run(options: O, deps: Deps): Promise<void>;
}

/** For in-process tests of the parsing: when `parsed` is given, a command reports its options instead of running. */
export interface ParseSeam {
  parsed?: (command: string, options: unknown) => void;
}

/** The prompts of a real terminal (loaded when first shown). */
export const terminalPrompter: Prompter = {
  secret: async (message, options) => (await import('./prompt.js')).promptSecret(message, options),
  confirm: async (message) => (await import('./prompt.js')).promptConfirm(message),
};

/** Registers a unit under `parent`; `deps` is built only when the command runs. */
export function register<O>(
  parent: Command,
  unit: CommandUnit<O>,
  deps: () => Promise<Deps>,
  seam: ParseSeam = {},
): Command {
  const cmd = unit.define(parent);
  cmd.action(async () => {
    const options = unit.options(cmd.processedArgs, cmd.opts());
    if (seam.parsed) {
      seam.parsed(pathOf(cmd), options);
      return;
    }
    await unit.run(options, await deps());
  });
  return cmd;
}

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command = cmd; c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

// ---- reading what the parser read, checked (commander types it loosely) ----

export function flagString(flags: OptionValues, name: string): string | undefined {
  const v: unknown = flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return fail('internal', `--${name}: expected a value`);
  return v;
}

export function flagBool(flags: OptionValues, name: string): boolean {
  const v: unknown = flags[name];
  return v === true;
}

export function flagList(flags: OptionValues, name: string): string[] | undefined {
  const v: unknown = flags[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string'))
    return fail('internal', `--${name}: expected a list`);
  return v;
}

/** A flag whose parser limited it to `choices` (commander's `.choices`). */
export function flagChoice<T extends string>(flags: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const v = flagString(flags, name);
  if (v === undefined) return undefined;
  const found = choices.find((c) => c === v);
  if (found === undefined) return fail('usage', `--${name}: not one of ${choices.join(', ')}`);
  return found;
}

export function argString(args: readonly unknown[], i: number): string {
  const v = args[i];
  if (typeof v !== 'string') return fail('internal', 'a missing argument');
  return v;
}

export function argOptional(args: readonly unknown[], i: number): string | undefined {
  const v = args[i];
  return v === undefined ? undefined : argString(args, i);
}

export function argList(args: readonly unknown[], i: number): string[] {
  const v = args[i];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string'))
    return fail('internal', 'a malformed argument list');
  return v;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

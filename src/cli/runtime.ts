/** What a command's run() gets: the parsed global options, the environment, the terminal and the app context. */
import { resolve } from 'node:path';
import type { EnvConfig } from '../config.js';
import { AppContext } from '../app/context.js';
import { passphraseSource } from '../app/unlock.js';
import type { Clock } from '../core/clock.js';
import type { Io } from './io.js';
import { promptSecret } from './prompt.js';

export interface GlobalOptions {
  home?: string;
  identity?: string;
  passphraseFile?: string;
  passphraseCommand?: string;
  passphraseTimeout?: string;
  debug?: boolean;
  coordinator?: string;
}

export class Runtime {
  /** A command may ask for a non-zero exit without throwing (doctor). */
  exitCode = 0;
  readonly home: string;
  #ctx: AppContext | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly env: EnvConfig,
    readonly io: Io,
    readonly clock: Clock,
  ) {
    this.home = resolve(globals.home ?? env.defaultHome);
  }

  get identityFile(): string | undefined {
    const f = this.globals.identity ?? this.env.identityFile;
    return f === undefined ? undefined : resolve(f);
  }

  /** The passphrase source: command, file, environment, else a hidden prompt on a terminal. */
  passphrase(confirm = false) {
    return passphraseSource({
      command: this.globals.passphraseCommand,
      timeout: this.globals.passphraseTimeout ?? this.env.passphraseTimeout,
      file: this.globals.passphraseFile,
      env: this.env.passphrase,
      prompt: this.io.interactive ? (message: string) => promptSecret(message, { confirm }) : undefined,
    });
  }

  get ctx(): AppContext {
    this.#ctx ??= new AppContext(this.home, this.clock, {
      identityFile: this.identityFile,
      passphrase: this.passphrase(),
      coordinator: { flag: this.globals.coordinator, env: this.env.coordinator },
    });
    return this.#ctx;
  }

  async close(): Promise<void> {
    await this.#ctx?.close();
  }
}

import type { Clock } from '../core/clock.js';
import type { Coordinator } from '../fleet/coordinator.js';
import { homePaths, openVault, type HomePaths, type PassphraseSource, type Vault } from '../vault/index.js';

export type { HomePaths, PassphraseSource } from '../vault/index.js';

interface UnlockSources {
  /** `--identity FILE` / `TOTP_MCP_IDENTITY`; else the home's identity.txt or identity.age. */
  identityFile?: string | undefined;
  /** Asked only when the vault or the identity needs a passphrase. */
  passphrase?: PassphraseSource | undefined;
  /** The fleet coordinator's URL from `--coordinator` / `TOTP_MCP_COORDINATOR` (else config.yaml). */
  coordinator?: { flag?: string | undefined; env?: string | undefined } | undefined;
}

/**
 * What every use-case needs: where the home is, what time it is, and how to unlock.
 * The vault is opened (and so unlocked) at most once per context, on first use.
 */
export class AppContext {
  readonly paths: HomePaths;
  readonly clock: Clock;
  readonly unlock: UnlockSources;
  #vault: Promise<Vault> | undefined;
  #fleet: Promise<Coordinator | null> | undefined;

  constructor(home: string, clock: Clock, unlock: UnlockSources) {
    this.paths = homePaths(home);
    this.clock = clock;
    this.unlock = unlock;
  }

  vault(): Promise<Vault> {
    this.#vault ??= openVault(this.paths, {
      identityFile: this.unlock.identityFile,
      passphrase: this.unlock.passphrase,
      now: () => this.clock.now(),
      // Every vault write remembers this home's audit head (app/trail.ts), loaded only to write.
      beforeWrite: async (p, homeId) => (await import('./trail.js')).recordAnchor(this.paths.state, p, homeId),
    });
    return this.#vault;
  }

  /**
   * The fleet coordinator (issue 15), opened once per process on first use; null when none is
   * configured (then nothing of Redis is loaded). A failure to open is not cached: the next use
   * tries again, and fails closed the same way.
   */
  coordinator(): Promise<Coordinator | null> {
    const p = (this.#fleet ??= import('./fleet.js').then((m) => m.openFleet(this)));
    p.catch(() => {
      if (this.#fleet === p) this.#fleet = undefined;
    });
    return p;
  }

  async close(): Promise<void> {
    const c = await this.#fleet?.catch(() => null);
    await c?.close();
  }
}

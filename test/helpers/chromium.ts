// Debian's chromium, headless, with the DevTools protocol on a loopback port: the browser an
// agent's browser tool would drive. No browser download: /usr/bin/chromium only.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

export function haveChromium(): boolean {
  return existsSync(CHROMIUM) && spawnSync(CHROMIUM, ['--version']).status === 0;
}

export class Chromium {
  readonly #proc: ChildProcess;
  readonly #dir: string;
  readonly endpoint: string;

  private constructor(proc: ChildProcess, dir: string, endpoint: string) {
    this.#proc = proc;
    this.#dir = dir;
    this.endpoint = endpoint;
  }

  static async start(): Promise<Chromium> {
    const dir = mkdtempSync(join(tmpdir(), 'totp-mcp-chromium-'));
    const proc = spawn(
      CHROMIUM,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        `--user-data-dir=${dir}`,
        'about:blank',
      ],
      // Its own process group: closing kills the renderers and helpers too, not just the browser.
      { stdio: 'ignore', detached: true },
    );
    const portFile = join(dir, 'DevToolsActivePort');
    for (let i = 0; i < 400; i++) {
      if (existsSync(portFile)) {
        const port = readFileSync(portFile, 'utf8').split('\n')[0];
        if (port) return new Chromium(proc, dir, `http://127.0.0.1:${port}`);
      }
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    killGroup(proc);
    throw new Error('chromium did not open its DevTools port');
  }

  async close(): Promise<void> {
    const p = this.#proc;
    if (p.exitCode === null && p.signalCode === null)
      await new Promise<void>((resolve) => {
        p.once('exit', () => {
          resolve();
        });
        killGroup(p);
      });
    else killGroup(p);
    rmSync(this.#dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

function killGroup(p: ChildProcess): void {
  try {
    if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
  } catch {
    p.kill('SIGKILL');
  }
}

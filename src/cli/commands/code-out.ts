/**
 * Codes for tools that are not browsers (issue 17), without printing them: `code ID --exec -- CMD`
 * puts the code in CMD's environment (never on its argv, which `ps` shows, nor on our stdout);
 * `code ID --clip` puts it on the clipboard and clears it again.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { withheldFromChildren } from '../../config.js';
import { fail } from '../../core/errors.js';
import type { IssuedCode } from '../../core/model.js';
import { runChild } from '../child.js';
import type { Runtime } from '../runtime.js';

/** Runs `command` with TOTP_CODE and TOTP_EXPIRES_AT set; resolves to its exit code (128+n for a signal). */
export function execWithCode(rt: Runtime, c: IssuedCode, command: readonly string[]): Promise<number> {
  if (command[0] === undefined) return fail('usage', '--exec needs a command: totp-mcp code ID --exec -- CMD ARGS…');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(rt.env.processEnv)) if (v !== undefined && !withheldFromChildren(k)) env[k] = v;
  env['TOTP_CODE'] = c.code.reveal();
  if (c.expires_at !== null) env['TOTP_EXPIRES_AT'] = c.expires_at;
  else Reflect.deleteProperty(env, 'TOTP_EXPIRES_AT');
  return runChild(rt, command, env);
}

/** Signals that end the wait and clear the clipboard at once. */
const CLEAR_ON = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Clipboard tools, first found on PATH wins; each reads the text on stdin (never argv). */
const CLIPBOARDS: readonly { file: string; args: string[]; clear: string[] | null }[] = [
  { file: 'wl-copy', args: [], clear: ['--clear'] },
  { file: 'xclip', args: ['-selection', 'clipboard'], clear: null },
  { file: 'pbcopy', args: [], clear: null },
  { file: 'clip.exe', args: [], clear: null },
];

/** How long a copied code stays on the clipboard at most. */
export const CLIP_SECONDS = 30;

function onPath(rt: Runtime, file: string): string | undefined {
  for (const dir of (rt.env.processEnv['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, file), constants.X_OK);
      return join(dir, file);
    } catch {
      // not here
    }
  }
  return undefined;
}

function pipeTo(path: string, args: readonly string[], text: string): Promise<boolean> {
  return new Promise((resolve) => {
    // xclip forks a child that keeps serving the selection: its stdout/stderr must not be ours.
    const child = spawn(path, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => {
      resolve(false);
    });
    child.on('exit', (code) => {
      resolve(code === 0);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/**
 * Copies the code, then waits in the foreground and clears the clipboard after CLIP_SECONDS or when
 * the code expires, whichever is first (Ctrl-C or SIGTERM clears at once). Waiting rather than a
 * detached child: nothing is left running in the background holding the code, the person sees
 * when it is cleared, and a failed clear is reported instead of lost.
 */
export async function clipCode(rt: Runtime, c: IssuedCode): Promise<void> {
  const tool = CLIPBOARDS.map((t) => ({ ...t, path: onPath(rt, t.file) })).find((t) => t.path !== undefined);
  if (tool?.path === undefined)
    fail('not_found', 'no clipboard tool found', { hint: 'install wl-clipboard (Wayland) or xclip (X11)' });
  if (!(await pipeTo(tool.path, tool.args, c.code.reveal())))
    fail('io', `${tool.file} did not take the code`, { hint: 'is a display (X11 or Wayland) available?' });
  const untilExpiry = c.expires_at === null ? Infinity : Date.parse(c.expires_at) - rt.clock.now();
  const waitMs = Math.max(0, Math.min(CLIP_SECONDS * 1000, untilExpiry));
  rt.io.err(`copied the code of ${c.account} with ${tool.file}; clearing it in ${Math.ceil(waitMs / 1000)} s\n`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, waitMs);
    function finish(): void {
      clearTimeout(timer);
      for (const s of CLEAR_ON) process.off(s, finish);
      resolve();
    }
    for (const s of CLEAR_ON) process.on(s, finish);
  });
  const cleared = await pipeTo(tool.path, tool.clear ?? tool.args, '');
  rt.io.err(cleared ? 'clipboard cleared\n' : `warning: ${tool.file} did not clear the clipboard\n`);
}

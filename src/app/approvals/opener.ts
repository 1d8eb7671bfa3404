/**
 * Showing the person the approval page (issue 14): `$BROWSER` when set (the convention Python's
 * webbrowser, git and others follow: the URL is the last argument, or replaces `%s`), else the
 * platform's opener; and a desktop notification where a notifier is installed. Commands run
 * without a shell, detached, their output discarded: nothing they print reaches the MCP stdout.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface OpenerEnv {
  /** `$BROWSER`. */
  readonly browser: string | undefined;
  /** `$PATH`. */
  readonly path: string | undefined;
  readonly platform: NodeJS.Platform;
}

export interface Command {
  readonly command: string;
  readonly args: readonly string[];
}

function onPath(name: string, path: string | undefined): string | undefined {
  if (isAbsolute(name)) return executable(name) ? name : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const full = join(dir, name);
    if (executable(full)) return full;
  }
  return undefined;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** How a URL would be opened, or null when nothing can open one. */
export function findOpener(env: OpenerEnv): (Command & { readonly source: 'BROWSER' | 'platform' }) | null {
  // $BROWSER may list several commands (os.pathsep-separated, as webbrowser reads it): the first that exists.
  for (const entry of (env.browser ?? '').split(env.platform === 'win32' ? ';' : ':')) {
    const words = entry.trim().split(/\s+/).filter(Boolean);
    const [cmd, ...args] = words;
    if (cmd === undefined) continue;
    const found = onPath(cmd, env.path);
    if (found !== undefined) return { command: found, args, source: 'BROWSER' };
  }
  if (env.platform === 'darwin') {
    const open = onPath('open', env.path);
    return open === undefined ? null : { command: open, args: [], source: 'platform' };
  }
  if (env.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'], source: 'platform' };
  const xdg = onPath('xdg-open', env.path);
  return xdg === undefined ? null : { command: xdg, args: [], source: 'platform' };
}

/** How a desktop notification would be sent, or null. */
export function findNotifier(
  env: OpenerEnv,
): { readonly command: string; readonly kind: 'notify-send' | 'osascript' } | null {
  if (env.platform === 'darwin') {
    const osa = onPath('osascript', env.path);
    return osa === undefined ? null : { command: osa, kind: 'osascript' };
  }
  const ns = onPath('notify-send', env.path);
  return ns === undefined ? null : { command: ns, kind: 'notify-send' };
}

function launch(c: Command): void {
  try {
    const child = spawn(c.command, [...c.args], { detached: true, stdio: 'ignore', shell: false });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Opening is a convenience: the terminal channel and the client still stand.
  }
}

export function openUrl(opener: Command, url: string): void {
  const i = opener.args.indexOf('%s');
  launch({
    command: opener.command,
    args: i >= 0 ? opener.args.map((a) => (a === '%s' ? url : a)) : [...opener.args, url],
  });
}

/** A notification with a fixed title; the body names the agent and account only (never a secret). */
export function notify(n: NonNullable<ReturnType<typeof findNotifier>>, body: string): void {
  const title = 'totp-mcp: approval needed';
  if (n.kind === 'osascript') {
    const q = (s: string): string => `"${s.replace(/[\\"]/g, '')}"`;
    launch({ command: n.command, args: ['-e', `display notification ${q(body)} with title ${q(title)}`] });
  } else launch({ command: n.command, args: ['--app-name=totp-mcp', title, body] });
}

/** `doctor`'s lines on the browser channel: whether a page can be opened and a notification sent. */
export function openerChecks(env: OpenerEnv): { name: string; level: 'ok'; detail: string }[] {
  const o = findOpener(env);
  const n = findNotifier(env);
  return [
    {
      name: 'approvals',
      level: 'ok',
      detail:
        o === null
          ? "no browser opener found ($BROWSER, xdg-open, open): the approval page reaches only clients with URL-mode elicitation; 'totp-mcp approvals' still works"
          : `approval pages open with ${o.source === 'BROWSER' ? '$BROWSER' : 'the platform opener'} (${o.command})`,
    },
    {
      name: 'notifier',
      level: 'ok',
      detail:
        n === null ? 'no desktop notifier found (notify-send, osascript)' : `desktop notifications via ${n.command}`,
    },
  ];
}

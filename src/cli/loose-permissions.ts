/**
 * One line on stderr, before any command, when the home folder or identity.txt can be read by group
 * or others: `doctor` says it too, but people rarely run doctor, and a readable identity.txt is the
 * vault's key. Only modes are looked at (no file is opened); nothing here ever fails a command.
 */
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';

const mode = (m: number): string => (m & 0o777).toString(8).padStart(4, '0');

export async function loosePermissionWarning(home: string): Promise<string | null> {
  if (process.platform === 'win32') return null;
  const found: string[] = [];
  const fixes: string[] = [];
  // The home may be a link the owner made to a folder: its target's mode is what counts.
  const h = await stat(home).catch(() => null);
  if (h?.isDirectory() && (h.mode & 0o077) !== 0) {
    found.push(`${home} has mode ${mode(h.mode)}`);
    fixes.push(`chmod 700 ${home}`);
  }
  const idPath = join(home, 'identity.txt');
  const i = await lstat(idPath).catch(() => null);
  if (i?.isFile() && (i.mode & 0o077) !== 0) {
    found.push(`${idPath} has mode ${mode(i.mode)}`);
    fixes.push(`chmod 600 ${idPath}`);
  }
  if (found.length === 0) return null;
  return `totp-mcp: warning: ${found.join(' and ')}: group or others have access (${fixes.join('; ')})\n`;
}

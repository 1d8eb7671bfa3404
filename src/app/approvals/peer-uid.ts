/**
 * Who is on the other end of a loopback connection (Linux): the uid the kernel lists for the
 * client's own socket in /proc/net/tcp{,6}. The approval page's URL passes through a command line
 * (`$BROWSER URL`, xdg-open), which other local users can read in /proc while it runs; the page
 * therefore answers only connections made by the user the server runs as.
 */
import { readFileSync } from 'node:fs';

const hexPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');

/**
 * The uid owning the client socket `clientPort` → `serverPort`; `undefined` when it cannot be
 * told (no /proc: not Linux), `null` when /proc has no such connection.
 */
export function peerUid(clientPort: number, serverPort: number): number | null | undefined {
  let found: number | null | undefined;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    found ??= null;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      const remote = f[2];
      const uid = f[7];
      if (local === undefined || remote === undefined || uid === undefined) continue;
      if (local.endsWith(`:${hexPort(clientPort)}`) && remote.endsWith(`:${hexPort(serverPort)}`)) return Number(uid);
    }
  }
  return found;
}

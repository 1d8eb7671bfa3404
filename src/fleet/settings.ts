/**
 * Where the fleet coordinator is: `--coordinator URL`, else `TOTP_MCP_COORDINATOR`, else
 * `coordinator:` in `<home>/config.yaml` (with `coordinator_password_file:` for a password kept
 * out of the URL). None of them: null, and the local files serve as before (nothing of Redis is
 * loaded).
 */
import { join, resolve, dirname } from 'node:path';
import { parse } from 'yaml';
import { TotpMcpError } from '../core/errors.js';
import { readOrNull } from '../core/fs.js';
import { checkCoordinatorUrl, type CoordinatorSettings } from './coordinator.js';

const configError = (message: string): TotpMcpError =>
  new TotpMcpError('invalid', `config.yaml: ${message}`, {
    hint: 'coordinator: redis://host:6379/0, and optionally coordinator_password_file: /path/to/file',
  });

async function readPasswordFile(path: string): Promise<string> {
  const raw = await readOrNull(path, { link: 'follow' });
  if (raw === null)
    throw new TotpMcpError('invalid', `the coordinator password file ${path} does not exist`, {
      hint: 'coordinator_password_file names a file whose first line is the password',
    });
  const first = raw.toString('utf8').split(/\r?\n/)[0] ?? '';
  if (first === '') throw new TotpMcpError('invalid', `the coordinator password file ${path} is empty`);
  return first;
}

export async function coordinatorSettings(
  home: string,
  flag: string | undefined,
  env: string | undefined,
): Promise<CoordinatorSettings | null> {
  const configPath = join(home, 'config.yaml');
  const raw = await readOrNull(configPath, { link: 'refuse' });
  let fromFile: { url?: string; passwordFile?: string } = {};
  if (raw !== null) {
    let doc: unknown;
    try {
      doc = parse(raw.toString('utf8'));
    } catch {
      throw configError('not valid YAML');
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw configError('expected a mapping');
      const m = doc as Record<string, unknown>;
      const url = m['coordinator'];
      const pf = m['coordinator_password_file'];
      if (url !== undefined && typeof url !== 'string') throw configError('coordinator must be a URL string');
      if (pf !== undefined && typeof pf !== 'string') throw configError('coordinator_password_file must be a path');
      fromFile = { ...(url !== undefined && { url }), ...(pf !== undefined && { passwordFile: pf }) };
    }
  }
  const url = flag ?? env ?? fromFile.url;
  if (url === undefined || url === '') return null;
  checkCoordinatorUrl(url);
  const hasPassword = new URL(url).password !== '';
  if (fromFile.passwordFile !== undefined && !hasPassword) {
    const path = resolve(dirname(configPath), fromFile.passwordFile);
    return { url, password: await readPasswordFile(path) };
  }
  return { url };
}

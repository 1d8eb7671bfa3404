import { initHome } from '../../app/home.js';
import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

export async function runInit(
  rt: Runtime,
  o: { passphrase?: boolean; passphraseOnly?: boolean; workFactor?: string },
): Promise<void> {
  const workFactor = o.workFactor === undefined ? undefined : Number(o.workFactor);
  if (workFactor !== undefined && !(Number.isInteger(workFactor) && workFactor >= 10 && workFactor <= 20)) {
    fail('usage', '--work-factor must be an integer from 10 to 20');
  }
  const identityFile = rt.identityFile;
  if (identityFile !== undefined && (o.passphrase || o.passphraseOnly)) {
    fail(
      'usage',
      '--identity copies an existing identity: it cannot be combined with --passphrase or --passphrase-only',
    );
  }
  const mode =
    identityFile !== undefined
      ? ({ kind: 'identity-file', file: identityFile } as const)
      : o.passphraseOnly
        ? ({ kind: 'passphrase' } as const)
        : o.passphrase
          ? ({ kind: 'passphrase-identity' } as const)
          : ({ kind: 'identity' } as const);
  const result = await initHome(rt.home, mode, {
    passphrase: rt.passphrase(true),
    clock: rt.clock,
    ...(workFactor !== undefined && { workFactor }),
  });
  const lines = [`created ${rt.home}`];
  if (result.recipient) lines.push(`public key (recipient): ${result.recipient}`);
  if (mode.kind === 'identity') {
    lines.push(
      'the identity is in identity.txt (mode 0600). Anyone who can read it can read the vault:',
      'consider `totp-mcp init --passphrase` instead, and keep an offline copy of the identity.',
    );
  }
  lines.push(`next: totp-mcp add <id> --uri -    (paste an otpauth:// URI, then Ctrl-D)`);
  rt.io.out(lines.join('\n') + '\n');
}

import { join } from 'node:path';

/** Where everything of one totp-mcp home lives. The caller decides the home folder. */
export interface HomePaths {
  home: string;
  vault: string;
  identityTxt: string;
  identityAge: string;
  recipients: string;
  policy: string;
  state: string;
  backups: string;
  lock: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    vault: join(home, 'vault.age'),
    identityTxt: join(home, 'identity.txt'),
    identityAge: join(home, 'identity.age'),
    recipients: join(home, 'recipients.txt'),
    policy: join(home, 'policy.yaml'),
    state: join(home, 'state'),
    backups: join(home, 'backups'),
    lock: join(home, 'vault.lock'),
  };
}

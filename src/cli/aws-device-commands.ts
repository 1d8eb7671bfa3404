/**
 * The `aws enroll / resync / devices / retire` commands (issue 16): their options here, their
 * work in commands/aws-<name>.ts, loaded only when one runs.
 */
import type { Command } from 'commander';
import type { Runtime } from './runtime.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addAwsDeviceCommands(aws: Command, rt: () => Promise<Runtime>): void {
  aws
    .command('enroll <id>')
    .description(
      'create a virtual MFA device in IAM for --user, keep its seed in a new account ID (never shown), and enable it with two consecutive codes',
    )
    .requiredOption('--user <name>', 'the IAM user who owns the device (the keys must be this user’s)')
    .option('--device-name <name>', 'the virtual device’s name (default: totp-mcp-ID)')
    .option('--source <source>', 'long-term keys: vault, profile:NAME or default (default chain)')
    .option('--access-key-id <id>', 'with --source vault: the access key id (the secret is read hidden, or from stdin)')
    .option('--region <region>', 'region for STS calls with this device')
    .option('--role <spec>', 'NAME=ARN[,duration=1h][,max_duration=12h]… (repeatable)', collect)
    .option('--show-qr', 'also show the seed as a QR code on this terminal, for a backup phone app (asks first)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, o: import('./commands/aws-enroll.js').Options) => {
      await (await import('./commands/aws-enroll.js')).runCli(await rt(), id, o);
    });
  aws
    .command('resync <id>')
    .description('resynchronise the account’s MFA device in IAM (ResyncMFADevice) with two consecutive codes')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, o: import('./commands/aws-resync.js').Options) => {
      await (await import('./commands/aws-resync.js')).runCli(await rt(), id, o);
    });
  aws
    .command('devices <id>')
    .description('list the IAM user’s MFA devices, which one this vault holds, and the slots left (8 per user)')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: import('./commands/aws-devices.js').Options) => {
      await (await import('./commands/aws-devices.js')).runCli(await rt(), id, o);
    });
  aws
    .command('retire <id>')
    .description('deactivate and delete the account’s virtual MFA device in IAM, then remove the account')
    .option('--keep-account', 'keep the TOTP account, drop only its aws block')
    .option('-y, --yes', 'do not ask (required off a terminal)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, o: import('./commands/aws-retire.js').Options) => {
      await (await import('./commands/aws-retire.js')).runCli(await rt(), id, o);
    });
}

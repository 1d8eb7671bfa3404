/**
 * The command surface (a contract: tests and the README depend on it). Each command's work lives
 * in `commands/<name>.ts` and is loaded only when that command runs, so `totp-mcp code` pays for
 * nothing else.
 */
import { Argument } from 'commander';
import { addCommand } from './commands/add.js';
import { auditResetCommand } from './commands/audit/reset.js';
import { auditStatsCommand } from './commands/audit/stats.js';
import { auditTailCommand } from './commands/audit/tail.js';
import { auditVerifyCommand } from './commands/audit/verify.js';
import { doctorCommand } from './commands/doctor.js';
import { policyApplyCommand } from './commands/policy/apply.js';
import { policyCheckCommand } from './commands/policy/check.js';
import { policyExplainCommand } from './commands/policy/explain.js';
import { policyInitCommand } from './commands/policy/init.js';
import { acceptRollbackCommand } from './commands/vault/accept-rollback.js';
import { editCommand } from './commands/edit.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { listCommand } from './commands/list.js';
import { mcpConfigCommand } from './commands/mcp-config.js';
import { recipientsAddCommand } from './commands/recipients/add.js';
import { recipientsListCommand } from './commands/recipients/list.js';
import { recipientsRemoveCommand } from './commands/recipients/remove.js';
import { renameCommand } from './commands/rename.js';
import { restoreCommand } from './commands/restore.js';
import { rmCommand } from './commands/rm.js';
import { tagCommand } from './commands/tag.js';
import type { EnvConfig } from '../config.js';
import { processIo, type Io } from './io.js';
import { loosePermissionWarning } from './loose-permissions.js';
import { addAwsDeviceCommands } from './aws-device-commands.js';
import { addServeCommand, createCli } from './program.js';
import { register, terminalPrompter, type Deps, type ParseSeam } from './unit.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `seam.parsed`: tests read what a command parsed instead of running it (see unit.ts). */
export function main(
  argv: readonly string[],
  env: EnvConfig,
  io: Io = processIo(env.noColor),
  seam: ParseSeam = {},
): Promise<number> {
  const cli = createCli(env, io);
  const { program, rt } = cli;
  const deps = async (): Promise<Deps> => {
    const r = await rt();
    return { rt: r, prompter: terminalPrompter, clock: r.clock };
  };

  // Loose modes on the home or identity.txt are said on every command, on stderr only. Not for
  // `serve` (its stderr stays quiet without --debug), doctor (it says so itself) nor completion.
  program.hook('preAction', async (_program, action) => {
    if (seam.parsed || ['serve', 'doctor', 'completion', '__complete-ids'].includes(action.name())) return;
    const line = await loosePermissionWarning((await rt()).home);
    if (line !== null) io.err(line);
  });

  register(program, initCommand, deps, seam);
  register(program, addCommand, deps, seam);
  register(program, listCommand, deps, seam);

  program
    .command('code [ids...]')
    .description('print the current code (on a terminal, live until Ctrl-C); several ids or --all: a table')
    .option('--json', 'JSON: {account, code, step, expires_at, remaining_seconds}')
    .option('--at <time>', 'the code at TIME: ISO 8601 or Unix seconds (TOTP and Steam only)')
    .option(
      '--agent <name>',
      'act as this agent: policy-checked and audited, exit 3 when denied (default: $TOTP_MCP_AGENT)',
    )
    .option(
      '--watch',
      'show each new code as it comes, until Ctrl-C (the default on a terminal; one line per code off one)',
    )
    .option('--min-remaining <s>', 'wait (at most one step) for a code with at least this many seconds left')
    .option('--fresh', 'the same as --min-remaining 5')
    .option('--all', 'a table of every account (HOTP counters are not advanced unless named)')
    .option('--tag <tag>', 'with --all: only accounts with this tag')
    .action(async (ids: string[], o: import('./commands/code.js').CodesOptions) => {
      const { runCodes } = await import('./commands/code.js');
      await runCodes(await rt(), ids, o);
    });

  register(program, rmCommand, deps, seam);
  register(program, renameCommand, deps, seam);
  register(program, editCommand, deps, seam);
  register(program, tagCommand, deps, seam);
  register(program, importCommand, deps, seam);
  register(program, exportCommand, deps, seam);

  // --- aws: owned by the AWS work (src/cli/commands/aws.ts) ---
  const aws = program
    .command('aws')
    .description('AWS MFA sessions: the MFA code is computed from the vault, never typed');
  aws
    .command('setup <id>')
    .description('attach an AWS block to a 6-digit TOTP account: MFA device, where the long-term keys come from, roles')
    .requiredOption(
      '--mfa-serial <arn>',
      'the MFA device ARN (arn:aws:iam::123456789012:mfa/name) or a hardware token serial',
    )
    .option('--region <region>', 'region: STS calls go to its regional endpoint')
    .option(
      '--source <source>',
      'long-term keys: vault, profile:NAME or default (default chain; kept when omitted on an update)',
    )
    .option(
      '--access-key-id <id>',
      'with --source vault: the access key id (the secret is then read hidden, or from stdin; never from an argument)',
    )
    .option(
      '--role <spec>',
      'NAME=ARN[,duration=1h][,max_duration=12h][,external_id=X][,source_identity=off] (repeatable; added to the existing roles)',
      collect,
    )
    .option('--session-duration <d>', 'GetSessionToken duration: 15m to 36h (root: 1h) (default 12h)')
    .option('--root', 'the MFA device is the root user’s (GetSessionToken lasts at most 1h)')
    .option('--json', 'print the stored block (secrets as [redacted]) as JSON')
    .action(async (id: string, o: import('./commands/aws.js').SetupOptions) => {
      const { runAwsSetup } = await import('./commands/aws.js');
      await runAwsSetup(await rt(), id, o);
    });
  aws
    .command('credential-process')
    .description(
      'print credentials as credential_process JSON (Version 1) for ~/.aws/config; one line on stderr on failure',
    )
    .requiredOption('--account <id>', 'the account')
    .option('--role <name>', 'a named role of the account')
    .option('--agent <name>', 'policy-check and audit as this agent (default: $TOTP_MCP_AGENT)')
    .option(
      '--duration <d>',
      'session duration, e.g. 1h (default: the role’s, else the MFA session’s; never over the policy cap)',
    )
    .option('--explain', 'print the plan (which STS calls, and why) instead of credentials')
    .action(async (o: import('./commands/aws.js').CredentialProcessOptions) => {
      const { runCredentialProcess } = await import('./commands/aws.js');
      await runCredentialProcess(await rt(), o);
    });
  aws
    .command('exec <id> [command...]')
    .description(
      'run a command with AWS credentials in its environment (aws-vault style): totp-mcp aws exec ID -- CMD ARGS…',
    )
    .option('--role <name>', 'a named role of the account')
    .option(
      '--agent <name>',
      'policy-check and audit as this agent (default: $TOTP_MCP_AGENT; without one, as the owner)',
    )
    .option('--duration <d>', 'session duration, e.g. 1h')
    .option('--explain', 'print the plan instead of running')
    .action(async (id: string, command: string[], o: import('./commands/aws.js').ExecOptions) => {
      const { runAwsExec } = await import('./commands/aws.js');
      await runAwsExec(await rt(), id, command, o);
    });
  aws
    .command('serve-credentials <id> [command...]')
    .description(
      'a loopback container-credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) for runs longer than one session; with -- CMD, runs it against the endpoint',
    )
    .option('--role <name>', 'a named role of the account')
    .option('--agent <name>', 'policy-check and audit as this agent (default: $TOTP_MCP_AGENT)')
    .option('--duration <d>', 'session duration, e.g. 1h')
    .option('--port <port>', 'port on 127.0.0.1 (default: any free port)')
    .option('--lifetime <d>', 'stop after this long (default 12h, at most 168h)')
    .option(
      '--format <f>',
      'without a command, how the endpoint variables are printed: export (default: eval "$(…)"), env (KEY=VALUE lines) or json',
    )
    .action(async (id: string, command: string[], o: import('./commands/aws.js').ServeCredentialsOptions) => {
      const { runServeCredentials } = await import('./commands/aws.js');
      await runServeCredentials(await rt(), id, o, command);
    });
  addAwsDeviceCommands(aws, rt);
  // --- end aws ---

  const recipients = program
    .command('recipients')
    .description('manage who the vault is encrypted to (age1… public keys); every change re-encrypts');
  register(recipients, recipientsListCommand, deps, seam);
  register(recipients, recipientsAddCommand, deps, seam);
  register(recipients, recipientsRemoveCommand, deps, seam);

  addServeCommand(cli);

  register(program, mcpConfigCommand, deps, seam);

  const policy = program
    .command('policy')
    .description('per-agent policy: policy.yaml in the home, pinned into the vault by apply');
  register(policy, policyInitCommand, deps, seam);
  register(policy, policyCheckCommand, deps, seam);
  register(policy, policyApplyCommand, deps, seam);
  register(policy, policyExplainCommand, deps, seam);

  const audit = program.command('audit').description('the MAC-chained audit log in <home>/state');
  register(audit, auditVerifyCommand, deps, seam);
  register(audit, auditTailCommand, deps, seam);
  register(audit, auditStatsCommand, deps, seam);
  register(audit, auditResetCommand, deps, seam);

  const vault = program.command('vault').description('the vault file itself');
  register(vault, acceptRollbackCommand, deps, seam);

  register(program, restoreCommand, deps, seam);

  register(program, doctorCommand, deps, seam);

  // Issue 14: the terminal approval channel (commands/approvals.ts).
  program
    .command('approvals [verb] [id]')
    .description('list the open approval requests; approve ID [--for TTL] or deny ID answers one')
    .option('--json', 'machine-readable output')
    .option('--for <ttl>', "approve: remember the approval this long (at most the rule's approval_ttl)")
    .action(async (verb: string | undefined, id: string | undefined, o: { json?: boolean; for?: string }) => {
      const { runApprovals } = await import('./commands/approvals.js');
      await runApprovals(await rt(), { verb, id, ...o });
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(totp-mcp completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      const { runCompletion } = await import('./commands/completion.js');
      runCompletion(await rt(), shell, program);
    });
  program
    .command('__complete-ids', { hidden: true })
    .description('account ids, one per line, for shell completion')
    .action(async () => {
      const { runCompleteIds } = await import('./commands/completion.js');
      await runCompleteIds(await rt());
    });

  return cli.run(argv);
}

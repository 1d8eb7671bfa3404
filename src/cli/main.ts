/**
 * The command surface (a contract: tests and the README depend on it). Each command's work lives
 * in `commands/<name>.ts` and is loaded only when that command runs, so `totp-mcp code` pays for
 * nothing else.
 */
import { Argument, Option } from 'commander';
import type { EnvConfig } from '../config.js';
import { ACTIONS } from '../core/vocab.js';
import { processIo, type Io } from './io.js';
import { loosePermissionWarning } from './loose-permissions.js';
import { counterFlag, digitsFlag, periodFlag } from './number-flags.js';
import { addAwsDeviceCommands } from './aws-device-commands.js';
import { addServeCommand, createCli } from './program.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function main(argv: readonly string[], env: EnvConfig, io: Io = processIo(env.noColor)): Promise<number> {
  const cli = createCli(env, io);
  const { program, rt } = cli;

  // Loose modes on the home or identity.txt are said on every command, on stderr only. Not for
  // `serve` (its stderr stays quiet without --debug), doctor (it says so itself) nor completion.
  program.hook('preAction', async (_program, action) => {
    if (['serve', 'doctor', 'completion', '__complete-ids'].includes(action.name())) return;
    const line = await loosePermissionWarning((await rt()).home);
    if (line !== null) io.err(line);
  });

  program
    .command('init')
    .description('create the home folder, an identity (0600) and an empty vault')
    .addOption(
      new Option('--passphrase', 'protect the new identity with a passphrase (identity.age)').conflicts(
        'passphraseOnly',
      ),
    )
    .option('--passphrase-only', 'no identity: encrypt the vault itself with a passphrase')
    .option('--work-factor <logN>', 'scrypt work factor for passphrases (10-20; default 18)')
    .addHelpText(
      'after',
      '\nWith the global --identity FILE, that existing age identity is copied into the home instead of a new one.',
    )
    .action(async (o: { passphrase?: boolean; passphraseOnly?: boolean; workFactor?: string }) => {
      const { runInit } = await import('./commands/init.js');
      await runInit(await rt(), o);
    });

  program
    .command('add <id>')
    .description('add an account from an otpauth:// URI or a base32 secret (typed hidden, or piped)')
    .option('--uri <uri>', "otpauth:// or steam:// URI; '-' reads it from stdin (keeps it out of ps and shell history)")
    .option('--secret-stdin', 'read the base32 secret from stdin (hidden prompt on a terminal)')
    .option('--issuer <s>', 'issuer, e.g. GitHub')
    .option('--label <s>', 'account label, e.g. alice@example.com')
    .addOption(new Option('--type <type>', 'totp, hotp or steam').choices(['totp', 'hotp', 'steam']))
    .addOption(new Option('--algorithm <alg>', 'HMAC algorithm').choices(['SHA1', 'SHA256', 'SHA512']))
    .option('--digits <n>', 'code length, 6-10 (default 6)', digitsFlag)
    .option('--period <s>', 'TOTP period in seconds (default 30)', periodFlag)
    .option('--counter <n>', 'HOTP initial counter (default 0)', counterFlag)
    .option('--tag <tag>', 'tag the account (repeatable)', collect)
    .action(async (id: string, o: import('./commands/accounts.js').AddOptions) => {
      const { runAdd } = await import('./commands/accounts.js');
      await runAdd(await rt(), id, o);
    });

  program
    .command('list')
    .description('list accounts (never shows a secret)')
    .option('--tag <tag>', 'only accounts with this tag')
    .option(
      '--json',
      'JSON: [{id, issuer, label, type, algorithm, digits, period (TOTP, Steam) or counter (HOTP), tags, aws}]',
    )
    .action(async (o: { tag?: string; json?: boolean }) => {
      const { runList } = await import('./commands/accounts.js');
      await runList(await rt(), o);
    });

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

  program
    .command('rm <id>')
    .description('remove an account (asks first on a terminal)')
    .option('-y, --yes', 'do not ask')
    .action(async (id: string, o: { yes?: boolean }) => {
      const { runRemove } = await import('./commands/accounts.js');
      await runRemove(await rt(), id, o);
    });

  program
    .command('rename <old> <new>')
    .description('change an account id')
    .action(async (from: string, to: string) => {
      const { runRename } = await import('./commands/accounts.js');
      await runRename(await rt(), from, to);
    });

  program
    .command('edit <id>')
    .description('change an account in place (keeps its id, secret, tags and AWS settings)')
    .option('--issuer <s>', 'issuer')
    .option('--label <s>', 'account label')
    .option('--digits <n>', 'code length, 6-10', digitsFlag)
    .option('--period <s>', 'TOTP period in seconds', periodFlag)
    .addOption(new Option('--algorithm <alg>', 'HMAC algorithm').choices(['SHA1', 'SHA256', 'SHA512']))
    .option('--counter <n>', 'HOTP counter (moving it back needs --force)', counterFlag)
    .option('--force', 'allow moving an HOTP counter back')
    .action(async (id: string, o: import('./commands/edit.js').EditOptions) => {
      const { runEdit } = await import('./commands/edit.js');
      await runEdit(await rt(), id, o);
    });

  program
    .command('tag <id> [changes...]')
    .description('show tags, or change them: +T adds, -T removes')
    .allowUnknownOption()
    .helpOption('-h, --help')
    .action(async (id: string, changes: string[]) => {
      const { runTag } = await import('./commands/accounts.js');
      await runTag(await rt(), id, changes);
    });

  program
    .command('import <source>')
    .description("import accounts from an authenticator app's export, a QR image, or otpauth:// URIs ('-' reads stdin)")
    .addOption(
      new Option('--format <format>', 'the format (default: detected from the content)')
        .choices(['auto', 'uri-list', 'google', 'aegis', '2fas', 'andotp', 'bitwarden', 'raivo', 'qr'])
        .default('auto'),
    )
    .option('--password-stdin', 'read the export password from stdin (else a hidden prompt)')
    .option('--tag <tag>', 'tag every imported account (repeatable)', collect)
    .option('--dry-run', 'show what would happen; write nothing')
    .addOption(
      new Option('--on-conflict <what>', 'same secret, or same issuer and label, as an existing account')
        .choices(['skip', 'rename', 'replace'])
        .default('skip'),
    )
    .action(async (source: string, o: import('./commands/import.js').ImportOptions) => {
      const { runImport } = await import('./commands/import.js');
      await runImport(await rt(), source, o);
    });

  program
    .command('export')
    .description(
      'export secrets: otpauth:// URIs, QR codes for a phone, Google Authenticator migration QR codes, an Aegis file, or an age backup (warns, and asks on a terminal)',
    )
    .option('--uri', 'one otpauth:// URI per line')
    .option('--qr <id>', 'a QR code in the terminal for a phone to scan')
    .option('--png <file>', 'with --qr: write the QR code to a PNG file (0600) instead')
    .option('--svg <file>', 'with --qr: write the QR code to an SVG file (0600) instead')
    .option('--force', 'overwrite an existing output file')
    .option('--google', 'Google Authenticator migration QR codes (batched as the app does)')
    .option(
      '--aegis <file>',
      'an Aegis-compatible JSON export (plain, or encrypted with --password-stdin / a prompt when --encrypt)',
    )
    .option('--encrypt', 'with --aegis: encrypt the export with a password')
    .option('--password-stdin', 'read the export password from stdin')
    .option('--backup <file>', 'an age-encrypted backup of the whole vault')
    .option(
      '--recipient <age1…>',
      'with --backup: encrypt to this recipient (repeatable; default: a passphrase)',
      collect,
    )
    .option('-y, --yes', 'do not ask')
    .argument('[ids...]', 'accounts to export (default: all)')
    .action(async (ids: string[], o: import('./commands/export.js').ExportOptions) => {
      const { runExport } = await import('./commands/export.js');
      await runExport(await rt(), ids, o);
    });

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
  recipients
    .command('list')
    .description('list the recipients')
    .action(async () => {
      const { runRecipients } = await import('./commands/recipients.js');
      await runRecipients(await rt(), 'list', []);
    });
  recipients
    .command('add <recipient...>')
    .description('add recipients (a teammate, a CI runner, an offline recovery key) and re-encrypt')
    .action(async (r: string[]) => {
      const { runRecipients } = await import('./commands/recipients.js');
      await runRecipients(await rt(), 'add', r);
    });
  recipients
    .command('remove <recipient...>')
    .description('remove recipients and re-encrypt (rotate the seeds they saw: old copies stay readable to them)')
    .action(async (r: string[]) => {
      const { runRecipients } = await import('./commands/recipients.js');
      await runRecipients(await rt(), 'remove', r);
    });

  addServeCommand(cli);

  program
    .command('mcp-config')
    .description('print the config snippet that adds this server to an MCP client')
    .addOption(
      new Option('--client <client>', 'the MCP client')
        .choices(['claude-desktop', 'claude-code', 'cursor', 'vscode', 'codex'])
        .makeOptionMandatory(),
    )
    .requiredOption('--agent <name>', 'the agent name the client will be served as')
    .option('--format <format>', 'claude-code: command (default) or json (for .mcp.json)')
    .action(async (o: { client: string; agent: string; format?: string }) => {
      const { runMcpConfig } = await import('./commands/mcp-config.js');
      await runMcpConfig(await rt(), o);
    });

  const policy = program
    .command('policy')
    .description('per-agent policy: policy.yaml in the home, pinned into the vault by apply');
  policy
    .command('init')
    .description('write a commented starter policy.yaml (denies everything until you allow it)')
    .action(async () => {
      const { runPolicyInit } = await import('./commands/policy.js');
      await runPolicyInit(await rt());
    });
  policy
    .command('check')
    .description(
      'validate policy.yaml and lint it: shadowed or unreachable rules, unused agents, selectors matching no account',
    )
    .action(async () => {
      const { runPolicyCheck } = await import('./commands/policy.js');
      await runPolicyCheck(await rt());
    });
  policy
    .command('apply')
    .description(
      'validate policy.yaml and pin its SHA-256 in the vault; until then, and after any unapplied edit, agents are denied',
    )
    .action(async () => {
      const { runPolicyApply } = await import('./commands/policy.js');
      await runPolicyApply(await rt());
    });
  policy
    .command('explain')
    .description('the decision an agent would get, the deciding rule and its conditions (exit 3 on deny)')
    .requiredOption('--agent <name>', 'the agent')
    .requiredOption('--account <id>', 'the account')
    .addOption(new Option('--action <action>', 'what it asks for').choices(ACTIONS).default('code'))
    .option('--at <time>', 'at TIME: ISO 8601 or Unix seconds (default: now)')
    .option('--role <name>', 'aws_session: the role')
    .option('--duration <seconds>', 'aws_session: the duration')
    .option('--delivery <how>', 'aws_session: credential_process, profile, exec, container or inline')
    .option('--json', 'the explanation as JSON')
    .action(async (o: import('./commands/policy.js').ExplainOptions) => {
      const { runPolicyExplain } = await import('./commands/policy.js');
      await runPolicyExplain(await rt(), o);
    });

  const audit = program.command('audit').description('the MAC-chained audit log in <home>/state');
  audit
    .command('verify')
    .description('check every MAC, the sequence and the head record; names the first bad line (exit 1)')
    .option('--json', 'the report as JSON')
    .action(async (o: { json?: boolean }) => {
      const { runAuditVerify } = await import('./commands/audit.js');
      await runAuditVerify(await rt(), o);
    });
  audit
    .command('tail')
    .description('the last events')
    .option('-n, --lines <n>', 'how many (default 20)')
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .option('--json', 'one JSON event per line')
    .action(async (o: { lines?: string; follow?: boolean; json?: boolean }) => {
      const { runAuditTail } = await import('./commands/audit.js');
      await runAuditTail(await rt(), o);
    });
  audit
    .command('stats')
    .description('events per agent, account, decision and deny reason')
    .option('--since <when>', 'only events since: 24h, 7d, ISO 8601 or Unix seconds')
    .option('--json', 'as JSON')
    .action(async (o: { since?: string; json?: boolean }) => {
      const { runAuditStats } = await import('./commands/audit.js');
      await runAuditStats(await rt(), o);
    });

  audit
    .command('reset')
    .description(
      'after a broken trail (cut, wiped or forged): start a new chain whose first event records the break and your reason',
    )
    .requiredOption('--reason <text>', 'why (recorded in the new chain’s first event)')
    .option('--json', 'the result as JSON')
    .action(async (o: { reason: string; json?: boolean }) => {
      const { runAuditReset } = await import('./commands/trail.js');
      await runAuditReset(await rt(), o);
    });

  const vault = program.command('vault').description('the vault file itself');
  vault
    .command('accept-rollback')
    .description(
      'keep a vault older than its audit trail has seen (restored from a backup on purpose); recorded in the audit log',
    )
    .option('--json', 'the result as JSON')
    .action(async (o: { json?: boolean }) => {
      const { runAcceptRollback } = await import('./commands/trail.js');
      await runAcceptRollback(await rt(), o);
    });

  program
    .command('restore [generation]')
    .description(
      'list the vault generations kept in backups/ (generation, time, number of accounts), or put one back (the current vault is kept as a backup first; audited)',
    )
    .option('-y, --yes', 'do not ask (required off a terminal)')
    .option(
      '--accept-rollback',
      'restore a generation older than the audit trail has seen, and accept it as `vault accept-rollback` does',
    )
    .option('--json', 'the list or the result as JSON')
    .action(async (generation: string | undefined, o: import('./commands/restore.js').RestoreOptions) => {
      const { runRestore } = await import('./commands/restore.js');
      await runRestore(await rt(), generation, o);
    });

  program
    .command('doctor')
    .description('check permissions, identity, vault, policy and versions; exits non-zero on a problem')
    .action(async () => {
      const { runDoctor } = await import('./commands/doctor.js');
      await runDoctor(await rt());
    });

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

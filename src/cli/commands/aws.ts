/**
 * `totp-mcp aws …`: setup, credential-process, exec, serve-credentials. The MFA code is computed
 * from the vault; a person never types it.
 */
import { runChild } from '../child.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentService, RequestContext } from '../../app/agent.js';
import {
  EXEC_MARKER,
  agentAwsSession,
  awsSetup,
  containerEnv,
  containerJson,
  credentialProcessJson,
  execEnv,
  explainAwsSession,
  isoSeconds,
  ownerAwsSession,
  regionFor,
  type AwsDeps,
  type AwsRequest,
  type MintedSession,
} from '../../app/aws.js';
import { checkDuration, formatDuration } from '../../core/duration.js';
import { fail, isTotpMcpError } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { VERSION } from '../../version.js';
import { json, printable } from '../format.js';
import type { Runtime } from '../runtime.js';

/** `aws setup`'s options, as commander parses them. */
export interface SetupOptions {
  mfaSerial?: string | undefined;
  region?: string | undefined;
  source?: string | undefined;
  accessKeyId?: string | undefined;
  role?: string[] | undefined;
  sessionDuration?: string | undefined;
  root?: boolean | undefined;
  json?: boolean | undefined;
}

/** The options shared by credential-process, exec and serve-credentials. */
interface SessionOptions {
  role?: string | undefined;
  agent?: string | undefined;
  duration?: string | undefined;
  explain?: boolean | undefined;
}

export interface CredentialProcessOptions extends SessionOptions {
  account?: string | undefined;
}

export type ExecOptions = SessionOptions;

export interface ServeCredentialsOptions extends SessionOptions {
  port?: string | undefined;
  lifetime?: string | undefined;
  format?: string | undefined;
}

const client = (name: string): RequestContext['client'] => ({ name, version: VERSION });

function durationOf(o: SessionOptions): number | undefined {
  if (o.duration === undefined) return undefined;
  // The range is AWS's, checked with its reason once the role is known (aws/planner.ts).
  return checkDuration(o.duration, '--duration', { bare: true });
}

async function readSecret(rt: Runtime, keyId: string): Promise<Redacted> {
  if (rt.io.interactive) {
    const { promptSecret } = await import('../prompt.js');
    return promptSecret(`AWS secret access key for ${keyId.slice(0, 4)}…${keyId.slice(-4)}:`);
  }
  const text = (await rt.io.readStdin()).trim();
  if (text === '')
    fail('usage', 'no secret access key on stdin', {
      hint: 'pipe it in (never pass it as an argument), or run in a terminal to type it hidden',
    });
  return new Redacted(text);
}

export async function runAwsSetup(rt: Runtime, id: string, o: SetupOptions): Promise<void> {
  if (o.mfaSerial === undefined) fail('usage', '--mfa-serial is required');
  const r = await awsSetup(rt.ctx, id, {
    mfaSerial: o.mfaSerial,
    region: o.region,
    source: o.source,
    accessKeyId: o.accessKeyId,
    readSecret: () => readSecret(rt, o.accessKeyId ?? ''),
    roles: o.role,
    sessionDuration: o.sessionDuration,
    root: o.root,
  });
  if (o.json) {
    rt.io.out(json(r));
    return;
  }
  for (const w of r.warnings) rt.io.err(`warning: ${w}\n`);
  const aws = r.aws as {
    mfa_serial: string;
    region: string | null;
    source: { kind: string; profile?: string; access_key_id?: string };
    session_duration: number;
    roles: Record<string, { arn: string; duration: number; max_duration: number }>;
  };
  const src =
    aws.source.kind === 'vault'
      ? `vault (${aws.source.access_key_id ?? ''})`
      : aws.source.kind === 'profile'
        ? `profile ${aws.source.profile ?? ''}`
        : 'default chain';
  const lines = [
    `aws set up for ${id}: MFA device ${aws.mfa_serial}, keys from ${src}, MFA session ${formatDuration(aws.session_duration)}${aws.region ? `, region ${aws.region}` : ''}`,
    ...Object.entries(aws.roles).map(
      ([n, x]) => `  role ${n}: ${x.arn} (${formatDuration(x.duration)}, max ${formatDuration(x.max_duration)})`,
    ),
    '',
    'For ~/.aws/config (one profile per role; pick the agent name your policy allows):',
  ];
  // Run from Terraform or another shell, a command without --home would use the default home.
  const home = rt.home === defaultHomeOf(rt.env.processEnv) ? '' : ` --home ${shellQuote(rt.home)}`;
  const cmd = `${rt.env.nodePath} ${rt.env.entry}${home} aws credential-process --account ${id}`;
  const roles = Object.keys(aws.roles);
  for (const role of roles.length ? roles : [null]) {
    lines.push(
      `[profile ${id}${role ? `-${role}` : ''}]`,
      `credential_process = ${cmd}${role ? ` --role ${role}` : ''} --agent terraform`,
    );
    if (aws.region) lines.push(`region = ${aws.region}`);
    lines.push('');
  }
  rt.io.out(lines.join('\n'));
}

const warnTo =
  (rt: Runtime) =>
  (m: string): void => {
    rt.io.err(`totp-mcp: warning: ${m}\n`);
  };

/** The home a command uses when neither --home nor TOTP_MCP_HOME is given. */
function defaultHomeOf(env: Record<string, string | undefined>): string {
  const base = env['HOME'] || homedir();
  return resolve(env['XDG_CONFIG_HOME'] || join(base, '.config'), 'totp-mcp');
}

/** One line on stderr, as credential_process consumers show it; nothing secret (our messages never hold one). */
function oneLine(rt: Runtime, e: unknown): void {
  if (isTotpMcpError(e)) {
    rt.io.err(`totp-mcp: ${printable(e.message)}${e.hint ? ` (hint: ${printable(e.hint)})` : ''}\n`);
    rt.exitCode = e.exitCode;
  } else {
    rt.io.err('totp-mcp: internal error (run with --debug for details)\n');
    rt.exitCode = 1;
  }
  if (rt.globals.debug && e instanceof Error)
    rt.io.err(`${(e.cause instanceof Error ? e.cause.stack : undefined) ?? e.stack ?? e.message}\n`);
}

async function withAgent<T>(rt: Runtime, agent: string, fn: (service: AgentService) => Promise<T>): Promise<T> {
  const { AgentService } = await import('../../app/agent.js');
  const service = new AgentService(rt.ctx, agent);
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

function needAgent(rt: Runtime, o: SessionOptions, command: string): string {
  const agent = o.agent ?? rt.env.agent;
  if (agent === undefined)
    fail(
      'usage',
      `${command} needs --agent NAME (or TOTP_MCP_AGENT): its requests are policy-checked and audited as that agent`,
    );
  return agent;
}

/** `credential-process`: Version 1 JSON on stdout; on failure, one line on stderr and a non-zero exit. */
export async function runCredentialProcess(rt: Runtime, o: CredentialProcessOptions): Promise<void> {
  try {
    if (o.account === undefined) fail('usage', '--account is required');
    const agent = needAgent(rt, o, 'credential-process');
    const req: AwsRequest = {
      account: o.account,
      role: o.role,
      duration_seconds: durationOf(o),
      delivery: 'credential_process',
    };
    if (rt.env.aws.resolvingSource) {
      fail(
        'invalid',
        "started by the AWS SDK while totp-mcp was resolving an account's source profile: the source profile must not use totp-mcp itself",
      );
    }
    if (o.explain) {
      rt.io.out(await explainAwsSession(rt.ctx, req, agent, rt.env.aws));
      return;
    }
    // No progress (a consumer may show stderr as an error); with --debug, why the cache was ignored.
    const debug = rt.globals.debug
      ? (m: string): void => {
          rt.io.err(`totp-mcp: ${m}\n`);
        }
      : undefined;
    const m = await withAgent(rt, agent, (s) =>
      agentAwsSession(s, { client: client('totp-mcp-credential-process') }, req, {
        env: rt.env.aws,
        debug,
        warn: warnTo(rt),
      }),
    );
    rt.io.out(credentialProcessJson(m.session));
  } catch (e) {
    oneLine(rt, e);
  }
}

function refuseNesting(rt: Runtime): void {
  const marker = rt.env.aws.execMarker;
  if (marker !== undefined) {
    fail(
      'usage',
      `already inside 'totp-mcp aws exec' (${EXEC_MARKER}=${printable(marker).slice(0, 80)}): nested sessions would shadow each other`,
      {
        hint: 'exit that shell first, or use profiles (credential_process) for several accounts at once',
      },
    );
  }
}

async function sessionFor(rt: Runtime, o: SessionOptions, req: AwsRequest, clientName: string): Promise<MintedSession> {
  const deps: AwsDeps = {
    env: rt.env.aws,
    progress: (m) => {
      rt.io.err(`totp-mcp: ${m}\n`);
    },
    warn: warnTo(rt),
  };
  const agent = o.agent ?? rt.env.agent;
  if (agent === undefined) return ownerAwsSession(rt.ctx, req, deps);
  return withAgent(rt, agent, (s) => agentAwsSession(s, { client: client(clientName) }, req, deps));
}

/** `exec ID -- CMD…`: the command runs with the session in its environment (aws-vault's variables). */
export async function runAwsExec(rt: Runtime, id: string, command: string[], o: ExecOptions): Promise<void> {
  refuseNesting(rt);
  const req: AwsRequest = { account: id, role: o.role, duration_seconds: durationOf(o), delivery: 'exec' };
  if (o.explain) {
    rt.io.out(await explainAwsSession(rt.ctx, req, o.agent ?? rt.env.agent ?? null, rt.env.aws));
    return;
  }
  const m = await sessionFor(rt, o, req, 'totp-mcp-exec');
  const parent = rt.env.processEnv;
  const env = execEnv(parent, m.session, regionFor(m.region, parent), `${id}${m.role ? `/${m.role}` : ''}`);
  const cmd = command.length > 0 ? command : [parent['SHELL'] ?? '/bin/sh'];
  if (command.length === 0)
    rt.io.err(
      `totp-mcp: starting ${printable(cmd[0] ?? '')} with ${id}${m.role ? ` role ${m.role}` : ''} credentials until ${isoSeconds(m.session.expires)}; exit to end\n`,
    );
  rt.exitCode = await runChild(rt, cmd, env);
}

/**
 * `serve-credentials ID [-- CMD…]`: a loopback container-credentials endpoint. Without a command,
 * prints the two variables to set and serves until SIGINT/SIGTERM or --lifetime; with one, runs it
 * with them set and stops when it exits.
 */
/** Shell-safe as it is, else single-quoted (as `shlex.quote` does). */
const shellQuote = (v: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'"'"'`)}'`);

/**
 * The endpoint's variables for a shell or a tool: `export K=V` lines (default: `eval "$(…)"` works),
 * `K=V` lines (an env file), or one JSON object.
 */
function endpointVars(format: 'export' | 'env' | 'json', vars: Record<string, string>): string {
  if (format === 'json') return `${JSON.stringify(vars)}\n`;
  return Object.entries(vars)
    .map(([k, v]) => `${format === 'export' ? 'export ' : ''}${k}=${shellQuote(v)}\n`)
    .join('');
}

export async function runServeCredentials(
  rt: Runtime,
  id: string,
  o: ServeCredentialsOptions,
  command: string[] = [],
): Promise<void> {
  const format = o.format ?? 'export';
  if (format !== 'export' && format !== 'env' && format !== 'json') fail('usage', '--format is export, env or json');
  if (command.length > 0 && o.format !== undefined)
    fail('usage', '--format is for serving without a command: with -- CMD the command gets the variables itself');
  const agent = needAgent(rt, o, 'serve-credentials');
  const port = o.port === undefined ? 0 : Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail('usage', '--port is a port number (1-65535), or 0 for any free port');
  const lifetime =
    o.lifetime === undefined
      ? 12 * 3600
      : checkDuration(o.lifetime, '--lifetime', { bare: true, min: 60, max: 7 * 86_400 });
  const req: AwsRequest = { account: id, role: o.role, duration_seconds: durationOf(o), delivery: 'container' };
  const deps: AwsDeps = {
    env: rt.env.aws,
    progress: (m) => {
      rt.io.err(`totp-mcp: ${m}\n`);
    },
    warn: warnTo(rt),
  };
  const { AgentService } = await import('../../app/agent.js');
  const service = new AgentService(rt.ctx, agent);
  const rc: RequestContext = { client: client('totp-mcp-serve-credentials') };
  let expires = 0;
  let region: string | null = null;
  const get = async (): Promise<MintedSession> => {
    const m = await agentAwsSession(service, rc, req, deps);
    expires = m.session.expires;
    region = m.region;
    return m;
  };
  try {
    // Mint (or find) the first session now: errors show at once, and the first request is fast.
    await get();
    const { startContainerServer } = await import('../../app/aws-serve.js');
    const server = await startContainerServer({
      ...(port !== 0 && { port }),
      serve: async () => containerJson((await get()).session),
      onError: (status, message) => {
        rt.io.err(`totp-mcp: request refused (${status}): ${printable(message)}\n`);
      },
    });
    // Refresh ahead of the SDKs (their container provider waits a second or two, not for an MFA step).
    const refresher = setInterval(() => {
      if (expires - Date.now() < 20 * 60_000)
        void get().catch((e: unknown) => {
          rt.io.err(`totp-mcp: refresh failed: ${isTotpMcpError(e) ? e.message : 'internal error'}\n`);
        });
    }, 60_000);
    refresher.unref();
    const stop = new AbortController();
    const onSignal = (): void => {
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // --lifetime bounds a server left running; with a command, the server lives as long as the command.
    const timer = command.length > 0 ? undefined : setTimeout(onSignal, lifetime * 1000);
    try {
      if (command.length > 0) {
        rt.exitCode = await runChild(
          rt,
          command,
          containerEnv(
            rt.env.processEnv,
            server.url,
            server.token,
            regionFor(region, rt.env.processEnv),
            `${id}${o.role ? `/${o.role}` : ''}`,
          ),
        );
      } else {
        rt.io.out(
          endpointVars(format, {
            AWS_CONTAINER_CREDENTIALS_FULL_URI: server.url,
            AWS_CONTAINER_AUTHORIZATION_TOKEN: server.token,
          }),
        );
        rt.io.err(
          `totp-mcp: serving ${id}${o.role ? ` role ${o.role}` : ''} as agent ${agent} on ${server.url} (loopback only) for at most ${formatDuration(lifetime)}; Ctrl-C stops\n`,
        );
        await new Promise<void>((resolve) => {
          stop.signal.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
        });
      }
    } finally {
      clearTimeout(timer);
      clearInterval(refresher);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await server.close();
    }
  } finally {
    await service.close();
  }
}

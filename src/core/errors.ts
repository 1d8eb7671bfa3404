/**
 * The one error model. Every failure that reaches a person or a model is a TotpMcpError, thrown
 * once where it happens with everything said there: a `code` (our own: the exit code and the
 * audit reason `error_<code>`), the `kind` an agent sees (set by the thrower when the message is
 * written for an agent, else the code's default below), a fixed message, a hint and the cause.
 * The message is fixed text written by us: never a secret, never an echo of untrusted input
 * beyond an account id. Nothing on the way out rebuilds it: the CLI prints it, the MCP tools map
 * it through `agentFacing` below.
 */
export type ErrorCode =
  | 'usage' // bad arguments or input (exit 2)
  | 'invalid' // bad data: a URI, a secret, a file (exit 1)
  | 'not_found'
  | 'conflict'
  | 'denied' // policy (exit 3)
  | 'vault_locked' // no identity, wrong passphrase, wrong identity (exit 4)
  | 'vault_corrupt'
  | 'unsupported_version'
  | 'io'
  | 'internal';

/** What an agent's error result starts with: a fixed word that models and clients key on, so it never changes. */
export const ERROR_KINDS = [
  'denied',
  'not_found',
  'approval_declined',
  'rate_limited',
  'outside_hours',
  'vault_locked',
  'invalid_input',
  'not_configured',
  'aws_error',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** What an agent reads when the request failed in a way that is not its to know. */
const INTERNAL_MESSAGE = 'the server could not complete this request';

/**
 * The one mapping table: per code, the exit code, and what an agent sees when the thrower set no
 * kind: the kind, and (`text`) a fixed text in place of a message written for the owner, which
 * may name a file.
 */
const CODES: Record<ErrorCode, { exit: number; kind: ErrorKind; text?: string }> = {
  usage: { exit: 2, kind: 'invalid_input' },
  invalid: { exit: 1, kind: 'internal', text: INTERNAL_MESSAGE },
  not_found: { exit: 1, kind: 'not_found' },
  conflict: { exit: 1, kind: 'internal', text: INTERNAL_MESSAGE },
  denied: { exit: 3, kind: 'denied' },
  vault_locked: { exit: 4, kind: 'vault_locked', text: 'the vault is locked' },
  vault_corrupt: { exit: 1, kind: 'internal', text: INTERNAL_MESSAGE },
  unsupported_version: { exit: 1, kind: 'internal', text: INTERNAL_MESSAGE },
  io: { exit: 1, kind: 'internal', text: INTERNAL_MESSAGE },
  internal: { exit: 1, kind: 'internal', text: INTERNAL_MESSAGE },
};

/** The code (so the exit code) of a refusal written for an agent: its policy refusals are `denied` (exit 3). */
const CODE_OF_KIND: Record<ErrorKind, ErrorCode> = {
  denied: 'denied',
  approval_declined: 'denied',
  rate_limited: 'denied',
  outside_hours: 'denied',
  not_found: 'not_found',
  vault_locked: 'vault_locked',
  invalid_input: 'usage',
  not_configured: 'invalid',
  aws_error: 'io',
  internal: 'internal',
};

export interface ErrorOptions {
  /** A one-line hint on what to do, shown after the message (to a person and to an agent). */
  hint?: string | undefined;
  cause?: unknown;
  /** The agent-facing kind, set where the message is written for an agent. */
  kind?: ErrorKind | undefined;
  /**
   * A finer, stable why for code that branches on it (never shown by itself): an AWS failure's
   * classification (aws/errors.ts), a policy file's problem (app/policy-file.ts).
   */
  reason?: string | undefined;
}

export class TotpMcpError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** The kind (and so the message and hint) was set for an agent by the thrower. */
  readonly forAgent: boolean;
  readonly hint: string | undefined;
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TotpMcpError';
    this.code = code;
    this.kind = options.kind ?? CODES[code].kind;
    this.forAgent = options.kind !== undefined;
    this.hint = options.hint;
    this.reason = options.reason;
  }

  get exitCode(): number {
    return CODES[this.code].exit;
  }
}

/** Throws; declared as a function so that TypeScript narrows after a call. */
export function fail(code: ErrorCode, message: string, options?: ErrorOptions): never {
  throw new TotpMcpError(code, message, options);
}

/** A refusal written for an agent (policy, approval, limits, a locked vault): its code follows from its kind. */
export const refusal = (kind: ErrorKind, message: string, options: Omit<ErrorOptions, 'kind'> = {}): TotpMcpError =>
  new TotpMcpError(CODE_OF_KIND[kind], message, { ...options, kind });

export const isTotpMcpError = (e: unknown): e is TotpMcpError => e instanceof TotpMcpError;

/**
 * What an agent sees of anything thrown below a tool: a kind, a fixed message and the hint.
 * Anything not ours is `internal` (a library's message may quote its input); a full or read-only
 * disk is said as such (never a path): the person can free space, retrying will not help.
 */
export function agentFacing(e: unknown): { kind: ErrorKind; message: string; hint?: string } {
  if (!isTotpMcpError(e)) return { kind: 'internal', message: INTERNAL_MESSAGE };
  if (e.forAgent) return { kind: e.kind, message: e.message, ...(e.hint !== undefined && { hint: e.hint }) };
  if (diskErrno(e) !== undefined)
    return { kind: 'internal', message: `${INTERNAL_MESSAGE}: the disk of the totp-mcp home is full or read-only` };
  const text = CODES[e.code].text;
  if (text !== undefined) return { kind: e.kind, message: text };
  return { kind: e.kind, message: e.message, ...(e.hint !== undefined && { hint: e.hint }) };
}

/**
 * Failures of the disk rather than of totp-mcp (full, over quota, read-only): what happened, and
 * what the person can do about it. Nothing else changes: the write that failed was not made.
 */
const FULL_HINT =
  'free some space on that disk (or use a home folder on another disk: --home, TOTP_MCP_HOME), then try again';
const DISK: Record<string, readonly [text: string, hint: string]> = {
  ENOSPC: ['no space is left on the disk', FULL_HINT],
  EDQUOT: [
    'the disk quota is used up',
    'free some space within your quota (or use a home folder on another disk: --home, TOTP_MCP_HOME), then try again',
  ],
  EROFS: [
    'the file system is read-only',
    'use a home folder on a writable disk (--home, TOTP_MCP_HOME), or make that one writable again',
  ],
};

/** A write the disk took only part of: on a regular file, a full disk (or quota). */
export const shortWriteError = (path: string): TotpMcpError =>
  new TotpMcpError('io', `cannot write ${path}: the disk took only part of the write (is it full?)`, {
    hint: FULL_HINT,
  });

/** The errno (ENOSPC, EDQUOT, EROFS) of `e` or of one of its causes, when it is a disk problem. */
export function diskErrno(e: unknown): string | undefined {
  for (
    let x = e, depth = 0;
    x !== null && typeof x === 'object' && depth < 8;
    x = (x as { cause?: unknown }).cause, depth++
  ) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(DISK, code)) return code;
  }
  return undefined;
}

const pathIn = (e: unknown): string | undefined => {
  for (
    let x = e, depth = 0;
    x !== null && typeof x === 'object' && depth < 8;
    x = (x as { cause?: unknown }).cause, depth++
  ) {
    const path = (x as { path?: unknown }).path;
    if (typeof path === 'string') return path;
  }
  return undefined;
};

/** `cannot <what> <path>`, with why and the fix when the disk is full, over quota or read-only. */
export function fsError(what: string, path: string, e: unknown): TotpMcpError {
  if (e instanceof TotpMcpError) return e;
  const d = diskErrno(e);
  const [text, hint] = d === undefined ? [] : (DISK[d] ?? []);
  return new TotpMcpError('io', text === undefined ? `cannot ${what} ${path}` : `cannot ${what} ${path}: ${text}`, {
    cause: e,
    ...(hint !== undefined && { hint }),
  });
}

/**
 * For an error about to reach a person: the disk's form when a disk problem is its cause (the
 * message names the file when the error does), else undefined.
 */
export function explainDiskError(e: unknown): TotpMcpError | undefined {
  const d = diskErrno(e);
  const entry = d === undefined ? undefined : DISK[d];
  if (entry === undefined) return undefined;
  const [text, hint] = entry;
  if (e instanceof TotpMcpError && e.message.endsWith(text))
    return e.hint === undefined
      ? new TotpMcpError(e.code, e.message, { hint, cause: e, reason: e.reason, ...(e.forAgent && { kind: e.kind }) })
      : e;
  const path = pathIn(e);
  const what =
    e instanceof TotpMcpError
      ? path === undefined || e.message.includes(path)
        ? e.message
        : `${e.message} (${path})`
      : path === undefined
        ? 'cannot write a file of totp-mcp'
        : `cannot write ${path}`;
  return new TotpMcpError('io', `${what}: ${text}`, { hint, cause: e });
}

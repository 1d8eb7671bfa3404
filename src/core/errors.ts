/**
 * Errors that reach a person or a model. The message is fixed text written by us:
 * never a secret, never an echo of untrusted input beyond an account id.
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

const EXIT: Record<ErrorCode, number> = {
  usage: 2,
  invalid: 1,
  not_found: 1,
  conflict: 1,
  denied: 3,
  vault_locked: 4,
  vault_corrupt: 1,
  unsupported_version: 1,
  io: 1,
  internal: 1,
};

export class TotpMcpError extends Error {
  readonly code: ErrorCode;
  /** A one-line hint on what to do, shown after the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TotpMcpError';
    this.code = code;
    this.hint = options.hint;
  }

  get exitCode(): number {
    return EXIT[this.code];
  }
}

/** Throws; declared as a function so that TypeScript narrows after a call. */
export function fail(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }): never {
  throw new TotpMcpError(code, message, options);
}

export const isTotpMcpError = (e: unknown): e is TotpMcpError => e instanceof TotpMcpError;

/** Exit code for any thrown value; unknown errors are internal (1). */
export const exitCodeOf = (e: unknown): number => (isTotpMcpError(e) ? e.exitCode : 1);

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
    return e.hint === undefined ? new TotpMcpError(e.code, e.message, { hint, cause: e }) : e;
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

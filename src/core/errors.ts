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

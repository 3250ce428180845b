/**
 * Exit codes, the same for every command (docs/CLI.md lists them). Errors are mapped by class name so
 * this module loads nothing of the library (a `--help` stays cheap).
 */
export const EXIT = {
  OK: 0,
  /** The operation failed (server error, connection, anything not below). */
  FAILED: 1,
  /** Bad usage or input: a wrong flag, an unknown parameter, a malformed package or cron expression. */
  USAGE: 2,
  NOT_FOUND: 3,
  ALREADY_EXISTS: 4,
  /** Not authenticated (401, a login page) or not allowed (403). */
  AUTH: 5,
  /** A run ended in a state other than SUCCEEDED (runs wait, runs create --wait). */
  RUN_NOT_SUCCEEDED: 6,
  TIMEOUT: 7,
  /** Ctrl+C (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error of the CLI itself, with the exit code it ends the command with. */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.FAILED) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Bad usage or input found by the CLI, before anything was sent. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.USAGE);
}

const BY_NAME: Record<string, number> = {
  CliError: EXIT.FAILED,
  ValidationError: EXIT.USAGE,
  ParameterError: EXIT.USAGE,
  SpecValidationError: EXIT.USAGE,
  BadRequestError: EXIT.USAGE,
  NotFoundError: EXIT.NOT_FOUND,
  ConflictError: EXIT.ALREADY_EXISTS,
  AuthenticationError: EXIT.AUTH,
  PermissionDeniedError: EXIT.AUTH,
  RunFailedError: EXIT.RUN_NOT_SUCCEEDED,
  RunWaitTimeoutError: EXIT.TIMEOUT,
  TimeoutError: EXIT.TIMEOUT,
  AbortError: EXIT.INTERRUPTED,
  EmulatorMissingError: EXIT.FAILED,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === "string" && name in BY_NAME) return BY_NAME[name] as number;
  return EXIT.FAILED;
}

/** What `oc` says when it stops: one line on stderr, `oc: CODE: message`, and an exit code. */
export const EXIT = {
  OK: 0,
  /** Any failure: the OC refused, could not be reached, or a watched command FAILED. */
  ERROR: 1,
  /** A watched command CANCELLED. */
  CANCELLED: 2,
  /** A watched command left PAUSED by its failure budget (`--on-failure pause`). */
  PAUSED: 3,
  /** A usage error (unknown option, missing argument, bad value): nothing was sent. EX_USAGE of sysexits(3), so a
   *  script never mistakes it for a watched command's outcome. */
  USAGE: 64,
} as const;

export class CliError extends Error {
  constructor(
    /** The OC's code (`NOT_FOUND`, `UNAUTHENTICATED`, …) or one of ours (`USAGE`, `NOT_LOGGED_IN`); null prints no code. */
    readonly code: string | null,
    message: string,
    readonly exitCode: number = EXIT.ERROR,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new CliError('USAGE', message, EXIT.USAGE);

/** The single line printed for an error (no stack trace: set OC_DEBUG=1 for one). */
export function errorLine(e: unknown): string {
  if (e instanceof CliError) return e.code ? `oc: ${e.code}: ${e.message}` : `oc: ${e.message}`;
  const message = e instanceof Error ? e.message : String(e);
  return `oc: ERROR: ${message.split('\n')[0]}`;
}

/** The `rex` exit statuses, one meaning each (docs/CLI.md lists them). */
export const EXIT = {
  /** Done; for a job, every host succeeded. */
  OK: 0,
  /** A job ran and some hosts failed or did not respond (or it was cancelled). */
  FAILED: 1,
  /** Usage error, or the API refused the request (4xx): the API's message is printed. */
  USAGE: 2,
  /** The server failed (5xx) or could not be reached. */
  SERVER: 3,
} as const;

/** An error that ends the command with a given exit status and message. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

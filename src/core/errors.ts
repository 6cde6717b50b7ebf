/**
 * An error caused by what the user asked for (bad flag, bad file, bad config, unreachable exchange).
 * The CLI prints its message as one line and exits with `exitCode`; no stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/**
 * Errors a user can act on. The CLI prints their message without a stack trace and
 * maps their kind to an exit code; library code never exits the process.
 */

/** What went wrong, which decides the exit code in `cli/index.ts`. */
export type ErrorKind =
  /** Bad input: a malformed state, an invalid flag value. Exit code 2. */
  | 'input'
  /** The operation failed: a remote is unreachable, a command failed. Exit code 1. */
  | 'failure';

/**
 * An error whose message is meant for the user.
 *
 * Messages are lowercase with no trailing period, quote the field or flag, show the received
 * value and say what is allowed or what to do.
 */
export class DokkuGitopsError extends Error {
  public readonly kind: ErrorKind;

  constructor(message: string, kind: ErrorKind = 'failure', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DokkuGitopsError';
    this.kind = kind;
  }
}

/**
 * Bad input, with every problem found: a state is checked whole, so that all of its
 * errors are reported together.
 */
export class InputError extends DokkuGitopsError {
  /** One line per problem, each prefixed with where it was found. */
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'), 'input');
    this.name = 'InputError';
    this.problems = problems;
  }
}

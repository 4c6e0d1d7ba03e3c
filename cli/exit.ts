/**
 * A command that succeeds but must report an outcome through its exit code (`diff`: 1 when
 * there are changes) requests it here; `cli/index.ts` applies it.
 */
let requested = 0;

/** Request an exit code for a command that otherwise succeeded. */
export function requestExitCode(code: number): void {
  requested = code;
}

/** The exit code requested by the command that ran, 0 by default. */
export function exitCodeRequested(): number {
  return requested;
}

let failure = 1;

/**
 * The exit code of a failure (an operation that could not be done) for the command that runs:
 * `diff` uses 3, because its 1 means "there are changes".
 */
export function setFailureExitCode(code: number): void {
  failure = code;
}

/** The exit code of a failure, 1 unless the command set another. */
export function failureExitCode(): number {
  return failure;
}

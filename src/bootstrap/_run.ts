/** Helpers that run built commands through an operator and turn failures into user-facing errors. */
import { DokkuGitopsError } from '../errors.js';
import { ABSENT_EXIT_CODE, readFileCommand } from './commands.js';
import type { CommandOperator } from './operator.js';
import type { CommandResult, RemoteCommand } from './shell.js';

function tail(text: string, lines = 8): string {
  const kept = text.trim().split('\n').slice(-lines).join('\n').trim();
  return kept === '' ? 'no error output' : kept;
}

/** The error for a command that exited with an unexpected status. */
export function commandError(operator: CommandOperator, what: string, result: CommandResult): DokkuGitopsError {
  const output = `${result.stderr}\n${result.stdout}`;
  if (/sudo: (a password is required|a terminal is required)/.test(output)) {
    return new DokkuGitopsError(`${operator.target}: ${what} failed: sudo asks for a password; give the user passwordless sudo (NOPASSWD) or connect as root`, 'failure');
  }
  if (/sudo: (command )?not found/.test(output)) {
    return new DokkuGitopsError(`${operator.target}: ${what} failed: sudo is not installed; connect as root or install sudo`, 'failure');
  }
  return new DokkuGitopsError(`${operator.target}: ${what} failed (exit ${result.exitCode}): ${tail(result.stderr || result.stdout)}`, 'failure');
}

/** Run `command`; throw a failure naming `what` unless its exit status is in `ok`. */
export async function run(operator: CommandOperator, command: RemoteCommand, what: string, ok: readonly number[] = [0]): Promise<CommandResult> {
  const result = await operator.execute(command);
  if (!ok.includes(result.exitCode)) throw commandError(operator, what, result);
  return result;
}

/** A file's content, or `undefined` when it does not exist. */
export async function readOptionalFile(operator: CommandOperator, path: string): Promise<string | undefined> {
  const result = await run(operator, readFileCommand(operator, path), `reading ${path}`, [0, ABSENT_EXIT_CODE]);
  return result.exitCode === ABSENT_EXIT_CODE ? undefined : result.stdout;
}

/** A file's content; throws a failure that says what the file is when it does not exist. */
export async function readRequiredFile(operator: CommandOperator, path: string, missing: string): Promise<string> {
  const content = await readOptionalFile(operator, path);
  if (content === undefined) throw new DokkuGitopsError(`${operator.target}: ${path} does not exist; ${missing}`, 'failure');
  return content;
}

/** How long and how often to poll. */
export interface PollOptions {
  /**
   * Give up after this long.
   *
   * @default 300000
   */
  readonly timeoutMs?: number;
  /**
   * Wait this long between attempts.
   *
   * @default 2000
   */
  readonly intervalMs?: number;
}

/**
 * Call `probe` until it returns a value, at most `timeoutMs`; throw a failure that names `what`
 * and the last reason `probe` gave.
 */
export async function poll<T>(operator: CommandOperator, what: string, probe: () => Promise<{ value: T } | { reason: string }>, options: PollOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const intervalMs = options.intervalMs ?? 2_000;
  const deadline = Date.now() + timeoutMs;
  let reason = 'no attempt finished';
  for (;;) {
    const outcome = await probe();
    if ('value' in outcome) return outcome.value;
    reason = outcome.reason;
    if (Date.now() + intervalMs > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new DokkuGitopsError(`${operator.target}: timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}: ${reason}`, 'failure');
}

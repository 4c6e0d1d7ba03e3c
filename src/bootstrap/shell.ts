/**
 * Remote commands as data, and the one function that turns them into a shell string.
 *
 * Every command the bootstrap runs on a node is a `RemoteCommand` built by a pure function, so
 * that tests can assert the exact program, arguments, environment and standard input. Nothing
 * user-supplied is ever spliced into a shell script: values travel as quoted arguments, as
 * positional parameters of a constant script, or on standard input.
 */

/** One command to run on a node. */
export interface RemoteCommand {
  /**
   * The program and its arguments. Each element is quoted separately when rendered, so an
   * argument can hold any character, shell metacharacters included.
   */
  readonly argv: readonly string[];

  /**
   * Environment variables for this program only, rendered through `env NAME=value`, which works
   * under `sudo` and in any POSIX login shell.
   *
   * @default - no extra variables
   */
  readonly env?: Readonly<Record<string, string>>;

  /**
   * Run the program through `sudo -n` (non-interactive: fails instead of prompting).
   *
   * @default false
   */
  readonly sudo?: boolean;

  /**
   * Bytes written to the program's standard input, which is then closed.
   *
   * @default - standard input is closed at once
   */
  readonly stdin?: string | Uint8Array;

  /**
   * A local file streamed to the program's standard input (for large uploads such as the k3s
   * binary and the images tarball). Ignored when `stdin` is set.
   *
   * @default - none
   */
  readonly stdinFile?: string;
}

/** What a command returned. */
export interface CommandResult {
  /** Standard output, decoded as UTF-8. */
  readonly stdout: string;
  /** Standard error, decoded as UTF-8. */
  readonly stderr: string;
  /** The exit status; 128 + signal number when the program was killed, 255 when unknown. */
  readonly exitCode: number;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Quote one word for a POSIX shell.
 *
 * Words made only of characters that no POSIX shell treats specially are returned as they are,
 * which keeps rendered commands readable; anything else is wrapped in single quotes, inside which
 * a shell interprets nothing (a single quote itself is written as `'\''`).
 *
 * @example shellQuote("it's") // => 'it'\''s'
 */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Render a command as the single line a POSIX shell on the node executes.
 *
 * The shape is `[sudo -n --] [env NAME=value ...] program args...`, every word quoted with
 * `shellQuote`. Environment names are sorted so the output is deterministic.
 *
 * @throws Error when `argv` is empty or an environment name is not a valid shell name; both are
 *   programming errors in a command builder, never user input
 */
export function renderCommand(command: RemoteCommand): string {
  if (command.argv.length === 0) throw new Error('renderCommand: empty argv');
  const words: string[] = [];
  if (command.sudo) words.push('sudo', '-n', '--');
  const env = Object.entries(command.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (env.length > 0) {
    words.push('env');
    for (const [name, value] of env) {
      if (!ENV_NAME.test(name)) throw new Error(`renderCommand: invalid environment variable name ${JSON.stringify(name)}`);
      words.push(`${name}=${value}`);
    }
  }
  words.push(...command.argv);
  return words.map(shellQuote).join(' ');
}

/**
 * A command that runs a constant `sh` script with positional parameters.
 *
 * The script never contains caller data: values are passed as `$1`, `$2`, ... so that quoting
 * mistakes in the script cannot turn data into code.
 */
export function shScript(script: string, args: readonly string[] = [], options: { sudo?: boolean; stdin?: string | Uint8Array; stdinFile?: string } = {}): RemoteCommand {
  return {
    argv: ['sh', '-c', script, 'sh', ...args],
    ...(options.sudo ? { sudo: true } : {}),
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    ...(options.stdinFile !== undefined ? { stdinFile: options.stdinFile } : {}),
  };
}

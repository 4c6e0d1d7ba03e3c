/**
 * Splits a command line into words with POSIX shell quoting rules, as Dokku does for
 * Procfile and cron commands before handing them to Kubernetes as `args`.
 */

/** What to do with `$VAR` and `${VAR}` outside single quotes. */
export interface ShellSplitOptions {
  /**
   * Replaces a variable reference. Return `undefined` to keep the reference as written.
   *
   * @default - references are kept as written
   */
  readonly expand?: (name: string) => string | undefined;
}

/** A command line that cannot be split: an unterminated quote or a trailing backslash. */
export class ShellSyntaxError extends Error {}

/**
 * Splits `input` into words: single quotes are literal, double quotes allow `\"`, `\\`, `\$`
 * and variable references, a backslash outside quotes escapes the next character.
 *
 * @throws ShellSyntaxError on an unterminated quote or a trailing backslash
 */
export function shellSplit(input: string, options: ShellSplitOptions = {}): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const variable = (): string => {
    // at input[i] === '$'
    const braced = input[i + 1] === '{';
    const m = (braced ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/ : /^\$([A-Za-z_][A-Za-z0-9_]*)/).exec(input.slice(i));
    if (!m) {
      i += 1;
      return '$';
    }
    i += m[0].length;
    return options.expand?.(m[1]!) ?? m[0];
  };
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('unterminated single quote');
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i += 1;
      for (;;) {
        if (i >= input.length) throw new ShellSyntaxError('unterminated double quote');
        const d = input[i]!;
        if (d === '"') {
          i += 1;
          break;
        }
        if (d === '\\' && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1]!)) {
          word += input[i + 1] === '\n' ? '' : input[i + 1];
          i += 2;
        } else if (d === '$') {
          word += variable();
        } else {
          word += d;
          i += 1;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= input.length) throw new ShellSyntaxError('trailing backslash');
      if (input[i + 1] !== '\n') {
        word += input[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (c === '$') {
      word += variable();
      inWord = true;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Options of {@link kubernetesArgs}. */
export interface KubernetesArgsOptions {
  /**
   * Variables replaced by a literal value (`PORT` -> the port).
   *
   * @default - none
   */
  readonly literals?: Readonly<Record<string, string>>;
  /**
   * Whether other `$VAR` / `${VAR}` become Kubernetes' `$(VAR)`, expanded at run time from the
   * container's env (so that config values never reach the manifests); otherwise they stay as
   * written, literal text.
   *
   * @default false
   */
  readonly references?: boolean;
}

const REFERENCE = '\u0000';

/**
 * Splits a command into container args that Kubernetes passes on exactly: every literal `$` is
 * written `$$` (Kubernetes turns `$$` into `$` and expands `$(NAME)`), and only the references
 * asked for become `$(NAME)`.
 *
 * @throws ShellSyntaxError on an unterminated quote or a trailing backslash
 */
export function kubernetesArgs(command: string, options: KubernetesArgsOptions = {}): string[] {
  const words = shellSplit(command, {
    expand: (name) => options.literals?.[name] ?? (options.references ? `${REFERENCE}${name}${REFERENCE}` : undefined),
  });
  return words.map((w) => w.replace(/\$/g, '$$$$').replace(/\u0000([A-Za-z_][A-Za-z0-9_]*)\u0000/g, '$$($1)'));
}

/**
 * The one place that runs git, through simple-git, with its two traps avoided:
 *
 * - simple-git 4 waits 50 ms after every command that prints nothing (its completion plugin), so
 *   callers choose commands that print (`status --porcelain --branch`, `fetch -v`, `add -v`,
 *   `rev-list --count`) and skip commands whose effect is already known;
 * - simple-git strips ambient `GIT_*` variables; the ones an operator relies on (ssh command,
 *   askpass, author and committer identity, global config location) are passed on explicitly.
 *
 * Every command runs with `LC_ALL=C` (messages are parsed) and `GIT_TERMINAL_PROMPT=0` (a deploy
 * must fail, not hang, when a remote asks for credentials), and completes when git's output
 * streams close (simple-git's default also waits on a 50 ms timer after each exit).
 */
import { simpleGit, type SimpleGit } from 'simple-git';

/** Ambient variables that git users set on purpose and that reach git unchanged. */
const PASSED_ENV = [
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSH_VARIANT',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_SSL_NO_VERIFY',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_HTTP_USER_AGENT',
] as const;

/** Variables simple-git guards that git does not need for a deploy. */
const DROPPED_ENV = ['EDITOR', 'VISUAL', 'PAGER', 'PREFIX'];

/** Variables this module sets itself. */
const OWN_ENV = ['GIT_TERMINAL_PROMPT', 'LC_ALL'] as const;

/** A failed git command: its combined output, for classification. */
export class GitCommandError extends Error {
  constructor(
    public readonly args: readonly string[],
    public readonly output: string,
  ) {
    super(`git ${args.join(' ')}: ${firstError(output)}`);
    this.name = 'GitCommandError';
  }
}

/** Runs git commands in one directory. */
export class GitRunner {
  private readonly git: SimpleGit;

  /**
   * @param dir working directory of every command
   * @param extraEnv variables added for every command (e.g. the committer identity)
   */
  constructor(
    public readonly dir: string,
    extraEnv: Record<string, string> = {},
  ) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined) continue;
      // drop GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE, ... (set when run from a git hook, as Dokku does)
      if (k.toUpperCase().startsWith('GIT_') && !(PASSED_ENV as readonly string[]).includes(k)) continue;
      // git never needs an editor or pager here; simple-git refuses them unless allowed
      if (DROPPED_ENV.includes(k.toUpperCase())) continue;
      env[k] = v;
    }
    Object.assign(env, { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, extraEnv);
    this.git = simpleGit({
      baseDir: dir,
      trimmed: false,
      maxConcurrentProcesses: 1,
      allowEnvironment: [...PASSED_ENV, ...OWN_ENV, ...Object.keys(extraEnv)],
      // only the operator's own environment sets these; no value from a state or flag reaches them
      unsafe: {
        allowUnsafeSshCommand: env.GIT_SSH_COMMAND !== undefined || env.GIT_SSH !== undefined,
        allowUnsafeAskPass: env.GIT_ASKPASS !== undefined || env.SSH_ASKPASS !== undefined,
        allowUnsafeConfigPaths: env.GIT_CONFIG_GLOBAL !== undefined,
      },
      // a remote that stops answering must not hang a deploy forever
      timeout: { block: 300_000 },
      // done when git's streams close; the default also arms a 50 ms timer at process exit, and the
      // last one keeps the whole CLI alive 50 ms after its work is done
      completion: { onClose: true, onExit: false },
    });
    this.git.env(env);
  }

  /**
   * Run `git <args>` and return its standard output.
   *
   * @throws GitCommandError when git exits non-zero and printed to stderr (a non-zero exit with
   *   output on stdout only, like `commit` with nothing to commit, is returned as output)
   */
  async run(args: readonly string[]): Promise<string> {
    try {
      return await this.git.raw([...args]);
    } catch (err) {
      throw new GitCommandError(args, err instanceof Error ? err.message : String(err));
    }
  }

  /** Like {@link run}, but a failure is returned instead of thrown. */
  async attempt(args: readonly string[]): Promise<{ ok: true; output: string } | { ok: false; error: GitCommandError }> {
    try {
      return { ok: true, output: await this.run(args) };
    } catch (err) {
      if (err instanceof GitCommandError) return { ok: false, error: err };
      throw err;
    }
  }
}

/**
 * The most telling part of git's output: the first `fatal:`/`error:` message (which may follow
 * progress text on the same line, and continue on the next line when it ends with ':'), else
 * the first line.
 */
export function firstError(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const i = lines.findIndex((l) => /(^|\s)(fatal|error):\s/.test(l) || /^remote: error/.test(l));
  if (i < 0) return lines[0] ?? 'failed';
  let line = lines[i]!.replace(/^.*?(?:^|\s)(?:fatal|error):\s*/, '');
  if (line.endsWith(':') && lines[i + 1] !== undefined) line = `${line} ${lines[i + 1]}`;
  return line;
}

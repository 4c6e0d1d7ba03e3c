/**
 * The one seam between the collector and a Dokku host: run a `dokku` subcommand, read a file
 * that Dokku keeps. The collector talks to Dokku only through {@link DokkuRunner}, so tests point
 * it at a stand-in `dokku` executable and a copy of Dokku's directories.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DokkuGitopsError } from '../errors.js';

/** What one `dokku` subcommand printed and returned. */
export interface DokkuCommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code; a process killed by a signal counts as 1. */
  readonly exitCode: number;
}

/**
 * Runs `dokku` subcommands and reads Dokku's files.
 *
 * Dokku's state is mostly read through its reports; the Procfile, app.json and registry
 * credentials of a deploy exist only as files, which {@link DokkuRunner.readFile} reads below
 * {@link DokkuRunner.libRoot} and {@link DokkuRunner.dokkuRoot}.
 */
export interface DokkuRunner {
  /**
   * Runs `dokku <args>` and resolves with what it printed, whatever its exit code.
   *
   * @throws DokkuGitopsError ('failure') when the `dokku` binary cannot be started, naming the command
   */
  run(args: readonly string[]): Promise<DokkuCommandResult>;
  /** Reads a file as UTF-8; `undefined` when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** `$DOKKU_LIB_ROOT`: Dokku's `config/` (properties) and `data/` folders. */
  readonly libRoot: string;
  /** `$DOKKU_ROOT`: the dokku user's home, with one folder per app. */
  readonly dokkuRoot: string;
  /**
   * `$DOKKU_PID` of the deploy in progress: during a deploy, Dokku keeps the new Procfile and
   * app.json next to the deployed ones with this suffix until `core-post-deploy`.
   *
   * @default - none: outside a deploy, the deployed files are read
   */
  readonly pid?: string;
}

/** Options of {@link localDokkuRunner}. */
export interface LocalDokkuRunnerOptions {
  /**
   * The environment: `PATH` finds `dokku`; `DOKKU_LIB_ROOT` (or `DOKKU_LIB_PATH`, as Dokku reads
   * it), `DOKKU_ROOT` and `DOKKU_PID` locate Dokku's files.
   *
   * @default - process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The `dokku` executable.
   *
   * @default 'dokku'
   */
  readonly bin?: string;
}

/**
 * The runner of the host this process runs on: spawns `dokku` from `PATH` and reads files
 * from disk.
 *
 * Directories default as Dokku's own `dokku` script sets them: `DOKKU_LIB_ROOT` from
 * `DOKKU_LIB_PATH`, else `/var/lib/dokku`; `DOKKU_ROOT` else `/home/dokku` (`~dokku`).
 */
export function localDokkuRunner(options: LocalDokkuRunnerOptions = {}): DokkuRunner {
  const env = options.env ?? process.env;
  const bin = options.bin ?? 'dokku';
  return {
    libRoot: env.DOKKU_LIB_ROOT || env.DOKKU_LIB_PATH || '/var/lib/dokku',
    dokkuRoot: env.DOKKU_ROOT || '/home/dokku',
    pid: env.DOKKU_PID || undefined,
    run: (args) => spawnDokku(bin, args, env),
    readFile: async (path) => {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new DokkuGitopsError(`cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'failure', { cause: err });
      }
    },
  };
}

/** `dokku a b c` as a user would type it, for messages. */
export function commandLine(args: readonly string[]): string {
  return ['dokku', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

function spawnDokku(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<DokkuCommandResult> {
  return new Promise((resolve, reject) => {
    // stdin is closed: a subcommand that asks for confirmation must not wait for a terminal
    const child = spawn(bin, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `'${bin}' is not on PATH (collect runs on the Dokku host, as the dokku user)` : error.message;
      reject(new DokkuGitopsError(`cannot run '${commandLine(args)}': ${why}`, 'failure', { cause: error }));
    });
    child.on('close', (code) => {
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? 1 });
    });
  });
}

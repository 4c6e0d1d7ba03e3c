/**
 * Runs commands on this machine with `sh -c`, for `cluster init`, `cluster kubeconfig` and the
 * other commands that act on the server the tool runs on.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { uploadThroughExecute } from './_upload.js';
import type { CommandOperator, UploadFile } from './operator.js';
import { type CommandResult, type RemoteCommand, renderCommand } from './shell.js';

/** Options of `LocalOperator`. */
export interface LocalOperatorProps {
  /**
   * The directory file operations treat as `/`.
   *
   * @default '/'
   */
  readonly root?: string;

  /**
   * Run commands that need root through `sudo -n`.
   *
   * @default - true unless this process runs as root
   */
  readonly sudo?: boolean;

  /**
   * Extra environment variables for every command, on top of this process's environment.
   *
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** A `CommandOperator` for this machine. */
export class LocalOperator implements CommandOperator {
  public readonly target = 'local';
  public readonly root: string;
  public readonly sudo: boolean;
  private readonly env: Readonly<Record<string, string>>;

  constructor(props: LocalOperatorProps = {}) {
    this.root = props.root ?? '/';
    this.sudo = props.sudo ?? (typeof process.getuid === 'function' ? process.getuid() !== 0 : false);
    this.env = props.env ?? {};
  }

  public execute(command: RemoteCommand): Promise<CommandResult> {
    const line = renderCommand(command);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', line], { env: { ...process.env, ...this.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // a command that exits without reading its input closes the pipe; that is not an error
      child.stdin.on('error', () => undefined);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        resolve({
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          exitCode: code ?? (signal ? 128 + signalNumber(signal) : 255),
        });
      });
      if (command.stdin !== undefined) child.stdin.end(command.stdin);
      else if (command.stdinFile !== undefined) {
        const input = createReadStream(command.stdinFile);
        input.on('error', (err) => {
          child.kill();
          reject(err);
        });
        input.pipe(child.stdin);
      } else child.stdin.end();
    });
  }

  public upload(file: UploadFile): Promise<void> {
    return uploadThroughExecute(this, file);
  }

  public async close(): Promise<void> {
    // nothing to release
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return numbers[signal] ?? 127;
}

/**
 * The operator seam (house style 13): everything the bootstrap does on a node goes through one
 * `CommandOperator`, whether the node is this machine (`LocalOperator`), a host over SSH
 * (`SshOperator`) or a test double (`FakeOperator`).
 */
import type { CommandResult, RemoteCommand } from './shell.js';

/** A file to place on a node. */
export interface UploadFile {
  /** Node-absolute path; the operator prefixes its root directory. */
  readonly path: string;
  /** Permission bits, for example `0o600`. */
  readonly mode: number;
  /**
   * The file's bytes.
   *
   * @default - `localPath` is streamed instead
   */
  readonly content?: string | Uint8Array;
  /**
   * A local file to stream, for large files such as the k3s binary.
   *
   * @default - `content` is written
   */
  readonly localPath?: string;
}

/** How commands reach a node, plus the two facts command builders need about it. */
export interface CommandOperator {
  /** Where commands run, for messages: `ssh://root@10.0.0.2:22` or `local`. */
  readonly target: string;

  /**
   * The directory file operations treat as `/`. It is `/` on a real node; tests point it at a
   * temporary directory so that nothing is written to this machine's `/etc`.
   */
  readonly root: string;

  /** Whether commands that need root run through `sudo -n` (the login user is not root). */
  readonly sudo: boolean;

  /** Run one command and return what it printed and its exit status; never throws for a non-zero exit. */
  execute(command: RemoteCommand): Promise<CommandResult>;

  /**
   * Write a file atomically (temporary file, chmod, rename), creating parent directories, through
   * `sudo -n` when `sudo` is set.
   */
  upload(file: UploadFile): Promise<void>;

  /** Release the connection, if any. Safe to call more than once. */
  close(): Promise<void>;
}

/** The facts about a node that command builders need: its root directory and whether to use sudo. */
export interface NodeContext {
  /** See `CommandOperator.root`. */
  readonly root: string;
  /** See `CommandOperator.sudo`. */
  readonly sudo: boolean;
}

/**
 * A `CommandOperator` that runs nothing: it records every command and upload and answers from
 * rules, for unit tests of the orchestration and for dry runs.
 */
import type { CommandOperator, UploadFile } from './operator.js';
import { type CommandResult, type RemoteCommand, renderCommand } from './shell.js';

/** Decides the result of a command, or returns `undefined` to let the next rule decide. */
export type FakeRule = (command: RemoteCommand, rendered: string) => CommandResult | undefined;

/** Options of `FakeOperator`. */
export interface FakeOperatorProps {
  /**
   * Shown in messages.
   *
   * @default 'fake'
   */
  readonly target?: string;
  /**
   * See `CommandOperator.root`.
   *
   * @default '/'
   */
  readonly root?: string;
  /**
   * See `CommandOperator.sudo`.
   *
   * @default false
   */
  readonly sudo?: boolean;
  /**
   * Rules tried in order for each command; the first that returns a result wins.
   *
   * @default - every command succeeds with empty output
   */
  readonly rules?: readonly FakeRule[];
}

/** One thing the fake was asked to do, in order. */
export type FakeEvent = { readonly kind: 'execute'; readonly command: RemoteCommand; readonly rendered: string } | { readonly kind: 'upload'; readonly file: UploadFile };

/** A recording, rule-driven `CommandOperator`. */
export class FakeOperator implements CommandOperator {
  public readonly target: string;
  public readonly root: string;
  public readonly sudo: boolean;
  private readonly rules: FakeRule[];
  private readonly recorded: FakeEvent[] = [];
  private closed = 0;

  constructor(props: FakeOperatorProps = {}) {
    this.target = props.target ?? 'fake';
    this.root = props.root ?? '/';
    this.sudo = props.sudo ?? false;
    this.rules = [...(props.rules ?? [])];
  }

  /** Add a rule that is tried before the existing ones. Returns this operator. */
  public on(rule: FakeRule): this {
    this.rules.unshift(rule);
    return this;
  }

  /** Answer commands whose rendered line contains `fragment` with `result` (tried before older rules). */
  public when(fragment: string, result: Partial<CommandResult>): this {
    return this.on((_command, rendered) => (rendered.includes(fragment) ? { stdout: '', stderr: '', exitCode: 0, ...result } : undefined));
  }

  /** Everything recorded so far. */
  public get events(): readonly FakeEvent[] {
    return [...this.recorded];
  }

  /** The rendered command lines executed so far. */
  public get commands(): string[] {
    return this.recorded.flatMap((e) => (e.kind === 'execute' ? [e.rendered] : []));
  }

  /** The files uploaded so far. */
  public get uploads(): UploadFile[] {
    return this.recorded.flatMap((e) => (e.kind === 'upload' ? [e.file] : []));
  }

  /** How many times `close` was called. */
  public get closeCount(): number {
    return this.closed;
  }

  public async execute(command: RemoteCommand): Promise<CommandResult> {
    const rendered = renderCommand(command);
    this.recorded.push({ kind: 'execute', command, rendered });
    for (const rule of this.rules) {
      const result = rule(command, rendered);
      if (result) return result;
    }
    return { stdout: '', stderr: '', exitCode: 0 };
  }

  public async upload(file: UploadFile): Promise<void> {
    this.recorded.push({ kind: 'upload', file });
  }

  public async close(): Promise<void> {
    this.closed += 1;
  }
}

/**
 * A small step logger (house style 13, after flux's `pkg/log`): each step announces its action,
 * then reports success or failure. Commands inject it; tests record it.
 */

/** Receives the progress of a bootstrap command. */
export interface StepLogger {
  /** A step is starting, for example "installing k3s on ssh://root@10.0.0.2:22". */
  action(message: string): void;
  /** The last step succeeded. */
  success(message: string): void;
  /** Something the user should know that does not stop the command. */
  warning(message: string): void;
  /** The last step failed; the command is about to throw. */
  failure(message: string): void;
}

/** Writes steps to a stream (standard error by default), one line each with a status mark. */
export class ConsoleStepLogger implements StepLogger {
  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(line)) {}

  public action(message: string): void {
    this.write(`► ${message}\n`);
  }

  public success(message: string): void {
    this.write(`✔ ${message}\n`);
  }

  public warning(message: string): void {
    this.write(`⚠ ${message}\n`);
  }

  public failure(message: string): void {
    this.write(`✗ ${message}\n`);
  }
}

/** Drops every message. */
export class NopStepLogger implements StepLogger {
  public action(): void {}
  public success(): void {}
  public warning(): void {}
  public failure(): void {}
}

/** One recorded log message. */
export interface LogEntry {
  /** Which method was called. */
  readonly level: 'action' | 'success' | 'warning' | 'failure';
  /** The message. */
  readonly message: string;
}

/** Keeps every message, for tests. */
export class RecordingStepLogger implements StepLogger {
  /** The messages in order. */
  public readonly entries: LogEntry[] = [];

  public action(message: string): void {
    this.entries.push({ level: 'action', message });
  }

  public success(message: string): void {
    this.entries.push({ level: 'success', message });
  }

  public warning(message: string): void {
    this.entries.push({ level: 'warning', message });
  }

  public failure(message: string): void {
    this.entries.push({ level: 'failure', message });
  }

  /** The messages as `level: message` lines. */
  public get lines(): string[] {
    return this.entries.map((e) => `${e.level}: ${e.message}`);
  }
}

/**
 * Run `fn` as one step: log `action`, then `success` with the message `fn` returns (or the action
 * text), or `failure` with the error's message before rethrowing it.
 */
export async function step<T>(logger: StepLogger, action: string, fn: () => Promise<T>, success?: (result: T) => string): Promise<T> {
  logger.action(action);
  try {
    const result = await fn();
    logger.success(success ? success(result) : action);
    return result;
  } catch (err) {
    logger.failure(err instanceof Error ? err.message : String(err));
    throw err;
  }
}

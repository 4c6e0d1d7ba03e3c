/**
 * Collects the problems of a state, so that all of them are reported together, each
 * prefixed with where it was found.
 */
import { InputError } from '../errors.js';

/** A path to a field inside a document, e.g. `['spec', 'ports', 0]`. */
export type FieldPath = readonly (string | number)[];

/** Formats a field path the way the messages show it: `spec.ports[0]`, `spec.nginx["a.b"]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Shows a received value in a message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Where problems of one document are reported: its label and a line lookup. */
export interface ProblemScope {
  /** e.g. `app node-js-app` or `Global` */
  readonly label: string;
  /** `file:line` of the field, or of the nearest enclosing node that exists. */
  locate(path: FieldPath): string;
}

/** An accumulator of problems across documents. */
export class Problems {
  private readonly lines: string[] = [];

  /** Adds a problem at a field of a document. */
  public add(scope: ProblemScope, path: FieldPath, message: string): void {
    const where = path.length ? `${formatPath(path)}: ` : '';
    this.lines.push(`${scope.locate(path)}: ${scope.label}: ${where}${message}`);
  }

  /** Adds a problem that is not about one field (a file that cannot be read, a YAML syntax error). */
  public addRaw(line: string): void {
    this.lines.push(line);
  }

  /** How many problems were found so far. */
  public get count(): number {
    return this.lines.length;
  }

  /** True when no problem was found. */
  public get empty(): boolean {
    return this.lines.length === 0;
  }

  /** Throws an `InputError` listing every problem, if there is any. */
  public throwIfAny(): void {
    if (this.lines.length) throw new InputError(this.lines);
  }
}

/** A scope that only knows the document's own location (for documents built in code). */
export function scopeOf(label: string, where: string): ProblemScope {
  return { label, locate: () => where };
}

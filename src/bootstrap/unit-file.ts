/**
 * Reading and editing systemd unit files, for the `--method unit-file` scheduler extender: find
 * the effective `ExecStart=` of `k3s.service`, append one argument to it, and later remove exactly
 * that argument while keeping every other edit made to the file since.
 *
 * Parsing follows systemd.syntax(7) and systemd.service(5): `[Section]` headers, `#`/`;`
 * comments, lines ending in a backslash continued on the next line (comment lines inside a
 * continuation are skipped), an empty `ExecStart=` resetting the list, and command lines split
 * into words with single or double quotes and backslash escapes.
 *
 * The edits keep the layout install.sh writes (`ExecStart=/usr/local/bin/k3s \`, then one
 * tab-indented, single-quoted argument per line ending in ` \`, then a blank line).
 *
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.syntax.html
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html#Command%20lines
 */
import { DokkuGitopsError } from '../errors.js';

/** One physical line's share of a logical (continued) line. */
interface Segment {
  /** Index of the physical line. */
  readonly line: number;
  /** Offset of this segment's text in the logical line. */
  readonly logicalStart: number;
  /** Length of the text taken from the physical line (without a trailing backslash). */
  readonly length: number;
  /** Whether the physical line ends with a continuation backslash. */
  readonly continued: boolean;
}

/** One `Key=value` assignment, possibly spread over continued lines. */
export interface UnitEntry {
  /** The section it belongs to, without brackets. */
  readonly section: string;
  /** The key, for example `ExecStart`. */
  readonly key: string;
  /** The value with continuations joined by spaces. */
  readonly value: string;
  /** Index of the first physical line. */
  readonly firstLine: number;
  /** Index of the last physical line of the continuation chain. */
  readonly lastLine: number;
  /** @internal */
  readonly logical: string;
  /** @internal offset of `value` in `logical` */
  readonly valueStart: number;
  /** @internal */
  readonly segments: readonly Segment[];
}

/** A parsed unit file: its physical lines and its assignments. */
export interface ParsedUnit {
  /** Physical lines without line terminators. */
  readonly lines: readonly string[];
  /** Assignments in file order. */
  readonly entries: readonly UnitEntry[];
  /** The line terminator the file uses. */
  readonly eol: '\n' | '\r\n';
  /** Whether the file ends with a line terminator. */
  readonly finalNewline: boolean;
}

/** A word of a command line, with its position in the entry's logical line. */
export interface ExecWord {
  /** The word after removing quotes and escapes. */
  readonly value: string;
  /** Start offset in the logical line. */
  readonly start: number;
  /** End offset (exclusive) in the logical line. */
  readonly end: number;
}

const COMMENT = /^\s*[#;]/;

function isContinued(line: string): boolean {
  return /\\\s*$/.test(line);
}

/** Parse a unit file. Never throws: malformed lines are kept as they are and ignored. */
export function parseUnitFile(text: string): ParsedUnit {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = text.endsWith('\n');
  const body = finalNewline ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  const lines = body === '' && !finalNewline ? [] : body.split(/\r?\n/);
  const entries: UnitEntry[] = [];
  let section = '';
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || COMMENT.test(raw)) {
      i += 1;
      continue;
    }
    if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
      section = trimmed.slice(1, -1);
      i += 1;
      continue;
    }
    const segments: Segment[] = [];
    let logical = '';
    let j = i;
    for (;;) {
      const line = lines[j]!;
      const continued = isContinued(line);
      const text = continued ? line.replace(/\\\s*$/, '') : line;
      segments.push({ line: j, logicalStart: logical.length, length: text.length, continued });
      // systemd replaces the backslash with a space
      logical += continued ? `${text} ` : text;
      if (!continued) break;
      j += 1;
      while (j < lines.length && COMMENT.test(lines[j]!)) j += 1;
      if (j >= lines.length) break;
    }
    const eq = logical.indexOf('=');
    if (eq > 0) {
      const key = logical.slice(0, eq).trim();
      let valueStart = eq + 1;
      while (valueStart < logical.length && /\s/.test(logical[valueStart]!)) valueStart += 1;
      entries.push({ section, key, value: logical.slice(valueStart).trimEnd(), firstLine: i, lastLine: segments[segments.length - 1]!.line, logical, valueStart, segments });
    }
    i = segments[segments.length - 1]!.line + 1;
  }
  return { lines, entries, eol, finalNewline };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ', s: ' ' };

/**
 * Split a command line into words the way systemd does: whitespace separates words, single and
 * double quotes group, backslash escapes the next character.
 *
 * @throws DokkuGitopsError (failure) on an unterminated quote
 */
export function splitCommandLine(text: string, offset = 0): ExecWord[] {
  const words: ExecWord[] = [];
  let pos = offset;
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos += 1;
  };
  skipSpace();
  while (pos < text.length) {
    const start = pos;
    let value = '';
    let quote: string | undefined;
    while (pos < text.length) {
      const c = text[pos]!;
      if (quote === undefined && /\s/.test(c)) break;
      if (c === quote) {
        quote = undefined;
        pos += 1;
      } else if (quote === undefined && (c === '"' || c === "'")) {
        quote = c;
        pos += 1;
      } else if (c === '\\' && pos + 1 < text.length) {
        value += ESCAPES[text[pos + 1]!] ?? text[pos + 1]!;
        pos += 2;
      } else {
        value += c;
        pos += 1;
      }
    }
    if (quote !== undefined) throw new DokkuGitopsError(`unit file: unterminated ${quote} quote in command line ${JSON.stringify(text.slice(offset))}`, 'failure');
    words.push({ value, start, end: pos });
    skipSpace();
  }
  return words;
}

/**
 * The `ExecStart=` that systemd runs: the assignments in `[Service]` after the last empty
 * `ExecStart=` (which resets the list). `undefined` when there is none.
 *
 * @throws DokkuGitopsError (failure) when more than one command remains, which systemd rejects for
 *   every service type but `oneshot` and which this tool cannot edit safely
 */
export function effectiveExecStart(unit: ParsedUnit): UnitEntry | undefined {
  let active: UnitEntry[] = [];
  for (const entry of unit.entries) {
    if (entry.section !== 'Service' || entry.key !== 'ExecStart') continue;
    if (entry.value === '') active = [];
    else active.push(entry);
  }
  if (active.length > 1) {
    throw new DokkuGitopsError(`unit file: ${active.length} ExecStart= commands are active (lines ${active.map((e) => e.firstLine + 1).join(', ')}); systemd allows one for this service, so fix the unit by hand first`, 'failure');
  }
  return active[0];
}

/** The words of an entry's command line; the program's `-@:+!` prefixes are kept on the first word. */
export function commandWords(entry: UnitEntry): ExecWord[] {
  return splitCommandLine(entry.logical, entry.valueStart);
}

/** The words of the effective ExecStart, or `[]` when there is none. */
export function execStartArgs(text: string): string[] {
  const entry = effectiveExecStart(parseUnitFile(text));
  return entry ? commandWords(entry).map((w) => w.value) : [];
}

/**
 * The `--kube-scheduler-arg` values on a k3s command line (`--kube-scheduler-arg=v`,
 * `--kube-scheduler-arg v`, and the single-dash spellings).
 */
export function kubeSchedulerArgs(words: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    const match = /^--?kube-scheduler-arg(?:=(.*))?$/.exec(word);
    if (!match) continue;
    if (match[1] !== undefined) values.push(match[1]);
    else if (i + 1 < words.length) {
      values.push(words[i + 1]!);
      i += 1;
    }
  }
  return values;
}

/** What `appendExecStartArg` changed, stored on the node so `removeExecStartArg` can undo exactly that. */
export interface UnitEdit {
  /** The argument that was added (unquoted). */
  readonly arg: string;
  /** Whether a continuation backslash was added to the line before it. */
  readonly addedContinuation: boolean;
}

function quoteForUnit(arg: string): string {
  return arg.includes("'") ? `"${arg.replace(/(["\\])/g, '\\$1')}"` : `'${arg}'`;
}

function render(unit: ParsedUnit, lines: readonly string[]): string {
  return lines.join(unit.eol) + (unit.finalNewline ? unit.eol : '');
}

/**
 * Append `arg` to the effective ExecStart of `text`. Returns the new text and the edit, or
 * `changed: false` when the command line already has `arg`.
 *
 * @throws DokkuGitopsError (failure) when the unit has no ExecStart in [Service]
 */
export function appendExecStartArg(text: string, arg: string): { text: string; changed: boolean; edit: UnitEdit } {
  const unit = parseUnitFile(text);
  const entry = effectiveExecStart(unit);
  if (!entry) throw new DokkuGitopsError('unit file: no ExecStart= in [Service]', 'failure');
  if (commandWords(entry).some((w) => w.value === arg)) return { text, changed: false, edit: { arg, addedContinuation: false } };
  const lines = [...unit.lines];
  const segments = entry.segments;
  const last = segments[segments.length - 1]!;
  const lastText = lines[last.line]!;
  // install.sh indents each argument with one tab
  const indent = '\t';
  const quoted = quoteForUnit(arg);
  if (last.continued) {
    // the chain runs to the end of the file: the new last line needs no backslash
    lines.splice(last.line + 1, 0, `${indent}${quoted}`);
    return { text: render(unit, lines), changed: true, edit: { arg, addedContinuation: false } };
  }
  if (segments.length > 1 && lastText.trim() === '') {
    // install.sh's layout: every argument line ends in " \" and a blank line ends the command
    lines.splice(last.line, 0, `${indent}${quoted} \\`);
    return { text: render(unit, lines), changed: true, edit: { arg, addedContinuation: false } };
  }
  lines[last.line] = `${lastText.replace(/\s+$/, '')} \\`;
  lines.splice(last.line + 1, 0, `${indent}${quoted}`);
  return { text: render(unit, lines), changed: true, edit: { arg, addedContinuation: true } };
}

function position(entry: UnitEntry, offset: number): { line: number; column: number; segment: number } {
  for (let s = entry.segments.length - 1; s >= 0; s -= 1) {
    const seg = entry.segments[s]!;
    if (offset >= seg.logicalStart) return { line: seg.line, column: offset - seg.logicalStart, segment: s };
  }
  return { line: entry.segments[0]!.line, column: offset, segment: 0 };
}

/**
 * Remove the argument recorded in `edit` from the unit's ExecStart (the effective one first, then
 * any other), leaving every other line and word as it is. Returns `changed: false` when the
 * argument is no longer there (for example after install.sh rewrote the unit).
 *
 * @throws DokkuGitopsError (failure) when the argument is split across continued lines
 */
export function removeExecStartArg(text: string, edit: UnitEdit): { text: string; changed: boolean } {
  const unit = parseUnitFile(text);
  const effective = effectiveExecStart(unit);
  const candidates = [...(effective ? [effective] : []), ...unit.entries.filter((e) => e.section === 'Service' && e.key === 'ExecStart' && e !== effective).reverse()];
  for (const entry of candidates) {
    const words = commandWords(entry);
    const word = [...words].reverse().find((w) => w.value === edit.arg);
    if (!word) continue;
    const from = position(entry, word.start);
    const to = position(entry, word.end);
    if (from.line !== to.line) throw new DokkuGitopsError(`unit file: ${JSON.stringify(edit.arg)} is split across lines ${from.line + 1}-${to.line + 1}; remove it by hand`, 'failure');
    const lines = [...unit.lines];
    const line = lines[from.line]!;
    const before = line.slice(0, from.column);
    const after = line.slice(to.column);
    if (before.trim() === '' && /^\s*(\\\s*)?$/.test(after)) {
      const wasContinued = /\\/.test(after);
      lines.splice(from.line, 1);
      if (!wasContinued && edit.addedContinuation && from.segment > 0) {
        // the argument ended the command and its line's backslash on the previous line was ours
        const prev = entry.segments[from.segment - 1]!.line;
        lines[prev] = lines[prev]!.replace(/\s*\\\s*$/, '');
      }
      return { text: render(unit, lines), changed: true };
    }
    lines[from.line] = /\s$/.test(before) ? `${before.replace(/\s+$/, '')}${after}` : `${before}${after.replace(/^\s+/, '')}`;
    return { text: render(unit, lines), changed: true };
  }
  return { text, changed: false };
}

/**
 * The `ExecStart=` assignments in the `[Service]` sections of drop-in files, which override the
 * unit's own; the method refuses units whose command line is replaced by a drop-in.
 */
export function execStartOverrides(dropIns: readonly { path: string; content: string }[]): string[] {
  return dropIns.filter((d) => parseUnitFile(d.content).entries.some((e) => e.section === 'Service' && e.key === 'ExecStart')).map((d) => d.path);
}

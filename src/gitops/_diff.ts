/**
 * A small, deterministic line diff (Myers' O(ND) algorithm) and its unified-diff rendering,
 * in the format of `git diff` (3 lines of context, `\ No newline at end of file` markers).
 */

/** One line of an edit script: kept (' '), removed ('-') or added ('+'). */
interface Edit {
  readonly op: ' ' | '-' | '+';
  /** The line including its trailing newline, if it has one. */
  readonly line: string;
}

/**
 * Beyond this many differences a file is shown as wholly replaced: the trace of Myers'
 * algorithm grows with the square of the edit distance, and such a diff is unreadable anyway.
 */
const MAX_EDIT_DISTANCE = 2000;

/** Splits text into lines that keep their trailing `\n`; the last line may lack one. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The edit script that turns `a` into `b`, shortest first, removals before additions. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const middle = myers(a.slice(start, endA), b.slice(start, endB));
  return [
    ...a.slice(0, start).map((line): Edit => ({ op: ' ', line })),
    ...middle,
    ...a.slice(endA).map((line): Edit => ({ op: ' ', line })),
  ];
}

function myers(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const replaced = (): Edit[] => [
    ...a.map((line): Edit => ({ op: '-', line })),
    ...b.map((line): Edit => ({ op: '+', line })),
  ];
  if (n === 0 || m === 0) return replaced();
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds v for k in [-d-1, d+1] as it was before step d, for the backtrack
  const trace: Int32Array[] = [];
  let found = false;
  search: for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break search;
      }
    }
  }
  if (!found) return replaced();

  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const previous = trace[d]!;
    const at = (k: number): number => previous[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ op: ' ', line: a[x - 1]! });
      x--;
      y--;
    }
    if (d === 0) break;
    if (x === prevX) {
      edits.push({ op: '+', line: b[y - 1]! });
      y--;
    } else {
      edits.push({ op: '-', line: a[x - 1]! });
      x--;
    }
  }
  return edits.reverse();
}

/**
 * A unified diff of two versions of a file, as `git diff` prints it, or `''` when they are
 * equal.
 *
 * @param oldPath the path before, or undefined for a new file (`/dev/null`)
 * @param newPath the path after, or undefined for a removed file (`/dev/null`)
 * @param oldText the text before (`''` for a new file)
 * @param newText the text after (`''` for a removed file)
 * @param context lines of context around each change
 * @default context 3
 */
export function unifiedDiff(oldPath: string | undefined, newPath: string | undefined, oldText: string, newText: string, context = 3): string {
  if (oldText === newText && oldPath !== undefined && newPath !== undefined) return '';
  const edits = diffLines(splitLines(oldText), splitLines(newText));
  const lines = [`--- ${oldPath === undefined ? '/dev/null' : `a/${oldPath}`}`, `+++ ${newPath === undefined ? '/dev/null' : `b/${newPath}`}`];
  for (const hunk of hunks(edits, context)) lines.push(...hunk);
  return `${lines.join('\n')}\n`;
}

function hunks(edits: readonly Edit[], context: number): string[][] {
  const changed = edits.flatMap((edit, index) => (edit.op === ' ' ? [] : [index]));
  const result: string[][] = [];
  let i = 0;
  while (i < changed.length) {
    // a hunk spans changes whose gaps of kept lines are at most twice the context
    let j = i;
    while (j + 1 < changed.length && changed[j + 1]! - changed[j]! - 1 <= 2 * context) j++;
    const from = Math.max(0, changed[i]! - context);
    const to = Math.min(edits.length, changed[j]! + context + 1);
    result.push(renderHunk(edits, from, to));
    i = j + 1;
  }
  return result;
}

function renderHunk(edits: readonly Edit[], from: number, to: number): string[] {
  let oldBefore = 0;
  let newBefore = 0;
  for (const edit of edits.slice(0, from)) {
    if (edit.op !== '+') oldBefore++;
    if (edit.op !== '-') newBefore++;
  }
  const body = edits.slice(from, to);
  const oldCount = body.filter((edit) => edit.op !== '+').length;
  const newCount = body.filter((edit) => edit.op !== '-').length;
  const range = (before: number, count: number): string => {
    const start = count === 0 ? before : before + 1;
    return count === 1 ? `${start}` : `${start},${count}`;
  };
  const lines = [`@@ -${range(oldBefore, oldCount)} +${range(newBefore, newCount)} @@`];
  for (const edit of body) {
    if (edit.line.endsWith('\n')) lines.push(`${edit.op}${edit.line.slice(0, -1)}`);
    else lines.push(`${edit.op}${edit.line}`, '\\ No newline at end of file');
  }
  return lines;
}

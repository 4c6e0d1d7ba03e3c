import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diffLines, splitLines, unifiedDiff } from '../../src/gitops/_diff.js';

/** Applies a unified diff produced by unifiedDiff to the old text (a test oracle). */
function applyPatch(oldText: string, patch: string): string {
  const old = splitLines(oldText);
  const lines = patch.split('\n').slice(2);
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (header) {
      const count = header[2] === undefined ? 1 : Number(header[2]);
      const start = count === 0 ? Number(header[1]) : Number(header[1]) - 1;
      while (at < start) out.push(old[at++]!);
      continue;
    }
    const noEol = lines[i + 1] === '\\ No newline at end of file';
    const text = line.slice(1) + (noEol ? '' : '\n');
    if (noEol) i++;
    if (line[0] === ' ') {
      expect(old[at]).toBe(text);
      out.push(old[at++]!);
    } else if (line[0] === '-') {
      expect(old[at]).toBe(text);
      at++;
    } else if (line[0] === '+') {
      out.push(text);
    } else {
      throw new Error(`unexpected patch line '${line}'`);
    }
  }
  while (at < old.length) out.push(old[at++]!);
  return out.join('');
}

/** A deterministic pseudo-random generator (xorshift), so failures can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1000) / 1000;
  };
}

function randomText(next: () => number, lines: number): string {
  const words = ['a', 'b', 'c', 'spec:', '  replicas: 2', '  image: x:6', '---'];
  let text = '';
  for (let i = 0; i < lines; i++) text += `${words[Math.floor(next() * words.length)]}\n`;
  return next() < 0.2 ? text.replace(/\n$/, '') : text;
}

describe('unifiedDiff', () => {
  test('shows a changed line with three lines of context', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const after = 'a\nb\nc\nd\nE\nf\ng\nh\n';
    expect(unifiedDiff('f.yaml', 'f.yaml', before, after)).toBe(['--- a/f.yaml', '+++ b/f.yaml', '@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-e', '+E', ' f', ' g', ' h', ''].join('\n'));
  });

  test('splits far-apart changes into hunks and joins near ones', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}\n`).join('');
    const after = before.replace('l1\n', 'L1\n').replace('l18\n', 'L18\n');
    expect(unifiedDiff('f', 'f', before, after)).toBe(
      ['--- a/f', '+++ b/f', '@@ -1,5 +1,5 @@', ' l0', '-l1', '+L1', ' l2', ' l3', ' l4', '@@ -16,5 +16,5 @@', ' l15', ' l16', ' l17', '-l18', '+L18', ' l19', ''].join('\n'),
    );
    const near = before.replace('l5\n', 'L5\n').replace('l11\n', 'L11\n');
    expect(unifiedDiff('f', 'f', before, near).match(/^@@/gm)).toHaveLength(1);
  });

  test('shows new and removed files against /dev/null', () => {
    expect(unifiedDiff(undefined, 'n.yaml', '', 'x\ny\n')).toBe(['--- /dev/null', '+++ b/n.yaml', '@@ -0,0 +1,2 @@', '+x', '+y', ''].join('\n'));
    expect(unifiedDiff('o.yaml', undefined, 'x\n', '')).toBe(['--- a/o.yaml', '+++ /dev/null', '@@ -1 +0,0 @@', '-x', ''].join('\n'));
  });

  test('marks a missing newline at the end of a file', () => {
    expect(unifiedDiff('f', 'f', 'a\nb\n', 'a\nb')).toBe(['--- a/f', '+++ b/f', '@@ -1,2 +1,2 @@', ' a', '-b', '+b', '\\ No newline at end of file', ''].join('\n'));
  });

  test('is empty for equal texts', () => {
    expect(unifiedDiff('f', 'f', 'a\n', 'a\n')).toBe('');
  });

  test('finds a shortest edit script', () => {
    const edits = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']);
    // Myers' paper example: the edit distance is 5
    expect(edits.filter((e) => e.op !== ' ')).toHaveLength(5);
  });

  test('produces patches that rebuild the new text, for 300 random pairs', () => {
    const next = random(42);
    for (let i = 0; i < 300; i++) {
      const before = randomText(next, Math.floor(next() * 30));
      const after = randomText(next, Math.floor(next() * 30));
      const patch = unifiedDiff('f', 'f', before, after);
      expect(patch === '' ? before : applyPatch(before, patch), `pair ${i}`).toBe(after);
    }
  });

  test('produces patches that git apply accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-diff-'));
    try {
      execFileSync('git', ['init', '-q', dir]);
      const next = random(7);
      for (let i = 0; i < 20; i++) {
        const before = randomText(next, 5 + Math.floor(next() * 40));
        const after = randomText(next, 5 + Math.floor(next() * 40));
        if (before === after) continue;
        writeFileSync(join(dir, 'f.yaml'), before);
        writeFileSync(join(dir, 'p.diff'), unifiedDiff('f.yaml', 'f.yaml', before, after));
        execFileSync('git', ['apply', 'p.diff'], { cwd: dir });
        expect(readFileSync(join(dir, 'f.yaml'), 'utf8'), `pair ${i}`).toBe(after);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shows a wholesale rewrite of a large file as removal and addition', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `old ${i}\n`).join('');
    const after = Array.from({ length: 3000 }, (_, i) => `new ${i}\n`).join('');
    const patch = unifiedDiff('big', 'big', before, after);
    expect(patch.split('\n').slice(0, 4)).toEqual(['--- a/big', '+++ b/big', '@@ -1,3000 +1,3000 @@', '-old 0']);
    expect(applyPatch(before, patch)).toBe(after);
  });
});

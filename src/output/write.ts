/**
 * Writes compiled folders to disk: only files whose content changed are written (overwritten
 * in place, which costs a third of recreating them), and files no longer produced are pruned.
 * Only the folders given are touched; everything else under the root is left alone.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DokkuGitopsError } from '../errors.js';

/** What a write changed, by path relative to the root. */
export interface WriteResult {
  readonly written: string[];
  readonly removed: string[];
  readonly unchanged: string[];
}

/** Resolves `path` inside `root`, refusing anything that would escape it. */
export function insideRoot(root: string, path: string): string {
  const full = resolve(root, path);
  const rel = relative(resolve(root), full);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || resolve(root, rel) !== full) {
    throw new DokkuGitopsError(`refusing to write ${JSON.stringify(path)}: it resolves outside ${root}`, 'input');
  }
  return full;
}

function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

function removeEmptyDirs(dir: string, stop: string): void {
  for (let d = dir; d.startsWith(stop) && d !== stop; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/**
 * Makes each folder under `root` hold exactly the given files.
 *
 * @param root the output root (a synth directory or a Git work tree)
 * @param folders folder (relative to root) -> file path (relative to root) -> content; a folder
 * mapped to an empty map is removed
 */
export function writeFolders(root: string, folders: ReadonlyMap<string, ReadonlyMap<string, string>>): WriteResult {
  const result: WriteResult = { written: [], removed: [], unchanged: [] };
  const absRoot = resolve(root);
  for (const [folder, files] of [...folders].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const absFolder = insideRoot(absRoot, folder);
    const wanted = new Set<string>();
    for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const full = insideRoot(absRoot, path);
      if (!full.startsWith(absFolder + sep)) {
        throw new DokkuGitopsError(`refusing to write ${JSON.stringify(path)}: it is outside its folder ${folder}`, 'input');
      }
      wanted.add(full);
      let current: string | undefined;
      try {
        current = readFileSync(full, 'utf8');
      } catch {
        current = undefined;
      }
      const rel = relative(absRoot, full);
      if (current === content) {
        result.unchanged.push(rel);
        continue;
      }
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      result.written.push(rel);
    }
    for (const existing of listFiles(absFolder).sort()) {
      if (wanted.has(existing)) continue;
      rmSync(existing, { force: true });
      result.removed.push(relative(absRoot, existing));
      removeEmptyDirs(dirname(existing), absRoot);
    }
  }
  return result;
}

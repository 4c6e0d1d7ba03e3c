/**
 * The writer: make parts of a work tree equal to a desired file tree, touching only files whose
 * content changes.
 *
 * Folders are replaced whole (files no longer produced are pruned), single files are written or
 * removed, and nothing else is read or written: a one-app deploy into a repository of 1000 apps
 * costs the same as into an empty one. Files are overwritten in place, never deleted and
 * recreated, so git re-hashes only what changed.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DokkuGitopsError } from '../errors.js';
import { resolveInside } from './_paths.js';
import type { FileTree } from './tree.js';

/** Plans with more files than this are written with many writes in flight. */
const PARALLEL_FROM = 64;

/** What part of a repository should look like. */
export interface TreeSpec {
  /**
   * Folders owned whole: afterwards each holds exactly the files of {@link files} under it
   * (an owned folder with no desired file is removed).
   */
  readonly folders: readonly string[];
  /** Desired files, repo-relative path to content: under an owned folder, or single files. */
  readonly files: FileTree;
  /**
   * Single files to remove when present.
   *
   * @default - none
   */
  readonly remove?: readonly string[];
}

/** The changes that make a work tree match a {@link TreeSpec}. */
export interface TreePlan {
  /** Files to create or overwrite, with their new content. */
  readonly write: FileTree;
  /** Files to remove. */
  readonly delete: readonly string[];
  /** Current content of every file the spec covers (owned folders, desired and removed files). */
  readonly before: FileTree;
  /** Content of the same part after the change. */
  readonly after: FileTree;
}

/**
 * Compare a spec with a work tree, reading only the owned folders and named files.
 *
 * @throws DokkuGitopsError ('input') for a path that escapes the root (see `resolveInside`), or
 *   a desired file that is also listed for removal
 */
export function planTree(root: string, spec: TreeSpec): TreePlan {
  const before: FileTree = {};
  // symlinks are never read through (they could point anywhere) and always removed
  const links = new Set<string>();
  for (const folder of spec.folders) {
    resolveInside(root, folder);
    for (const path of listFiles(root, folder, links)) before[path] = readFileSync(join(root, path), 'utf8');
  }
  const remove = spec.remove ?? [];
  for (const path of [...Object.keys(spec.files), ...remove]) {
    if (path in before || links.has(path)) continue;
    const abs = resolveInside(root, path);
    if (isSymlink(abs)) links.add(path);
    else {
      const content = readOptional(abs);
      if (content !== undefined) before[path] = content;
    }
  }
  for (const path of remove) {
    if (path in spec.files) throw new DokkuGitopsError(`output path '${path}' is both written and removed`, 'input');
  }
  const write: FileTree = {};
  for (const [path, content] of Object.entries(spec.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (before[path] !== content) write[path] = content;
  }
  const owned = (path: string) => spec.folders.some((f) => path.startsWith(`${f}/`));
  const deleted = [...Object.keys(before).filter((path) => !(path in spec.files) && (owned(path) || remove.includes(path))), ...links].sort();
  for (const path of links) if (path in spec.files) write[path] = spec.files[path]!;
  const after: FileTree = { ...before };
  for (const path of deleted) delete after[path];
  Object.assign(after, write);
  return { write, delete: deleted, before, after };
}

/**
 * Carry out a plan: remove files (and folders left empty), then write files in place.
 *
 * Small plans (one app) are written synchronously; large ones (a first deploy of many apps) with
 * many writes in flight, which spreads the kernel's cost of creating files over every core.
 *
 * @returns the paths written or removed, sorted
 */
export async function applyPlan(root: string, plan: TreePlan): Promise<string[]> {
  for (const path of plan.delete) {
    unlinkSync(resolveInside(root, path));
    // folders left empty would stay as clutter in the work tree (git does not track them)
    for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir)) {
      if (!removeIfEmpty(join(root, dir))) break;
    }
  }
  const writes = Object.entries(plan.write).map(([path, content]) => ({ abs: resolveInside(root, path), content }));
  if (writes.length <= PARALLEL_FROM) {
    for (const { abs, content } of writes) {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  } else {
    for (const dir of new Set(writes.map((w) => dirname(w.abs)))) mkdirSync(dir, { recursive: true });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < writes.length) {
        const { abs, content } = writes[next++]!;
        await writeFile(abs, content);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }
  return [...plan.delete, ...Object.keys(plan.write)].sort();
}

/** True when a plan changes nothing. */
export function isEmptyPlan(plan: TreePlan): boolean {
  return plan.delete.length === 0 && Object.keys(plan.write).length === 0;
}

/**
 * Repository-relative paths of the regular files under a folder, sorted; none when it does not
 * exist. Symlinks are not followed: they are added to `links` when given, and left out.
 */
export function listFiles(root: string, folder: string, links?: Set<string>): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (err) {
      if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
      throw err;
    }
    for (const e of entries) {
      const p = `${rel}/${e.name}`;
      if (e.isSymbolicLink()) links?.add(p);
      else if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(folder);
  return out.sort();
}

function isSymlink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
}

function readOptional(abs: string): string | undefined {
  try {
    return readFileSync(abs, 'utf8');
  } catch (err) {
    if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
}

function removeIfEmpty(abs: string): boolean {
  try {
    rmdirSync(abs);
    return true;
  } catch {
    return false;
  }
}

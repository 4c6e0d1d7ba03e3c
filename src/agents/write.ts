/**
 * Writes the cluster-level agent files into a folder (a checkout of the GitOps repository),
 * for `dokku-gitops agent`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { DokkuGitopsError } from '../errors.js';
import type { FileTree } from '../gitops/tree.js';
import { agentManifests, type AgentManifestsOptions } from './manifests.js';

/** Options of {@link writeAgentFiles}. */
export interface WriteAgentFilesOptions extends AgentManifestsOptions {
  /** The folder to write into: the root of a checkout of the GitOps repository. */
  readonly out: string;
}

/** The files written and the files that already had the right content. */
export interface WriteAgentFilesResult {
  /** Repo-relative paths written. */
  readonly written: string[];
  /** Repo-relative paths left as they were. */
  readonly unchanged: string[];
}

/**
 * Writes the files of {@link agentManifests} under `out`, touching only files whose content
 * differs, so that running it again changes nothing.
 *
 * @throws DokkuGitopsError ('input') for bad options, ('failure') when a file cannot be written
 */
export async function writeAgentFiles(o: WriteAgentFilesOptions): Promise<WriteAgentFilesResult> {
  const { out, ...options } = o;
  return writeFileTree(out, agentManifests(options));
}

/**
 * Writes a file tree under a folder, skipping files whose content is already right.
 *
 * @throws DokkuGitopsError ('input') for a path that would leave the folder
 */
export async function writeFileTree(out: string, tree: FileTree): Promise<WriteAgentFilesResult> {
  const root = resolve(out);
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [path, content] of Object.entries(tree)) {
    const target = resolve(root, path);
    const inside = relative(root, target);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || resolve(inside) === inside) {
      throw new DokkuGitopsError(`file path '${path}' escapes the output folder '${out}'`, 'input');
    }
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === content) {
      unchanged.push(path);
      continue;
    }
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    } catch (error) {
      throw new DokkuGitopsError(`cannot write '${target}': ${(error as Error).message}`, 'failure', { cause: error });
    }
    written.push(path);
  }
  return { written, unchanged };
}

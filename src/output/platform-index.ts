/**
 * `platform/kustomization.yaml`: the one entry point of everything cluster-wide, so that Flux's
 * `platform` Kustomization and Argo CD's `dokku-platform` Application both apply `platform/`.
 * It lists the sub-folders that exist (`charts` from `cluster platform`, `dokku` from `deploy`);
 * each writer of a sub-folder renders it anew from the sub-folders present, so concurrent writers
 * write the same bytes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { GENERATED_HEADER } from '../compile.js';
import { writeFolders, type WriteResult } from './write.js';

/** The path of the index, relative to the repository root. */
export const PLATFORM_INDEX = 'platform/kustomization.yaml';

/** The index listing these sub-folders of `platform/` (sorted, without duplicates). */
export function platformIndex(subfolders: Iterable<string>): string {
  const resources = [...new Set(subfolders)].sort();
  return `${GENERATED_HEADER}\n${Yaml.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources })}`;
}

/** The sub-folders of `<root>/platform/` that hold a kustomization. */
export function platformSubfolders(root: string): string[] {
  const dir = join(root, 'platform');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'kustomization.yaml')))
    .map((e) => e.name)
    .sort();
}

/**
 * Writes folders under `<root>/platform/` (see `writeFolders`), then brings the index up to
 * date with the sub-folders that exist afterwards.
 */
export function writePlatformFolders(root: string, folders: ReadonlyMap<string, ReadonlyMap<string, string>>): WriteResult {
  const result = writeFolders(root, folders);
  const index = platformIndex(platformSubfolders(root));
  const path = join(root, PLATFORM_INDEX);
  if (existsSync(path) && readFileSync(path, 'utf8') === index) {
    result.unchanged.push(PLATFORM_INDEX);
  } else {
    writeFileSync(path, index);
    result.written.push(PLATFORM_INDEX);
  }
  return result;
}

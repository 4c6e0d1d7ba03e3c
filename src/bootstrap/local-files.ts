/**
 * Local file output of the cluster commands: the platform files for `cluster platform --out`,
 * and the kubeconfig for `cluster kubeconfig --output` (mode 0600).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DokkuGitopsError } from '../errors.js';
import { GENERATED_HEADER, PLATFORM_DIR, type PlatformFile } from './platform.js';

/** What `writePlatformFiles` did, as paths relative to the output directory. */
export interface PlatformWriteResult {
  /** Files created or changed. */
  readonly written: readonly string[];
  /** Files already up to date. */
  readonly unchanged: readonly string[];
  /** Generated files from an earlier run that are no longer generated. */
  readonly removed: readonly string[];
}

/**
 * Write `files` under `outDir`: only files whose content changed, and remove files in
 * `platform/charts/` that start with the generated header but are no longer generated (for example
 * the ingress-nginx chart after switching to Traefik). Files without the header are never touched.
 *
 * @throws DokkuGitopsError (input) when a path would leave `outDir`
 */
export function writePlatformFiles(outDir: string, files: readonly PlatformFile[]): PlatformWriteResult {
  const root = resolve(outDir);
  const written: string[] = [];
  const unchanged: string[] = [];
  const removed: string[] = [];
  for (const file of files) {
    const target = resolve(root, file.path);
    if (target !== root && !target.startsWith(`${root}${sep}`)) throw new DokkuGitopsError(`'--out': ${JSON.stringify(file.path)} would be written outside ${JSON.stringify(root)}`, 'input');
    if (existsSync(target) && readFileSync(target, 'utf8') === file.content) {
      unchanged.push(file.path);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    written.push(file.path);
  }
  const chartsDir = join(root, PLATFORM_DIR);
  const wanted = new Set(files.map((f) => resolve(root, f.path)));
  if (existsSync(chartsDir)) {
    for (const name of readdirSync(chartsDir).sort()) {
      const path = join(chartsDir, name);
      if (!name.endsWith('.yaml') || wanted.has(path)) continue;
      if (readFileSync(path, 'utf8').startsWith(`${GENERATED_HEADER}\n`)) {
        rmSync(path);
        removed.push(relative(root, path).split(sep).join('/'));
      }
    }
  }
  return { written, unchanged, removed };
}

/** Write a secret file with mode 0600, tightening the mode of a file that already exists. */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  // create with 0600 so the secret is never readable by others, then fix an older file's mode
  const fd = openSync(path, 'w', 0o600);
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

/**
 * Local file output of the cluster commands: the kubeconfig for `cluster kubeconfig --output`
 * (mode 0600). (`cluster platform --out` writes through src/output/platform-index.ts.)
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileWhole } from '../files.js';

/** Write a secret file with mode 0600, whole, replacing (and so tightening) a file that exists. */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileWhole(path, content, { mode: 0o600, replace: true });
}

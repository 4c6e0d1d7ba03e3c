/**
 * Local file output of the cluster commands: the kubeconfig for `cluster kubeconfig --output`
 * (mode 0600). (`cluster platform --out` writes through src/output/platform-index.ts.)
 */
import { chmodSync, closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

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

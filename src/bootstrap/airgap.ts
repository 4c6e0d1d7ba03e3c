/**
 * Air-gap bundles: a local directory with the k3s binary, the images tarball and the install
 * script, copied to each node so that the installer runs with `INSTALL_K3S_SKIP_DOWNLOAD=true`.
 *
 * Expected layout (file names as on the k3s release page):
 * - `k3s` (amd64), `k3s-arm64` or `k3s-armhf`;
 * - `k3s-airgap-images-<arch>.tar`, `.tar.gz` or `.tar.zst`;
 * - `install.sh` (a copy of https://get.k3s.io).
 *
 * @see https://docs.k3s.io/installation/airgap
 */
import { posix, join } from 'node:path';
import { DokkuGitopsError } from '../errors.js';
import type { UploadFile } from './operator.js';
import { INSTALL_SCRIPT, K3S_PATHS } from './paths.js';

/** The files of a bundle chosen for one architecture (local paths). */
export interface AirgapBundle {
  /** The k3s binary. */
  readonly binary: string;
  /** The images tarballs. */
  readonly images: readonly string[];
  /** The install script. */
  readonly installScript: string;
}

/**
 * The k3s architecture name for the output of `uname -m`.
 *
 * @throws DokkuGitopsError (failure) for an architecture k3s does not ship
 */
export function k3sArch(unameMachine: string): 'amd64' | 'arm64' | 'arm' {
  const machine = unameMachine.trim();
  if (machine === 'x86_64' || machine === 'amd64') return 'amd64';
  if (machine === 'aarch64' || machine === 'arm64') return 'arm64';
  if (/^armv[67]/.test(machine) || machine === 'arm') return 'arm';
  throw new DokkuGitopsError(`unsupported architecture ${JSON.stringify(machine)}; k3s ships amd64, arm64 and arm`, 'failure');
}

/**
 * Choose the bundle's files for `arch` from the names in directory `dir`.
 *
 * @throws DokkuGitopsError (input) naming '--airgap-bundle' and what is missing
 */
export function resolveAirgapBundle(dir: string, names: readonly string[], arch: 'amd64' | 'arm64' | 'arm'): AirgapBundle {
  const binaryName = arch === 'amd64' ? (names.includes('k3s') ? 'k3s' : 'k3s-amd64') : arch === 'arm64' ? 'k3s-arm64' : 'k3s-armhf';
  const images = names.filter((n) => new RegExp(`^k3s-airgap-images-${arch}\\.tar(\\.gz|\\.zst)?$`).test(n)).sort();
  const problems: string[] = [];
  if (!names.includes(binaryName)) problems.push(`the k3s binary ${JSON.stringify(binaryName)}`);
  if (images.length === 0) problems.push(`an images tarball k3s-airgap-images-${arch}.tar[.gz|.zst]`);
  if (!names.includes('install.sh')) problems.push('the install script "install.sh"');
  if (problems.length > 0) throw new DokkuGitopsError(`'--airgap-bundle' ${JSON.stringify(dir)} lacks ${problems.join(', ')} for ${arch}`, 'input');
  return { binary: join(dir, binaryName), images: images.map((n) => join(dir, n)), installScript: join(dir, 'install.sh') };
}

/** Where each file of a bundle goes on the node, with its mode. */
export function airgapUploads(bundle: AirgapBundle): UploadFile[] {
  return [
    { path: K3S_PATHS.binary, mode: 0o755, localPath: bundle.binary },
    ...bundle.images.map((image) => ({ path: posix.join(K3S_PATHS.imagesDir, posix.basename(image)), mode: 0o644, localPath: image })),
    { path: INSTALL_SCRIPT, mode: 0o755, localPath: bundle.installScript },
  ];
}

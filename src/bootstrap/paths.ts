/**
 * Where k3s and the bootstrap keep their files on a node.
 *
 * Paths are node-absolute. File operations prefix them with the node's root directory (`/` on a
 * real node; a temporary directory in tests), while paths written *into* files (the token file in
 * config.yaml, the scheduler config in `kube-scheduler-arg`) stay node-absolute, the way a chroot
 * sees them.
 */
import { posix } from 'node:path';

/** Well-known paths on a k3s node. */
export const K3S_PATHS = {
  /** The k3s binary; install.sh's default `INSTALL_K3S_BIN_DIR`. */
  binary: '/usr/local/bin/k3s',
  /** The main k3s config file, read by every k3s start. */
  config: '/etc/rancher/k3s/config.yaml',
  /** Drop-in config files, read after config.yaml in alphabetical order. */
  configDir: '/etc/rancher/k3s/config.yaml.d',
  /** The join token this tool writes (mode 0600) and points `token-file` at. */
  tokenFile: '/etc/rancher/k3s/dokku-gitops.token',
  /** The cluster's secure token, written by the first server (`K10<ca hash>::server:<secret>`). */
  serverToken: '/var/lib/rancher/k3s/server/token',
  /** The admin kubeconfig k3s writes on servers. */
  kubeconfig: '/etc/rancher/k3s/k3s.yaml',
  /** Air-gap images tarballs are imported from here at start. */
  imagesDir: '/var/lib/rancher/k3s/agent/images',
  /** Where the install script is staged (removed with the data directory by uninstall). */
  stagingDir: '/var/lib/rancher/k3s/dokku-gitops',
  /** The systemd unit directory install.sh writes to. */
  systemdDir: '/etc/systemd/system',
  /** KubeSchedulerConfiguration files written by `scheduler-extender enable`. */
  schedulerConfigDir: '/etc/rancher/k3s/scheduler',
  /** The kubeconfig k3s writes for its embedded scheduler. */
  schedulerKubeconfig: '/var/lib/rancher/k3s/server/cred/scheduler.kubeconfig',
} as const;

/** The staged install script. */
export const INSTALL_SCRIPT = `${K3S_PATHS.stagingDir}/install.sh`;

/**
 * The path a file operation uses for node path `path` under root directory `root`.
 *
 * @example onNode('/tmp/node1', '/etc/rancher/k3s/config.yaml') // => '/tmp/node1/etc/rancher/k3s/config.yaml'
 */
export function onNode(root: string, path: string): string {
  if (!root.startsWith('/')) throw new Error(`onNode: root must be absolute, got ${JSON.stringify(root)}`);
  return posix.join(root, path);
}

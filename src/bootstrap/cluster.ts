/**
 * The cluster commands: install the first k3s server, join nodes over SSH, list and remove
 * nodes, fetch a kubeconfig usable from outside, and uninstall. Every command they run is built by
 * the pure functions in `commands.ts` and runs through a `CommandOperator`.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { DokkuGitopsError, InputError } from '../errors.js';
import { poll, type PollOptions, readOptionalFile, readRequiredFile, run } from './_run.js';
import { airgapUploads, k3sArch, resolveAirgapBundle } from './airgap.js';
import { IngressClass, NodeRole } from './choices.js';
import {
  archCommand,
  downloadInstallerCommand,
  hostAddressesCommand,
  installCommand,
  isExecutableCommand,
  kubectlCommand,
  uninstallCommand,
  k3sVersionCommand,
} from './commands.js';
import {
  clusterWideSettings,
  configDifferences,
  initServerConfig,
  joinConfig,
  type K3sConfig,
  nodeNameFor,
  parseK3sConfig,
  REMOTE_HOST_ANNOTATION,
  renderK3sConfig,
  WORKER_ROLE_LABEL,
} from './k3s-config.js';
import { rewriteKubeconfig } from './kubeconfig.js';
import { parseK3sVersionOutput } from './scheduler-config.js';
import { type StepLogger, NopStepLogger, step } from './logger.js';
import { type ClusterNode, lowestServerVersion, parseNode, parseNodeList } from './nodes.js';
import type { CommandOperator } from './operator.js';
import { K3S_PATHS } from './paths.js';
import { parseSshUrl, type SshTarget } from './ssh-target.js';
import { checkHost, checkIp, checkK3sVersion, checkKubeletArg, checkLabel, checkNodeName, compareK3sVersions } from './validate.js';

/** Options every cluster command takes. */
export interface ClusterRunOptions {
  /**
   * Receives each step.
   *
   * @default - a logger that drops everything
   */
  readonly logger?: StepLogger;
  /**
   * How long and how often to wait for nodes to become ready.
   *
   * @default - 300 s, every 2 s
   */
  readonly poll?: PollOptions;
}

/** Options shared by `cluster init` and `cluster add`. */
export interface ClusterInstallOptions extends ClusterRunOptions {
  /**
   * Taint servers `CriticalAddonsOnly=true:NoSchedule` so only critical add-ons run on them.
   *
   * @default false
   */
  readonly taintScheduling?: boolean;
  /**
   * The k3s release to install, for example `v1.30.4+k3s1`.
   *
   * @default - `init`: the installer's stable channel; `add`: the lowest server version
   */
  readonly k3sVersion?: string;
  /**
   * `key=value` kubelet arguments.
   *
   * @default []
   */
  readonly kubeletArgs?: readonly string[];
  /**
   * `key=value` node labels.
   *
   * @default []
   */
  readonly labels?: readonly string[];
  /**
   * A local directory with the k3s binary, images tarball and install script; the node then
   * downloads nothing.
   *
   * @default - the node downloads the install script and k3s
   */
  readonly airgapBundle?: string;
  /**
   * Random hex for node names and the join token; tests make it deterministic.
   *
   * @default - crypto.randomBytes
   */
  readonly randomHex?: (bytes: number) => string;
}

/** Options of `initCluster`. */
export interface ClusterInitOptions extends ClusterInstallOptions {
  /**
   * The address clients and joining nodes use for this server; added to the certificate.
   *
   * @default - the first address `hostname -I` prints
   */
  readonly serverIp?: string;
  /**
   * The ingress controller; `nginx` disables the bundled Traefik.
   *
   * @default IngressClass.nginx()
   */
  readonly ingressClass?: IngressClass;
  /**
   * More names and addresses for the API server certificate.
   *
   * @default []
   */
  readonly tlsSans?: readonly string[];
}

/** Options of `addNode`. */
export interface ClusterAddOptions extends ClusterInstallOptions {
  /** The node's SSH address, recorded in the `dokku.com/remote-host` annotation and used for its name. */
  readonly target: SshTarget;
  /**
   * Join as a server or a worker.
   *
   * @default NodeRole.worker()
   */
  readonly role?: NodeRole;
  /**
   * The address of the server to join.
   *
   * @default - the InternalIP of the first ready server
   */
  readonly serverIp?: string;
}

/** What `initCluster` or `addNode` did. */
export interface NodeInstallResult {
  /** The node's name in the cluster. */
  readonly nodeName: string;
  /** False when k3s was already installed with the same settings and nothing was changed. */
  readonly changed: boolean;
  /** The k3s version requested from the installer, if pinned. */
  readonly version?: string;
}

function defaultRandomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function checkList(field: string, values: readonly string[] | undefined, check: (field: string, value: string) => string | undefined): string[] {
  return (values ?? []).flatMap((v) => {
    const problem = check(field, v);
    return problem ? [problem] : [];
  });
}

/** Every problem with the options of `cluster init`, as messages naming the flags. */
export function checkInitOptions(options: ClusterInitOptions): string[] {
  return [
    ...(options.serverIp !== undefined ? checkList("'--server-ip'", [options.serverIp], checkIp) : []),
    ...(options.k3sVersion !== undefined ? checkList("'--k3s-version'", [options.k3sVersion], checkK3sVersion) : []),
    ...checkList("'--kubelet-args'", options.kubeletArgs, checkKubeletArg),
    ...checkList("'--tls-san'", options.tlsSans, checkHost),
    ...checkList("'--label'", options.labels, checkLabel),
  ];
}

/** Every problem with the options of `cluster add`, as messages naming the flags. */
export function checkAddOptions(options: ClusterAddOptions): string[] {
  const role = options.role ?? NodeRole.worker();
  return [
    ...(options.taintScheduling && !role.isServer ? [`'--taint-scheduling' is allowed only with '--role server', got '--role ${role.name}'`] : []),
    ...(options.serverIp !== undefined ? checkList("'--server-ip'", [options.serverIp], checkIp) : []),
    ...(options.k3sVersion !== undefined ? checkList("'--k3s-version'", [options.k3sVersion], checkK3sVersion) : []),
    ...checkList("'--kubelet-args'", options.kubeletArgs, checkKubeletArg),
    ...checkList("'--label'", options.labels, checkLabel),
  ];
}

/** The first address `hostname -I` printed, preferring IPv4. */
export function firstAddress(hostnameOutput: string): string | undefined {
  const addresses = hostnameOutput.trim().split(/\s+/).filter((a) => isIP(a) !== 0);
  return addresses.find((a) => isIP(a) === 4) ?? addresses[0];
}

function serverUrl(ip: string): string {
  return `https://${isIP(ip) === 6 ? `[${ip}]` : ip}:6443`;
}

/**
 * Stages the installer; in air-gap mode also checks the bundle's k3s binary. The installer
 * ignores `INSTALL_K3S_VERSION` when it skips the download, so the binary decides the version: a
 * bundle of another version than the one the node must run (the lowest server's, or
 * `--k3s-version`) is refused before anything is installed.
 */
async function stageInstaller(operator: CommandOperator, airgapBundle: string | undefined, logger: StepLogger, version?: string): Promise<void> {
  if (airgapBundle === undefined) {
    await step(logger, `downloading the k3s install script on ${operator.target}`, () => run(operator, downloadInstallerCommand(operator), 'downloading https://get.k3s.io'));
    return;
  }
  const arch = k3sArch((await run(operator, archCommand(), 'reading the architecture')).stdout);
  let names: string[];
  try {
    names = readdirSync(airgapBundle);
  } catch (err) {
    throw new DokkuGitopsError(`'--airgap-bundle': cannot read ${JSON.stringify(airgapBundle)}: ${(err as Error).message}`, 'input');
  }
  const bundle = resolveAirgapBundle(airgapBundle, names, arch);
  for (const file of airgapUploads(bundle)) {
    await step(logger, `copying ${file.localPath} to ${operator.target}:${file.path}`, () => operator.upload(file));
  }
  if (version !== undefined) {
    const bundled = parseK3sVersionOutput((await run(operator, k3sVersionCommand(operator), 'reading the version of the bundled k3s')).stdout);
    if (bundled !== version) {
      throw new DokkuGitopsError(
        `'--airgap-bundle': its k3s is ${bundled}, but ${operator.target} must run ${version} (the installer ignores INSTALL_K3S_VERSION in air-gap mode); use a bundle of ${version}`,
        'input',
      );
    }
  }
}

async function waitForNode(control: CommandOperator, nodeName: string, options: ClusterRunOptions): Promise<ClusterNode> {
  return poll<ClusterNode>(
    control,
    `node ${nodeName} to become Ready`,
    async () => {
      const result = await control.execute(kubectlCommand(control, ['get', 'node', nodeName, '-o', 'json']));
      if (result.exitCode !== 0) return { reason: result.stderr.trim() || `kubectl exited ${result.exitCode}` };
      const node = parseNode(result.stdout);
      return node.ready ? { value: node } : { reason: 'the node is registered but not Ready' };
    },
    options.poll,
  );
}

async function writeTokenAndConfig(operator: CommandOperator, token: string | undefined, config: K3sConfig, logger: StepLogger): Promise<void> {
  if (token !== undefined) {
    await step(logger, `writing the join token to ${operator.target}:${K3S_PATHS.tokenFile} (mode 0600)`, () => operator.upload({ path: K3S_PATHS.tokenFile, mode: 0o600, content: `${token}\n` }));
  }
  await step(logger, `writing ${operator.target}:${K3S_PATHS.config}`, () => operator.upload({ path: K3S_PATHS.config, mode: 0o600, content: renderK3sConfig(config) }));
}

/**
 * Install the first k3s server on the node behind `operator` (this machine for the CLI): embedded
 * etcd, a generated join token in a 0600 file, every setting in `/etc/rancher/k3s/config.yaml`.
 * Re-running with the same options changes nothing; with different ones it refuses.
 *
 * @throws InputError for invalid options; DokkuGitopsError when a step fails
 */
export async function initCluster(operator: CommandOperator, options: ClusterInitOptions = {}): Promise<NodeInstallResult> {
  const problems = checkInitOptions(options);
  if (problems.length > 0) throw new InputError(problems);
  const logger = options.logger ?? new NopStepLogger();
  const randomHex = options.randomHex ?? defaultRandomHex;

  let serverIp = options.serverIp;
  if (serverIp === undefined) {
    serverIp = firstAddress((await run(operator, hostAddressesCommand(), 'listing the addresses')).stdout);
    if (serverIp === undefined) throw new DokkuGitopsError(`${operator.target}: cannot find an address for the server; pass '--server-ip'`, 'input');
  }

  const unit = `${K3S_PATHS.systemdDir}/k3s.service`;
  const installed = (await readOptionalFile(operator, unit)) !== undefined;
  const existingText = await readOptionalFile(operator, K3S_PATHS.config);
  const existing = existingText !== undefined ? parseK3sConfig(existingText, `${operator.target}:${K3S_PATHS.config}`) : undefined;
  const existingName = typeof existing?.['node-name'] === 'string' ? existing['node-name'] : undefined;
  const nodeName = existingName ?? nodeNameFor(serverIp, randomHex(5));
  const desired = initServerConfig({ ...options, serverIp, nodeName });

  if (installed) {
    if (existing === undefined) {
      throw new DokkuGitopsError(`${operator.target}: k3s is installed (${unit}) but has no ${K3S_PATHS.config}; it was not installed by dokku-gitops, run its k3s-uninstall.sh first`, 'input');
    }
    const differences = configDifferences(existing, desired);
    if (differences.length > 0) {
      throw new DokkuGitopsError(`${operator.target}: k3s is already installed with different settings (${differences.join(', ')}); pass the same flags as before, or run 'dokku-gitops cluster uninstall' first`, 'input');
    }
    logger.success(`k3s is already installed on ${operator.target} with these settings`);
    await step(logger, `waiting for node ${nodeName} to become Ready`, () => waitForNode(operator, nodeName, options));
    return { nodeName, changed: false, ...(options.k3sVersion !== undefined ? { version: options.k3sVersion } : {}) };
  }

  await stageInstaller(operator, options.airgapBundle, logger, options.k3sVersion);
  const existingToken = await readOptionalFile(operator, K3S_PATHS.tokenFile);
  await writeTokenAndConfig(operator, existingToken === undefined ? randomHex(16) : undefined, desired, logger);
  await step(logger, `installing k3s server on ${operator.target}`, () =>
    run(operator, installCommand(operator, { role: NodeRole.server(), airgap: options.airgapBundle !== undefined, ...(options.k3sVersion !== undefined ? { version: options.k3sVersion } : {}) }), 'installing k3s'),
  );
  await step(logger, `waiting for node ${nodeName} to become Ready`, () => waitForNode(operator, nodeName, options));
  return { nodeName, changed: true, ...(options.k3sVersion !== undefined ? { version: options.k3sVersion } : {}) };
}

/** List the cluster's nodes through the server behind `control`, sorted by name. */
export async function listNodes(control: CommandOperator): Promise<ClusterNode[]> {
  const result = await run(control, kubectlCommand(control, ['get', 'nodes', '-o', 'json']), 'listing nodes');
  return parseNodeList(result.stdout);
}

/**
 * Join the node behind `node` (an SSH operator) to the cluster whose server is behind `control`.
 * The k3s version is pinned to the lowest server version; settings go to the node's config.yaml;
 * servers copy the cluster-wide settings of `control`'s config. Afterwards the node is labelled
 * (`node-role.kubernetes.io/worker=worker` for workers) and annotated with its SSH address.
 *
 * @throws InputError for invalid options; DokkuGitopsError when a step fails
 */
export async function addNode(control: CommandOperator, node: CommandOperator, options: ClusterAddOptions): Promise<NodeInstallResult> {
  const problems = checkAddOptions(options);
  if (problems.length > 0) throw new InputError(problems);
  const logger = options.logger ?? new NopStepLogger();
  const role = options.role ?? NodeRole.worker();
  const randomHex = options.randomHex ?? defaultRandomHex;

  const token = (await readRequiredFile(control, K3S_PATHS.serverToken, "is this machine a k3s server? run 'dokku-gitops cluster init' first")).trim();
  const nodes = await listNodes(control);
  const lowest = lowestServerVersion(nodes);
  const version = options.k3sVersion ?? lowest;
  if (version === undefined) throw new DokkuGitopsError(`${control.target}: the cluster has no server nodes to join`, 'failure');
  if (lowest !== undefined && compareK3sVersions(version, lowest) > 0) {
    // a kubelet newer than the API server is not supported; a newer server is how upgrades start
    if (!role.isServer) {
      throw new DokkuGitopsError(`'--k3s-version' ${version} is newer than the oldest server (${lowest}); a worker must not be newer than the servers: upgrade the servers first, or omit '--k3s-version'`, 'input');
    }
    logger.warning(`'--k3s-version' ${version} is newer than the oldest server (${lowest}); k3s supports nodes no newer than the servers, so upgrade the servers first`);
  }
  let serverIp = options.serverIp;
  if (serverIp === undefined) {
    serverIp = nodes.find((n) => n.isServer && n.ready && n.internalIp !== undefined)?.internalIp;
    if (serverIp === undefined) throw new DokkuGitopsError(`${control.target}: no ready server reports an InternalIP; pass '--server-ip'`, 'input');
  }
  const controlConfig = role.isServer ? parseK3sConfig(await readRequiredFile(control, K3S_PATHS.config, "run 'dokku-gitops cluster init' first"), `${control.target}:${K3S_PATHS.config}`) : {};

  const unit = `${K3S_PATHS.systemdDir}/${role.serviceName}.service`;
  const installed = (await readOptionalFile(node, unit)) !== undefined;
  const existingText = await readOptionalFile(node, K3S_PATHS.config);
  const existing = existingText !== undefined ? parseK3sConfig(existingText, `${node.target}:${K3S_PATHS.config}`) : undefined;
  const existingName = typeof existing?.['node-name'] === 'string' ? existing['node-name'] : undefined;
  const nodeName = existingName ?? nodeNameFor(options.target.host, randomHex(5));
  const desired = joinConfig({
    role,
    server: serverUrl(serverIp),
    nodeName,
    ...(options.taintScheduling !== undefined ? { taintScheduling: options.taintScheduling } : {}),
    ...(options.kubeletArgs !== undefined ? { kubeletArgs: options.kubeletArgs } : {}),
    ...(options.labels !== undefined ? { labels: options.labels } : {}),
    clusterSettings: clusterWideSettings(controlConfig),
  });

  let changed = false;
  if (installed) {
    if (existing === undefined) {
      throw new DokkuGitopsError(`${node.target}: k3s is installed (${unit}) but has no ${K3S_PATHS.config}; it was not installed by dokku-gitops, run its uninstall script first`, 'input');
    }
    const differences = configDifferences(existing, desired);
    if (differences.length > 0) {
      throw new DokkuGitopsError(`${node.target}: k3s is already installed with different settings (${differences.join(', ')}); run 'dokku-gitops cluster remove ${nodeName}' first`, 'input');
    }
    logger.success(`k3s is already installed on ${node.target} as ${role.name} ${nodeName}`);
  } else {
    await stageInstaller(node, options.airgapBundle, logger, version);
    await writeTokenAndConfig(node, token, desired, logger);
    await step(logger, `installing k3s ${role.k3sCommand} ${version} on ${node.target}`, () =>
      run(node, installCommand(node, { role, version, airgap: options.airgapBundle !== undefined }), 'installing k3s'),
    );
    changed = true;
  }

  await step(logger, `waiting for node ${nodeName} to become Ready`, () => waitForNode(control, nodeName, options));
  if (!role.isServer) {
    await step(logger, `labelling ${nodeName} ${WORKER_ROLE_LABEL}`, () => run(control, kubectlCommand(control, ['label', 'node', nodeName, WORKER_ROLE_LABEL, '--overwrite']), 'labelling the node'));
  }
  await step(logger, `annotating ${nodeName} ${REMOTE_HOST_ANNOTATION}=${node.target}`, () =>
    run(control, kubectlCommand(control, ['annotate', 'node', nodeName, `${REMOTE_HOST_ANNOTATION}=${node.target}`, '--overwrite']), 'annotating the node'),
  );
  return { nodeName, changed, version };
}

/** Options of `removeNode`. */
export interface ClusterRemoveOptions extends ClusterRunOptions {
  /**
   * How long `kubectl drain` may take, in seconds.
   *
   * @default 300
   */
  readonly drainTimeoutSeconds?: number;
}

/**
 * Remove a node added with `cluster add`: cordon and drain it, delete the Node (which also removes
 * an etcd member), then run the right uninstall script on it over SSH. `connect` opens the SSH
 * operator for the address in the node's `dokku.com/remote-host` annotation.
 *
 * @throws InputError for an invalid or unknown node, or one that was not added over SSH
 */
export async function removeNode(control: CommandOperator, nodeName: string, connect: (target: SshTarget) => CommandOperator, options: ClusterRemoveOptions = {}): Promise<void> {
  const nameProblem = checkNodeName('node', nodeName);
  if (nameProblem) throw new InputError([nameProblem]);
  const logger = options.logger ?? new NopStepLogger();
  const got = await control.execute(kubectlCommand(control, ['get', 'node', nodeName, '-o', 'json']));
  if (got.exitCode !== 0) {
    if (/NotFound|not found/.test(got.stderr)) throw new DokkuGitopsError(`node ${JSON.stringify(nodeName)} is not in the cluster; see 'dokku-gitops cluster list'`, 'input');
    throw new DokkuGitopsError(`${control.target}: reading node ${nodeName} failed (exit ${got.exitCode}): ${got.stderr.trim()}`, 'failure');
  }
  const node = parseNode(got.stdout);
  if (node.remoteHost === undefined) {
    throw new DokkuGitopsError(`node ${JSON.stringify(nodeName)} has no ${REMOTE_HOST_ANNOTATION} annotation, so it was not added with 'cluster add'; remove it by hand`, 'input');
  }
  const target = parseSshUrl(node.remoteHost, `node ${nodeName} annotation ${REMOTE_HOST_ANNOTATION}`);
  const role = node.isServer ? NodeRole.server() : NodeRole.worker();

  await step(logger, `cordoning ${nodeName}`, () => run(control, kubectlCommand(control, ['cordon', nodeName]), 'cordoning the node'));
  await step(logger, `draining ${nodeName}`, () =>
    run(control, kubectlCommand(control, ['drain', nodeName, '--ignore-daemonsets', '--delete-emptydir-data', `--timeout=${options.drainTimeoutSeconds ?? 300}s`]), 'draining the node'),
  );
  await step(logger, `deleting node ${nodeName}`, () => run(control, kubectlCommand(control, ['delete', 'node', nodeName]), 'deleting the node'));
  const remote = connect(target);
  try {
    await step(logger, `uninstalling k3s ${role.k3sCommand} on ${remote.target}`, async () => {
      if ((await remote.execute(isExecutableCommand(remote, role.uninstallScript))).exitCode !== 0) {
        logger.warning(`${remote.target}: ${role.uninstallScript} does not exist; k3s is already uninstalled`);
        return;
      }
      await run(remote, uninstallCommand(remote, role), `running ${role.uninstallScript}`);
    });
  } finally {
    await remote.close();
  }
}

/** Options of `fetchKubeconfig`. */
export interface ClusterKubeconfigOptions {
  /**
   * The host clients should use.
   *
   * @default - the first `tls-san` of the server's config.yaml, else its first address
   */
  readonly serverIp?: string;
  /**
   * The name for the cluster, user and context.
   *
   * @default - k3s's `default`
   */
  readonly name?: string;
}

/**
 * The admin kubeconfig of the server behind `control`, with the server address replaced by one
 * reachable from outside.
 */
export async function fetchKubeconfig(control: CommandOperator, options: ClusterKubeconfigOptions = {}): Promise<string> {
  if (options.serverIp !== undefined) {
    const problem = checkHost("'--server-ip'", options.serverIp);
    if (problem) throw new InputError([problem]);
  }
  const text = await readRequiredFile(control, K3S_PATHS.kubeconfig, "is this machine a k3s server? run 'dokku-gitops cluster init' first");
  let host = options.serverIp;
  if (host === undefined) {
    const configText = await readOptionalFile(control, K3S_PATHS.config);
    const sans = configText !== undefined ? parseK3sConfig(configText, `${control.target}:${K3S_PATHS.config}`)['tls-san'] : undefined;
    host = Array.isArray(sans) && typeof sans[0] === 'string' ? sans[0] : firstAddress((await run(control, hostAddressesCommand(), 'listing the addresses')).stdout);
    if (host === undefined) throw new DokkuGitopsError(`${control.target}: cannot find an address for the server; pass '--server-ip'`, 'input');
  }
  return rewriteKubeconfig(text, { host, ...(options.name !== undefined ? { name: options.name } : {}) });
}

/**
 * Uninstall k3s from the node behind `operator` with the uninstall script install.sh wrote
 * (server or agent). Returns false when k3s is not installed.
 */
export async function uninstallNode(operator: CommandOperator, options: ClusterRunOptions = {}): Promise<boolean> {
  const logger = options.logger ?? new NopStepLogger();
  for (const role of [NodeRole.server(), NodeRole.worker()]) {
    if ((await operator.execute(isExecutableCommand(operator, role.uninstallScript))).exitCode !== 0) continue;
    await step(logger, `uninstalling k3s ${role.k3sCommand} on ${operator.target}`, () => run(operator, uninstallCommand(operator, role), `running ${role.uninstallScript}`));
    return true;
  }
  logger.success(`k3s is not installed on ${operator.target}; nothing to do`);
  return false;
}

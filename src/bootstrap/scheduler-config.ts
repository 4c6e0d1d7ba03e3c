/**
 * The scheduler extender's files: the KubeSchedulerConfiguration (its apiVersion chosen by the
 * node's Kubernetes version), the k3s config drop-in that passes it to the embedded scheduler,
 * and k3s's rules for merging `kube-scheduler-arg` across config files.
 *
 * @see https://kubernetes.io/docs/reference/scheduling/config/
 * @see https://docs.k3s.io/installation/configuration#multiple-config-files
 */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import { DokkuGitopsError } from '../errors.js';
import { K3S_PATHS } from './paths.js';
import { parseK3sVersion } from './validate.js';

/** Options of the extender entry in the KubeSchedulerConfiguration. */
export interface SchedulerExtenderConfig {
  /** The extender's URL prefix, for example `http://127.0.0.1:8889`. */
  readonly url: string;
  /**
   * The verb of the filter call; empty for none.
   *
   * @default 'filter'
   */
  readonly filterVerb?: string;
  /**
   * The verb of the prioritize call; empty for none.
   *
   * @default 'prioritize'
   */
  readonly prioritizeVerb?: string;
  /**
   * The weight of the extender's priorities (used with `prioritizeVerb`).
   *
   * @default 1
   */
  readonly weight?: number;
  /**
   * Schedule pods anyway when the extender cannot be reached.
   *
   * @default false
   */
  readonly ignorable?: boolean;
  /**
   * The timeout of each call, as a Go duration.
   *
   * @default '15s'
   */
  readonly httpTimeout?: string;
  /**
   * The extender caches node information, so the scheduler sends node names only.
   *
   * @default false
   */
  readonly nodeCacheCapable?: boolean;
}

/** The files of one extender on a node (node-absolute paths). */
export interface ExtenderPaths {
  /** The k3s config drop-in: `/etc/rancher/k3s/config.yaml.d/<name>.yaml`. */
  readonly dropIn: string;
  /** The KubeSchedulerConfiguration: `/etc/rancher/k3s/scheduler/<name>.yaml`. */
  readonly config: string;
  /** The record of a unit-file edit: `/etc/rancher/k3s/scheduler/<name>.unit-edit.json`. */
  readonly unitEditRecord: string;
}

/** Where the files of extender `name` live. */
export function extenderPaths(name: string): ExtenderPaths {
  return {
    dropIn: posix.join(K3S_PATHS.configDir, `${name}.yaml`),
    config: posix.join(K3S_PATHS.schedulerConfigDir, `${name}.yaml`),
    unitEditRecord: posix.join(K3S_PATHS.schedulerConfigDir, `${name}.unit-edit.json`),
  };
}

/** The `kube-scheduler-arg` value that points the scheduler at `configPath`. */
export function schedulerConfigArg(configPath: string): string {
  return `config=${configPath}`;
}

/** The k3s command-line flag the unit-file method adds. */
export function schedulerConfigFlag(configPath: string): string {
  return `--kube-scheduler-arg=${schedulerConfigArg(configPath)}`;
}

/**
 * The Kubernetes version in `k3s --version` output (`k3s version v1.30.4+k3s1 (abc123)`).
 *
 * @throws DokkuGitopsError (failure) when the output has no version
 */
export function parseK3sVersionOutput(output: string): string {
  const match = /k3s version (v\d+\.\d+\.\d+\S*)/.exec(output);
  if (!match) throw new DokkuGitopsError(`cannot read the k3s version from ${JSON.stringify(output.trim().slice(0, 120))}`, 'failure');
  return match[1]!;
}

/**
 * The KubeSchedulerConfiguration apiVersion for a Kubernetes version: `v1beta1` up to 1.22,
 * `v1beta3` for 1.23 to 1.28, `v1` from 1.29 (v1beta3 was removed in 1.29; `v1` exists since 1.25).
 *
 * @throws DokkuGitopsError (failure) for versions before 1.19, which have no usable version, or an
 *   unparseable version
 */
export function schedulerConfigApiVersion(kubernetesVersion: string): string {
  const version = parseK3sVersion(kubernetesVersion.startsWith('v') ? kubernetesVersion : `v${kubernetesVersion}`);
  if (!version || version.major !== 1) throw new DokkuGitopsError(`cannot choose a KubeSchedulerConfiguration version for Kubernetes ${JSON.stringify(kubernetesVersion)}`, 'failure');
  if (version.minor < 19) throw new DokkuGitopsError(`Kubernetes ${kubernetesVersion} is too old: the scheduler extender needs 1.19 or later (k3s config files need v1.19.1+k3s1)`, 'failure');
  if (version.minor <= 22) return 'kubescheduler.config.k8s.io/v1beta1';
  if (version.minor <= 28) return 'kubescheduler.config.k8s.io/v1beta3';
  return 'kubescheduler.config.k8s.io/v1';
}

/** The KubeSchedulerConfiguration object for one extender. */
export function schedulerConfiguration(apiVersion: string, options: SchedulerExtenderConfig): Record<string, unknown> {
  const filterVerb = options.filterVerb ?? 'filter';
  const prioritizeVerb = options.prioritizeVerb ?? 'prioritize';
  const extender: Record<string, unknown> = { urlPrefix: options.url };
  if (filterVerb !== '') extender.filterVerb = filterVerb;
  if (prioritizeVerb !== '') {
    extender.prioritizeVerb = prioritizeVerb;
    extender.weight = options.weight ?? 1;
  }
  extender.enableHTTPS = options.url.startsWith('https:');
  extender.nodeCacheCapable = options.nodeCacheCapable ?? false;
  extender.ignorable = options.ignorable ?? false;
  extender.httpTimeout = options.httpTimeout ?? '15s';
  return {
    apiVersion,
    kind: 'KubeSchedulerConfiguration',
    // with --config the scheduler ignores k3s's --kubeconfig flag, so the config names it
    clientConnection: { kubeconfig: K3S_PATHS.schedulerKubeconfig },
    leaderElection: { leaderElect: true },
    extenders: [extender],
  };
}

/** The KubeSchedulerConfiguration file for extender `name`, as YAML with a header. */
export function renderSchedulerConfiguration(name: string, apiVersion: string, options: SchedulerExtenderConfig): string {
  return `# Written by 'dokku-gitops cluster scheduler-extender enable' (${name}); 'disable' removes it.\n${stringify(schedulerConfiguration(apiVersion, options), { lineWidth: 0 })}`;
}

/** The k3s config drop-in that appends `config=<configPath>` to the scheduler's arguments. */
export function renderSchedulerDropIn(name: string, configPath: string): string {
  return `# Written by 'dokku-gitops cluster scheduler-extender enable' (${name}); 'disable' removes it.\n# The '+' appends to kube-scheduler-arg from earlier files instead of replacing it.\n${stringify({ 'kube-scheduler-arg+': [schedulerConfigArg(configPath)] }, { lineWidth: 0 })}`;
}

/** One value of a repeatable k3s flag and the file it came from. */
export interface ConfigArg {
  /** The value, for example `config=/etc/rancher/k3s/scheduler/x.yaml`. */
  readonly value: string;
  /** The node path of the file that set it. */
  readonly source: string;
}

/**
 * The values k3s ends up with for repeatable flag `key` from its config files, following k3s's
 * rules: files are read as config.yaml, then config.yaml.d/*.yaml in alphabetical order; `key:`
 * replaces what earlier files set, `key+:` appends. `parse` turns a file into a mapping.
 */
export function mergedConfigArgs(files: readonly { path: string; content: string }[], key: string, parse: (text: string, where: string) => Record<string, unknown>): ConfigArg[] {
  const main = files.filter((f) => f.path === K3S_PATHS.config);
  const dropIns = files.filter((f) => f.path.startsWith(`${K3S_PATHS.configDir}/`)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let values: ConfigArg[] = [];
  for (const file of [...main, ...dropIns]) {
    const config = parse(file.content, file.path);
    const toList = (v: unknown): ConfigArg[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x) => ({ value: String(x), source: file.path }));
    if (key in config) values = toList(config[key]);
    if (`${key}+` in config) values = [...values, ...toList(config[`${key}+`])];
  }
  return values;
}

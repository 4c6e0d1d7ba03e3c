/**
 * The k3s config file, `/etc/rancher/k3s/config.yaml`. Every setting the bootstrap chooses goes
 * here rather than onto install.sh's command line, because install.sh rewrites the systemd unit
 * (and so its flags) on every upgrade, while it never touches this file.
 *
 * @see https://docs.k3s.io/installation/configuration#configuration-file
 */
import { isIP } from 'node:net';
import { parse, stringify } from 'yaml';
import { DokkuGitopsError } from '../errors.js';
import { IngressClass, type NodeRole } from './choices.js';
import { K3S_PATHS } from './paths.js';

/** A k3s config: flag names without `--`, in the order they are written. */
export type K3sConfig = Readonly<Record<string, string | boolean | readonly string[]>>;

/** The label k3s's ServiceLB uses to choose the nodes that answer LoadBalancer services (Dokku labels servers). */
export const ENABLE_LB_LABEL = 'svccontroller.k3s.cattle.io/enablelb=true';

/** The taint `--taint-scheduling` puts on servers so that only critical add-ons run there (Dokku's choice). */
export const CRITICAL_ADDONS_TAINT = 'CriticalAddonsOnly=true:NoSchedule';

/** The label that marks worker nodes; kubelet may not set it itself, so it is applied with kubectl. */
export const WORKER_ROLE_LABEL = 'node-role.kubernetes.io/worker=worker';

/** The annotation that records how to reach a node over SSH (the key Dokku's `scheduler-k3s` uses). */
export const REMOTE_HOST_ANNOTATION = 'dokku.com/remote-host';

/**
 * Settings every server must share (k3s refuses to start a server whose values differ: "critical
 * configuration value mismatch"), or that would otherwise differ between servers in ways that
 * matter (`disable` decides whether a server re-deploys the packaged Traefik).
 */
export const CLUSTER_WIDE_KEYS = [
  'cluster-cidr',
  'service-cidr',
  'cluster-dns',
  'cluster-domain',
  'flannel-backend',
  'disable',
  'disable-network-policy',
  'disable-helm-controller',
  'disable-kube-proxy',
  'secrets-encryption',
  'egress-selector-mode',
  'embedded-registry',
  'service-node-port-range',
  'write-kubeconfig-mode',
] as const;

/** Options of `initServerConfig`. */
export interface InitServerConfigOptions {
  /** The node's name. */
  readonly nodeName: string;
  /**
   * The ingress controller; `nginx` disables the bundled Traefik.
   *
   * @default IngressClass.nginx()
   */
  readonly ingressClass?: IngressClass;
  /**
   * Taint the server `CriticalAddonsOnly=true:NoSchedule`.
   *
   * @default false
   */
  readonly taintScheduling?: boolean;
  /**
   * `key=value` kubelet arguments.
   *
   * @default []
   */
  readonly kubeletArgs?: readonly string[];
  /**
   * Extra names and addresses for the API server certificate; the server IP is added first.
   *
   * @default []
   */
  readonly tlsSans?: readonly string[];
  /**
   * The address clients and joining nodes use for this server.
   *
   * @default - none added to the certificate
   */
  readonly serverIp?: string;
  /**
   * Extra `key=value` node labels.
   *
   * @default []
   */
  readonly labels?: readonly string[];
}

/** The config of the first server: embedded etcd, token file, kubeconfig mode 0600, and the chosen options. */
export function initServerConfig(options: InitServerConfigOptions): K3sConfig {
  const ingress = options.ingressClass ?? IngressClass.nginx();
  const config: Record<string, string | boolean | readonly string[]> = {
    'cluster-init': true,
    'node-name': options.nodeName,
    'token-file': K3S_PATHS.tokenFile,
    'write-kubeconfig-mode': '0600',
  };
  const sans = unique([...(options.serverIp !== undefined ? [options.serverIp] : []), ...(options.tlsSans ?? [])]);
  if (sans.length > 0) config['tls-san'] = sans;
  if (ingress.name === 'nginx') config.disable = ['traefik'];
  config['node-label'] = unique([ENABLE_LB_LABEL, ...(options.labels ?? [])]);
  if (options.taintScheduling) config['node-taint'] = [CRITICAL_ADDONS_TAINT];
  if ((options.kubeletArgs ?? []).length > 0) config['kubelet-arg'] = [...(options.kubeletArgs ?? [])];
  return config;
}

/** Options of `joinConfig`. */
export interface JoinConfigOptions {
  /** Server or worker. */
  readonly role: NodeRole;
  /** The URL of a server to join, `https://<ip>:6443`. */
  readonly server: string;
  /** The node's name. */
  readonly nodeName: string;
  /**
   * Taint the server `CriticalAddonsOnly=true:NoSchedule` (servers only).
   *
   * @default false
   */
  readonly taintScheduling?: boolean;
  /**
   * `key=value` kubelet arguments.
   *
   * @default []
   */
  readonly kubeletArgs?: readonly string[];
  /**
   * Extra `key=value` node labels.
   *
   * @default []
   */
  readonly labels?: readonly string[];
  /**
   * Settings copied from the first server's config (see `clusterWideSettings`); servers only.
   *
   * @default {}
   */
  readonly clusterSettings?: K3sConfig;
}

/** The config of a node joining an existing cluster. */
export function joinConfig(options: JoinConfigOptions): K3sConfig {
  if (options.taintScheduling && !options.role.isServer) {
    throw new DokkuGitopsError(`'--taint-scheduling' is allowed only with '--role server', got '--role ${options.role.name}'`, 'input');
  }
  const config: Record<string, string | boolean | readonly string[]> = {
    server: options.server,
    'node-name': options.nodeName,
    'token-file': K3S_PATHS.tokenFile,
  };
  if (options.role.isServer) {
    for (const key of CLUSTER_WIDE_KEYS) {
      const value = options.clusterSettings?.[key];
      if (value !== undefined) config[key] = value;
    }
    config['write-kubeconfig-mode'] ??= '0600';
    config['node-label'] = unique([ENABLE_LB_LABEL, ...(options.labels ?? [])]);
    if (options.taintScheduling) config['node-taint'] = [CRITICAL_ADDONS_TAINT];
  } else if ((options.labels ?? []).length > 0) {
    config['node-label'] = unique([...(options.labels ?? [])]);
  }
  if ((options.kubeletArgs ?? []).length > 0) config['kubelet-arg'] = [...(options.kubeletArgs ?? [])];
  return config;
}

/** The settings of `config` listed in `CLUSTER_WIDE_KEYS`, for servers that join. */
export function clusterWideSettings(config: Readonly<Record<string, unknown>>): K3sConfig {
  const settings: Record<string, string | boolean | readonly string[]> = {};
  for (const key of CLUSTER_WIDE_KEYS) {
    const value = config[key];
    if (typeof value === 'string' || typeof value === 'boolean') settings[key] = value;
    else if (typeof value === 'number') settings[key] = String(value);
    else if (Array.isArray(value)) settings[key] = value.map(String);
  }
  return settings;
}

const HEADER = [
  '# Written by dokku-gitops. k3s reads this file on every start; install.sh never rewrites it,',
  '# so these settings survive upgrades. It holds no secrets: the token is in token-file.',
].join('\n');

/** Render a k3s config as YAML, in the order of its keys, under a header comment. */
export function renderK3sConfig(config: K3sConfig): string {
  return `${HEADER}\n${stringify(config, { lineWidth: 0 })}`;
}

/**
 * Parse a k3s config file.
 *
 * @throws DokkuGitopsError (failure) naming `where` when the file is not a YAML mapping
 */
export function parseK3sConfig(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new DokkuGitopsError(`${where}: not valid YAML: ${(err as Error).message}`, 'failure');
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new DokkuGitopsError(`${where}: expected a mapping of k3s flags`, 'failure');
  return value as Record<string, unknown>;
}

/** The keys whose values differ between two configs (in `desired`'s order, then extra keys of `existing`), ignoring `ignore`. */
export function configDifferences(existing: Readonly<Record<string, unknown>>, desired: K3sConfig, ignore: readonly string[] = []): string[] {
  const keys = unique([...Object.keys(desired), ...Object.keys(existing)]).filter((k) => !ignore.includes(k));
  return keys.filter((k) => JSON.stringify(normalise(existing[k])) !== JSON.stringify(normalise(desired[k])));
}

function normalise(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? String(v) : v));
  return value;
}

/**
 * A node name in Dokku's style: `ip-<address with dashes>-<suffix>` for an IP address, otherwise
 * the host name with dots replaced, then the suffix. At most 63 characters, as node names become
 * the `kubernetes.io/hostname` label.
 */
export function nodeNameFor(host: string, suffix: string): string {
  const base = isIP(host) !== 0 ? `ip-${host.replace(/[.:]+/g, '-')}` : host.toLowerCase().replace(/\./g, '-');
  const room = 63 - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, '')}-${suffix}`;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

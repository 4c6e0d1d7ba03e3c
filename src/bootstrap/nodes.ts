/** Reading `kubectl get nodes -o json`: readiness, roles, versions, addresses, and how to reach a node. */
import { DokkuGitopsError } from '../errors.js';
import { REMOTE_HOST_ANNOTATION } from './k3s-config.js';
import { compareK3sVersions } from './validate.js';

/** What the bootstrap needs to know about one node. */
export interface ClusterNode {
  /** The node's name. */
  readonly name: string;
  /** Whether its `Ready` condition is `True`. */
  readonly ready: boolean;
  /** Roles from `node-role.kubernetes.io/<role>` labels, sorted. */
  readonly roles: readonly string[];
  /** Whether it runs the control plane (label `node-role.kubernetes.io/control-plane=true`). */
  readonly isServer: boolean;
  /** The kubelet version, for example `v1.30.4+k3s1`. */
  readonly version: string;
  /** Its `InternalIP` address, if reported. */
  readonly internalIp?: string;
  /** The `dokku.com/remote-host` annotation: `ssh://user@host:port` for nodes added over SSH. */
  readonly remoteHost?: string;
  /** Whether it is cordoned. */
  readonly unschedulable: boolean;
}

interface RawNode {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type?: string; status?: string }[]; nodeInfo?: { kubeletVersion?: string }; addresses?: { type?: string; address?: string }[] };
}

function toNode(raw: RawNode): ClusterNode {
  const labels = raw.metadata?.labels ?? {};
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort();
  const internalIp = raw.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const remoteHost = raw.metadata?.annotations?.[REMOTE_HOST_ANNOTATION];
  return {
    name: raw.metadata?.name ?? '',
    ready: raw.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    roles,
    isServer: labels['node-role.kubernetes.io/control-plane'] === 'true',
    version: raw.status?.nodeInfo?.kubeletVersion ?? '',
    ...(internalIp !== undefined ? { internalIp } : {}),
    ...(remoteHost !== undefined ? { remoteHost } : {}),
    unschedulable: raw.spec?.unschedulable === true,
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DokkuGitopsError(`${what}: kubectl did not print JSON: ${text.trim().slice(0, 200)}`, 'failure');
  }
}

/** Parse the output of `kubectl get nodes -o json`, sorted by name. */
export function parseNodeList(text: string): ClusterNode[] {
  const value = parseJson(text, 'listing nodes') as { items?: RawNode[] };
  return (value.items ?? []).map(toNode).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Parse the output of `kubectl get node <name> -o json`. */
export function parseNode(text: string): ClusterNode {
  return toNode(parseJson(text, 'reading a node') as RawNode);
}

/** The lowest version among server nodes, which joining nodes are pinned to; `undefined` without servers. */
export function lowestServerVersion(nodes: readonly ClusterNode[]): string | undefined {
  const versions = nodes.filter((n) => n.isServer && n.version !== '').map((n) => n.version);
  return versions.sort(compareK3sVersions)[0];
}

/** A table of nodes for `cluster list`, columns aligned. */
export function formatNodeTable(nodes: readonly ClusterNode[]): string {
  const rows = [
    ['NAME', 'STATUS', 'ROLES', 'VERSION', 'INTERNAL-IP', 'REMOTE-HOST'],
    ...nodes.map((n) => [n.name, `${n.ready ? 'Ready' : 'NotReady'}${n.unschedulable ? ',SchedulingDisabled' : ''}`, n.roles.length > 0 ? n.roles.join(',') : '<none>', n.version, n.internalIp ?? '<none>', n.remoteHost ?? '<none>']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ')).join('\n')}\n`;
}

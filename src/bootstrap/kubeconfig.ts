/**
 * The admin kubeconfig k3s writes on servers points at `https://127.0.0.1:6443`, which only works
 * on the server itself. `rewriteKubeconfig` points it at an address reachable from outside.
 */
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { DokkuGitopsError } from '../errors.js';

/** Options of `rewriteKubeconfig`. */
export interface RewriteKubeconfigOptions {
  /** The host (IP or DNS name) clients should use; it must be in the API server certificate (`--tls-san`). */
  readonly host: string;
  /**
   * The name for the cluster, user and context, replacing k3s's `default`.
   *
   * @default - names are kept
   */
  readonly name?: string;
}

/**
 * Replace the host of every cluster's `server:` URL (keeping scheme and port) and optionally
 * rename k3s's `default` cluster, user and context.
 *
 * @throws DokkuGitopsError (failure) when the text is not a kubeconfig with clusters
 */
export function rewriteKubeconfig(text: string, options: RewriteKubeconfigOptions): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new DokkuGitopsError(`kubeconfig: not valid YAML: ${doc.errors[0]!.message}`, 'failure');
  const config = doc.toJS() as { clusters?: { name?: string; cluster?: { server?: string } }[]; users?: { name?: string }[]; contexts?: { name?: string; context?: { cluster?: string; user?: string } }[]; 'current-context'?: string } | null;
  if (!config || !Array.isArray(config.clusters) || config.clusters.length === 0) throw new DokkuGitopsError('kubeconfig: no clusters found; is this a k3s kubeconfig?', 'failure');
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  for (const entry of config.clusters) {
    const server = entry.cluster?.server;
    if (server === undefined) throw new DokkuGitopsError(`kubeconfig: cluster ${JSON.stringify(entry.name ?? '')} has no server`, 'failure');
    const url = new URL(server);
    url.hostname = host;
    entry.cluster = { ...entry.cluster, server: url.toString().replace(/\/$/, '') };
  }
  if (options.name !== undefined) {
    const rename = (value: string | undefined) => (value === 'default' ? options.name : value);
    for (const entry of config.clusters) entry.name = rename(entry.name);
    for (const entry of config.users ?? []) entry.name = rename(entry.name);
    for (const entry of config.contexts ?? []) {
      entry.name = rename(entry.name);
      if (entry.context) entry.context = { ...entry.context, cluster: rename(entry.context.cluster), user: rename(entry.context.user) };
    }
    if (config['current-context'] !== undefined) config['current-context'] = rename(config['current-context']);
  }
  doc.contents = doc.createNode(config) as typeof doc.contents;
  return doc.toString({ lineWidth: 0 });
}

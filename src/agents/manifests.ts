/**
 * The files of the GitOps agent that applies the repository: the cluster-level files written
 * once by `dokku-gitops agent`, the per-app file written with every deploy, and detection of
 * which agent a repository is set up for.
 */
import { DokkuGitopsError } from '../errors.js';
import { renderYamlFile, treeObjects, type FileTree } from '../gitops/tree.js';
import { newApp, renderFiles, sortTree } from './_render.js';
import { ARGOCD_RESERVED_NAMES, ArgoCdAppSync, ArgoCdClusterSync } from './argocd.js';
import { FLUX_JOB_SUFFIXES, FLUX_RESERVED_NAMES, FluxAppSync, FluxClusterSync } from './flux.js';

/** The GitOps agents dokku-gitops writes manifests for. */
export type Agent = 'flux' | 'argocd';

/** Options of {@link agentManifests}. */
export interface AgentManifestsOptions {
  /** Which agent applies the repository. */
  agent: Agent;
  /**
   * URL the cluster clones the repository from. Flux needs `https://`, `http://` or
   * `ssh://`; Argo CD also accepts `git@host:path`.
   */
  repoUrl: string;
  /** Branch the cluster applies. */
  branch: string;
  /** Cluster name, a DNS-1123 label: the files go to `clusters/<cluster>/`. */
  cluster: string;
  /**
   * Flux only: Secret in `flux-system` with the Git credentials.
   *
   * @default - no credentials: the repository is read anonymously
   */
  gitSecret?: string;
}

/** Options of {@link appAgentManifests}. */
export interface AppAgentManifestsOptions {
  /** Which agent applies the repository. */
  agent: Agent;
  /** Cluster name: the file goes to `clusters/<cluster>/apps/<app>.yaml`. */
  cluster: string;
  /** The Dokku app name. */
  app: string;
  /** The app's namespace. */
  namespace: string;
  /** Whether the app has release Jobs in `apps/<app>/release/`. */
  hasRelease: boolean;
  /** Whether the app has postdeploy Jobs in `apps/<app>/postdeploy/`. */
  hasPostdeploy: boolean;
  /** URL the cluster clones (Argo CD Applications name it). */
  repoUrl: string;
  /** Branch the cluster applies (Argo CD Applications name it). */
  branch: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The cluster-level files of an agent, under `clusters/<cluster>/`.
 *
 * - Flux: `gitrepository.yaml`, `platform.yaml`, `apps.yaml` (see `FluxClusterSync`).
 * - Argo CD: `appproject.yaml`, `root.yaml`, `platform.yaml` (see `ArgoCdClusterSync`).
 *
 * Both also get `kustomization.yaml` listing those files, for the one-time
 * `kubectl apply -k clusters/<cluster>`, and `apps/.gitkeep`, because Git keeps no empty
 * folder and both agents fail on a path that does not exist.
 *
 * @throws DokkuGitopsError ('input') for a bad agent, URL, branch or cluster name
 */
export function agentManifests(o: AgentManifestsOptions): FileTree {
  checkAgent(o.agent);
  checkRepoUrl(o.agent, o.repoUrl);
  checkBranch(o.branch);
  checkLabel('cluster', o.cluster);
  if (o.gitSecret !== undefined) checkLabel('gitSecret', o.gitSecret);

  const app = newApp();
  if (o.agent === 'flux') {
    new FluxClusterSync(app, 'Flux', { repoUrl: o.repoUrl, branch: o.branch, cluster: o.cluster, ...(o.gitSecret === undefined ? {} : { gitSecret: o.gitSecret }) });
  } else {
    new ArgoCdClusterSync(app, 'ArgoCd', { repoUrl: o.repoUrl, branch: o.branch, cluster: o.cluster });
  }
  const tree = renderFiles(app);
  const dir = `clusters/${o.cluster}`;
  // in the order the objects are needed: the project or source before what uses it
  const resources = o.agent === 'flux' ? ['gitrepository.yaml', 'platform.yaml', 'apps.yaml'] : ['appproject.yaml', 'platform.yaml', 'root.yaml'];
  tree[`${dir}/kustomization.yaml`] = renderYamlFile([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }]);
  tree[`${dir}/apps/.gitkeep`] = '';
  return sortTree(tree);
}

/**
 * The per-app file of an agent: `clusters/<cluster>/apps/<app>.yaml`, holding the app's
 * Flux Kustomizations (see `FluxAppSync`) or its Argo CD Application (see `ArgoCdAppSync`).
 *
 * The writer replaces this file on every deploy of the app and removes it on destroy; the
 * agent then prunes the app from the cluster.
 *
 * @throws DokkuGitopsError ('input') for a bad name, or an app name that an agent object of
 *   the cluster already uses
 */
export function appAgentManifests(o: AppAgentManifestsOptions): FileTree {
  checkAgent(o.agent);
  checkLabel('cluster', o.cluster);
  checkLabel('app', o.app);
  checkLabel('namespace', o.namespace);
  checkRepoUrl(o.agent, o.repoUrl);
  checkBranch(o.branch);

  const app = newApp();
  if (o.agent === 'flux') {
    if (FLUX_RESERVED_NAMES.includes(o.app)) {
      // platform and apps are this tool's cluster Kustomizations; flux-system is Flux's own
      const where = o.app === 'flux-system' ? "Flux's own Kustomization (flux bootstrap)" : `the Flux Kustomization in 'clusters/${o.cluster}/${o.app}.yaml'`;
      throw new DokkuGitopsError(`app name '${o.app}' is taken by ${where}; rename the app`, 'input');
    }
    // Flux labels every object it applies with its Kustomization's name, and label values stop at 63 characters
    for (const [suffix, present] of [[FLUX_JOB_SUFFIXES.release, o.hasRelease], [FLUX_JOB_SUFFIXES.postdeploy, o.hasPostdeploy]] as const) {
      if (present && o.app.length + suffix.length > 63) {
        throw new DokkuGitopsError(`app name '${o.app}' is too long for its Flux Kustomization '${o.app}${suffix}': the name must be at most 63 characters, so the app name at most ${63 - suffix.length}`, 'input');
      }
    }
    new FluxAppSync(app, 'Flux', { cluster: o.cluster, app: o.app, hasRelease: o.hasRelease, hasPostdeploy: o.hasPostdeploy });
  } else {
    if (ARGOCD_RESERVED_NAMES.includes(o.app)) {
      throw new DokkuGitopsError(`app name '${o.app}' is taken by an Argo CD Application in 'clusters/${o.cluster}/'; rename the app`, 'input');
    }
    new ArgoCdAppSync(app, 'ArgoCd', {
      repoUrl: o.repoUrl,
      branch: o.branch,
      cluster: o.cluster,
      app: o.app,
      namespace: o.namespace,
      hasRelease: o.hasRelease,
      hasPostdeploy: o.hasPostdeploy,
    });
  }
  return renderFiles(app);
}

/**
 * Which agent a repository is set up for, from the cluster-level files that
 * {@link agentManifests} wrote: `clusters/<cluster>/gitrepository.yaml` holding a Flux
 * GitRepository, or `clusters/<cluster>/root.yaml` holding an Argo CD Application.
 *
 * @param repoTree reads a repo-relative file, or returns undefined when it does not exist
 * @param cluster the cluster name
 * @returns the agent, or undefined when `dokku-gitops agent` has not been run for the cluster
 * @throws DokkuGitopsError ('input') when the folder holds the files of both agents
 */
export function detectAgent(repoTree: (path: string) => string | undefined, cluster: string): Agent | undefined {
  checkLabel('cluster', cluster);
  const holds = (file: string, apiVersion: string, kind: string): boolean => {
    const path = `clusters/${cluster}/${file}`;
    const content = repoTree(path);
    if (content === undefined) return false;
    return treeObjects({ [path]: content }).some((o) => o.apiVersion === apiVersion && o.kind === kind);
  };
  const flux = holds('gitrepository.yaml', 'source.toolkit.fluxcd.io/v1', 'GitRepository');
  const argocd = holds('root.yaml', 'argoproj.io/v1alpha1', 'Application');
  if (flux && argocd) {
    throw new DokkuGitopsError(
      `'clusters/${cluster}/' holds both Flux ('gitrepository.yaml') and Argo CD ('root.yaml') agent files; remove the files of the agent the cluster does not run`,
      'input',
    );
  }
  return flux ? 'flux' : argocd ? 'argocd' : undefined;
}

function checkAgent(agent: string): void {
  if (agent !== 'flux' && agent !== 'argocd') {
    throw new DokkuGitopsError(`'agent' must be one of flux, argocd; received '${agent}'`, 'input');
  }
}

function checkLabel(field: string, value: string): void {
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    throw new DokkuGitopsError(`'${field}' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received '${String(value)}'`, 'input');
  }
}

function checkBranch(branch: string): void {
  // the rules of git check-ref-format that a branch name can break
  const valid =
    typeof branch === 'string' &&
    branch !== '' &&
    !/[\s~^:?*[\\\x00-\x1f\x7f]/.test(branch) &&
    !branch.startsWith('-') &&
    !branch.startsWith('/') &&
    !branch.endsWith('/') &&
    !branch.endsWith('.') &&
    !branch.endsWith('.lock') &&
    !branch.includes('..') &&
    !branch.includes('//') &&
    !branch.includes('@{') &&
    branch !== '@' &&
    !branch.split('/').some((part) => part.startsWith('.'));
  if (!valid) throw new DokkuGitopsError(`'branch' must be a valid git branch name, such as 'main'; received '${String(branch)}'`, 'input');
}

function checkRepoUrl(agent: Agent, url: string): void {
  if (typeof url !== 'string' || url === '' || /\s/.test(url)) {
    throw new DokkuGitopsError(`'repoUrl' must be the URL the cluster clones, such as 'https://github.com/acme/gitops.git'; received '${String(url)}'`, 'input');
  }
  const scp = /^([^@/\s]+)@([^:/\s]+):(?!\/)(\S+)$/.exec(url);
  if (agent === 'flux' && !/^(https?|ssh):\/\/[^/\s]+\/\S+$/.test(url)) {
    const hint = scp === null ? "such as 'ssh://git@github.com/acme/gitops.git'" : `here 'ssh://${scp[1]}@${scp[2]}/${scp[3]}'`;
    throw new DokkuGitopsError(`'repoUrl' must be an http, https or ssh URL for Flux, ${hint}; received '${url}'`, 'input');
  }
  if (agent === 'argocd' && scp === null && !/^(https?|ssh|git|file):\/\/\S+$/.test(url)) {
    throw new DokkuGitopsError(`'repoUrl' must be a URL Argo CD can clone, such as 'https://github.com/acme/gitops.git' or 'git@github.com:acme/gitops.git'; received '${url}'`, 'input');
  }
}

/**
 * The one-time steps that make a cluster apply the repository, as shell commands with
 * comments, for the `agent` command to print and the docs to show.
 *
 * @param identityPath the host's age identity file, whose key Flux needs to decrypt Secrets
 * @default identityPath '$HOME/.dokku-gitops/age.key'
 */
export function bootstrapSteps(o: { agent: Agent; cluster: string; branch: string; identityPath?: string }): string[] {
  const identity = o.identityPath ?? '$HOME/.dokku-gitops/age.key';
  const commit = [`# 1. commit and push clusters/${o.cluster}/ to the '${o.branch}' branch`];
  if (o.agent === 'flux') {
    return [
      ...commit,
      '# 2. install Flux (once per cluster): flux install, or kubectl apply -f https://github.com/fluxcd/flux2/releases/latest/download/install.yaml',
      "# 3. give Flux the age private key that decrypts the repo's Secrets",
      `kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=${identity}`,
      '# 4. apply the GitRepository and the platform and apps Kustomizations',
      `kubectl apply -k clusters/${o.cluster}`,
    ];
  }
  return [
    ...commit,
    '# 2. install Argo CD in the argocd namespace (once per cluster), and register the repo if it is private',
    '# 3. apply the AppProject and the dokku-apps and dokku-platform Applications',
    `kubectl apply -k clusters/${o.cluster}`,
    '# Argo CD cannot decrypt SOPS files by itself: deploy with --secrets sealed-secrets, or install a SOPS plugin such as KSOPS',
  ];
}

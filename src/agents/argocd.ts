/**
 * Argo CD objects that make a cluster apply the repository: the AppProject `dokku`, the
 * app-of-apps Application `dokku-apps` and the `dokku-platform` Application (in
 * `clusters/<cluster>/`), and one Application per app (in `clusters/<cluster>/apps/<app>.yaml`).
 *
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/
 */
import { Construct } from 'constructs';
import { Application, AppProject, type ApplicationSpecSource, type ApplicationSpecSyncPolicy } from '../imports/argoproj.io.js';
import { ManifestFile } from './_render.js';

/** Namespace of Argo CD and of every Argo CD object written here. */
export const ARGOCD_NAMESPACE = 'argocd';

/** The AppProject every Application written here belongs to. */
export const ARGOCD_PROJECT = 'dokku';

/** Names of the cluster-level Applications; no app may take them. */
export const ARGOCD_RESERVED_NAMES: readonly string[] = ['dokku-apps', 'dokku-platform'];

/** The cluster Argo CD runs in, as Argo CD names it. */
const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Props of {@link ArgoCdClusterSync}. */
export interface ArgoCdClusterSyncProps {
  /** URL Argo CD clones (any form Argo CD accepts, including `git@host:path`). */
  readonly repoUrl: string;
  /** Branch to apply. */
  readonly branch: string;
  /** Cluster name: the files go to `clusters/<cluster>/`. */
  readonly cluster: string;
}

/**
 * The cluster-level Argo CD objects, one file each: `appproject.yaml` (AppProject `dokku`:
 * this repository only, any namespace of the local cluster, and the few cluster-scoped kinds
 * the compiler writes), `root.yaml` (Application `dokku-apps` over `clusters/<cluster>/apps`,
 * recursing, automated sync with prune and self-heal) and `platform.yaml` (Application
 * `dokku-platform` over `platform/`).
 */
export class ArgoCdClusterSync extends Construct {
  /** The AppProject. */
  public readonly project: AppProject;
  /** The app-of-apps Application. */
  public readonly root: Application;
  /** The platform Application. */
  public readonly platform: Application;

  constructor(scope: Construct, id: string, props: ArgoCdClusterSyncProps) {
    super(scope, id);
    const dir = `clusters/${props.cluster}`;

    this.project = new AppProject(new ManifestFile(this, 'AppProjectFile', `${dir}/appproject.yaml`), 'Resource', {
      metadata: { name: ARGOCD_PROJECT, namespace: ARGOCD_NAMESPACE },
      spec: {
        description: 'Dokku apps delivered by dokku-gitops',
        sourceRepos: [props.repoUrl],
        destinations: [{ server: IN_CLUSTER, namespace: '*' }],
        // namespaced kinds are all allowed; cluster-scoped ones only as the compiler writes them
        clusterResourceWhitelist: [
          { group: '', kind: 'Namespace' },
          { group: '', kind: 'PersistentVolume' },
          { group: 'cert-manager.io', kind: 'ClusterIssuer' },
          { group: 'keda.sh', kind: 'ClusterTriggerAuthentication' },
        ],
      },
    });

    this.root = new Application(new ManifestFile(this, 'RootFile', `${dir}/root.yaml`), 'Resource', {
      metadata: { name: 'dokku-apps', namespace: ARGOCD_NAMESPACE },
      spec: {
        project: ARGOCD_PROJECT,
        source: { repoUrl: props.repoUrl, targetRevision: props.branch, path: `${dir}/apps`, directory: { recurse: true } },
        destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
        syncPolicy: syncPolicy(false),
      },
    });

    this.platform = new Application(new ManifestFile(this, 'PlatformFile', `${dir}/platform.yaml`), 'Resource', {
      metadata: { name: 'dokku-platform', namespace: ARGOCD_NAMESPACE, finalizers: [CASCADE_FINALIZER] },
      spec: {
        project: ARGOCD_PROJECT,
        source: { repoUrl: props.repoUrl, targetRevision: props.branch, path: 'platform' },
        destination: { server: IN_CLUSTER },
        syncPolicy: syncPolicy(false),
      },
    });
  }
}

/** Props of {@link ArgoCdAppSync}. */
export interface ArgoCdAppSyncProps {
  /** URL Argo CD clones. */
  readonly repoUrl: string;
  /** Branch to apply. */
  readonly branch: string;
  /** Cluster name: the file goes to `clusters/<cluster>/apps/<app>.yaml`. */
  readonly cluster: string;
  /** The Dokku app name. */
  readonly app: string;
  /** The app's namespace (Dokku's scheduler-k3s `namespace` property). */
  readonly namespace: string;
  /**
   * Whether the app has release Jobs in `apps/<app>/release/`.
   *
   * @default false
   */
  readonly hasRelease?: boolean;
  /**
   * Whether the app has postdeploy Jobs in `apps/<app>/postdeploy/`.
   *
   * @default false
   */
  readonly hasPostdeploy?: boolean;
}

/**
 * The Application of one app, `clusters/<cluster>/apps/<app>.yaml`: it syncs `apps/<app>`
 * into the app's namespace (created when missing) with automated prune and self-heal, and
 * deletes the app's objects when it is itself deleted (so `destroy` removes the app).
 *
 * With release or postdeploy Jobs the Application has several sources, so that the Jobs in
 * `apps/<app>/release` and `apps/<app>/postdeploy` are part of the sync; their
 * `argocd.argoproj.io/hook` annotations (PreSync, PostSync) order them around the rollout.
 */
export class ArgoCdAppSync extends Construct {
  /** The Application. */
  public readonly application: Application;

  constructor(scope: Construct, id: string, props: ArgoCdAppSyncProps) {
    super(scope, id);
    const file = new ManifestFile(this, 'File', `clusters/${props.cluster}/apps/${props.app}.yaml`);
    const source = (path: string): ApplicationSpecSource => ({ repoUrl: props.repoUrl, targetRevision: props.branch, path });
    const path = `apps/${props.app}`;
    const paths = [...(props.hasRelease ? [`${path}/release`] : []), path, ...(props.hasPostdeploy ? [`${path}/postdeploy`] : [])];

    this.application = new Application(file, 'Resource', {
      metadata: { name: props.app, namespace: ARGOCD_NAMESPACE, finalizers: [CASCADE_FINALIZER] },
      spec: {
        project: ARGOCD_PROJECT,
        ...(paths.length === 1 ? { source: source(path) } : { sources: paths.map(source) }),
        destination: { server: IN_CLUSTER, namespace: props.namespace },
        syncPolicy: syncPolicy(true),
      },
    });
  }
}

/** Deleting an Application with this finalizer deletes the objects it applied. */
const CASCADE_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

function syncPolicy(createNamespace: boolean): ApplicationSpecSyncPolicy {
  return {
    automated: { prune: true, selfHeal: true },
    ...(createNamespace ? { syncOptions: ['CreateNamespace=true'] } : {}),
    // an automated sync is tried once per revision unless retries are set
    retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
  };
}

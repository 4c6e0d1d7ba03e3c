/**
 * Flux objects that make a cluster apply the repository: the GitRepository, the `platform`
 * and `apps` Kustomizations (in `clusters/<cluster>/`), and per app the Kustomizations that
 * apply `apps/<app>/` with its release and postdeploy Jobs in order
 * (in `clusters/<cluster>/apps/<app>.yaml`).
 *
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/
 */
import { Construct } from 'constructs';
import {
  Kustomization,
  KustomizationSpecDecryptionProvider,
  KustomizationSpecSourceRefKind,
  type KustomizationSpec,
} from '../imports/kustomize.toolkit.fluxcd.io.js';
import { GitRepository } from '../imports/source.toolkit.fluxcd.io.js';
import { ManifestFile } from './_render.js';

/** Namespace of the Flux controllers and of every Flux object written here. */
export const FLUX_NAMESPACE = 'flux-system';

/** Name of the GitRepository that every Kustomization reads from. */
export const FLUX_SOURCE_NAME = 'dokku-gitops';

/** Name of the Secret (in `flux-system`) that holds the age private key, as `age.agekey`. */
export const SOPS_AGE_SECRET = 'sops-age';

/** Names of the cluster-level Kustomizations; no app may take them. */
export const FLUX_RESERVED_NAMES: readonly string[] = ['platform', 'apps', 'flux-system'];

/**
 * Suffixes of an app's release and postdeploy Kustomizations. A Dokku app name is a DNS label and
 * never contains a dot, so `<app>.release` can never be another app's Kustomization name (as
 * `<app>-release` could be: the app `shop-release`).
 */
export const FLUX_JOB_SUFFIXES = { release: '.release', postdeploy: '.postdeploy' } as const;

/** Props of {@link FluxClusterSync}. */
export interface FluxClusterSyncProps {
  /** URL the cluster clones: `https://…`, `http://…` or `ssh://…`. */
  readonly repoUrl: string;
  /** Branch to apply. */
  readonly branch: string;
  /** Cluster name: the files go to `clusters/<cluster>/`. */
  readonly cluster: string;
  /**
   * Secret in `flux-system` with the Git credentials (`flux create secret git`).
   *
   * @default - no secretRef: the repository is read anonymously
   */
  readonly gitSecret?: string;
}

/**
 * The cluster-level Flux objects, one file each: `gitrepository.yaml` (GitRepository
 * `dokku-gitops`), `platform.yaml` (Kustomization `platform` over `./platform`, SOPS
 * decryption, waits for health) and `apps.yaml` (Kustomization `apps` over
 * `./clusters/<cluster>/apps`, after `platform`).
 *
 * `apps` applies the per-app Kustomizations: Flux generates a kustomization for the plain
 * files in that folder, so deploys of different apps never write the same file.
 */
export class FluxClusterSync extends Construct {
  /** The GitRepository. */
  public readonly gitRepository: GitRepository;
  /** The `platform` Kustomization. */
  public readonly platform: Kustomization;
  /** The `apps` Kustomization. */
  public readonly apps: Kustomization;

  constructor(scope: Construct, id: string, props: FluxClusterSyncProps) {
    super(scope, id);
    const dir = `clusters/${props.cluster}`;

    this.gitRepository = new GitRepository(new ManifestFile(this, 'GitRepositoryFile', `${dir}/gitrepository.yaml`), 'Resource', {
      metadata: { name: FLUX_SOURCE_NAME, namespace: FLUX_NAMESPACE },
      spec: {
        url: props.repoUrl,
        ref: { branch: props.branch },
        interval: '1m',
        ...(props.gitSecret === undefined ? {} : { secretRef: { name: props.gitSecret } }),
        // only the folders the cluster applies: changes elsewhere (.sops.yaml, README) make no new artifact
        ignore: '/*\n!/apps/\n!/platform/\n!/clusters/\n',
      },
    });

    this.platform = new Kustomization(new ManifestFile(this, 'PlatformFile', `${dir}/platform.yaml`), 'Resource', {
      metadata: { name: 'platform', namespace: FLUX_NAMESPACE },
      spec: { ...common('./platform'), wait: true, decryption: sopsDecryption() },
    });

    this.apps = new Kustomization(new ManifestFile(this, 'AppsFile', `${dir}/apps.yaml`), 'Resource', {
      metadata: { name: 'apps', namespace: FLUX_NAMESPACE },
      spec: { ...common(`./${dir}/apps`), dependsOn: [{ name: 'platform' }] },
    });
  }
}

/** Props of {@link FluxAppSync}. */
export interface FluxAppSyncProps {
  /** Cluster name: the file goes to `clusters/<cluster>/apps/<app>.yaml`. */
  readonly cluster: string;
  /** The Dokku app name. */
  readonly app: string;
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
 * The Kustomizations of one app, in one file `clusters/<cluster>/apps/<app>.yaml`:
 *
 * - `<app>.release` (when there are release Jobs): applies `./apps/<app>/release`, waits
 *   for the Jobs to complete, and recreates a Job whose immutable spec changed (`force`);
 * - `<app>`: applies `./apps/<app>` after `platform` and `<app>.release`, decrypts SOPS
 *   Secrets, prunes what left Git, and waits until every object is healthy;
 * - `<app>.postdeploy` (when there are postdeploy Jobs): applies `./apps/<app>/postdeploy`
 *   once `<app>` is healthy.
 *
 * No `targetNamespace` is set: the manifests carry their own namespace.
 */
export class FluxAppSync extends Construct {
  /** The app's Kustomization. */
  public readonly app: Kustomization;
  /** The release Kustomization, when the app has release Jobs. */
  public readonly release?: Kustomization;
  /** The postdeploy Kustomization, when the app has postdeploy Jobs. */
  public readonly postdeploy?: Kustomization;

  constructor(scope: Construct, id: string, props: FluxAppSyncProps) {
    super(scope, id);
    const hasRelease = props.hasRelease ?? false;
    const hasPostdeploy = props.hasPostdeploy ?? false;
    const file = new ManifestFile(this, 'File', `clusters/${props.cluster}/apps/${props.app}.yaml`);
    const path = `./apps/${props.app}`;

    if (hasRelease) {
      this.release = new Kustomization(file, 'Release', {
        metadata: { name: `${props.app}${FLUX_JOB_SUFFIXES.release}`, namespace: FLUX_NAMESPACE },
        spec: { ...common(`${path}/release`), ...jobs(), dependsOn: [{ name: 'platform' }] },
      });
    }
    this.app = new Kustomization(file, 'Resource', {
      metadata: { name: props.app, namespace: FLUX_NAMESPACE },
      spec: {
        ...common(path),
        wait: true,
        decryption: sopsDecryption(),
        dependsOn: [{ name: 'platform' }, ...(hasRelease ? [{ name: `${props.app}${FLUX_JOB_SUFFIXES.release}` }] : [])],
      },
    });
    if (hasPostdeploy) {
      this.postdeploy = new Kustomization(file, 'Postdeploy', {
        metadata: { name: `${props.app}${FLUX_JOB_SUFFIXES.postdeploy}`, namespace: FLUX_NAMESPACE },
        spec: { ...common(`${path}/postdeploy`), ...jobs(), dependsOn: [{ name: props.app }] },
      });
    }
  }
}

/** The fields every Kustomization here shares. */
function common(path: string): KustomizationSpec {
  return {
    path,
    prune: true,
    interval: '10m',
    retryInterval: '1m',
    timeout: '5m',
    sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: FLUX_SOURCE_NAME },
  };
}

/** Release and postdeploy Jobs: wait for completion, recreate on change, allow slow tasks. */
function jobs(): Partial<KustomizationSpec> {
  return { wait: true, force: true, timeout: '15m', decryption: sopsDecryption() };
}

function sopsDecryption(): KustomizationSpec['decryption'] {
  return { provider: KustomizationSpecDecryptionProvider.SOPS, secretRef: { name: SOPS_AGE_SECRET } };
}

/**
 * The objects an app's workloads rely on: its Namespace, ServiceAccount, env Secret, pull
 * Secret and storage claims.
 */
import { Construct } from 'constructs';
import type { AppModel } from '../dokku/app-model.js';
import { k8s } from './_k8s.js';
import { MANAGED, MANAGED_BY, NEVER_PRUNE, selectorLabels, withUserAnnotations, withUserLabels } from './_metadata.js';
import { configSecretName } from './_pod.js';
import { pullSecretData, secretData } from './_secret-data.js';

/** Props of {@link AppBase}. */
export interface AppBaseProps {
  /** The resolved app. */
  readonly model: AppModel;
  /**
   * Whether this construct renders the Namespace; false when the release Jobs' folder does,
   * so that it exists before they run on a first deploy (see `AppReleaseChart`).
   *
   * @default true
   */
  readonly namespace?: boolean;
}

/** Namespaces that always exist; the compiler never renders them. */
export const BUILT_IN_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * The Namespace (unless it is a built-in one), the ServiceAccount `<app>`, the env Secret
 * `config-<app>`, the pull Secret `pull-secret-<app>` when the app has registry auth, and one
 * PersistentVolumeClaim per storage entry.
 *
 * Namespaces and claims are never pruned by Flux or Argo CD: several apps may share a
 * namespace, and deleting an app must not delete its data.
 */
export class AppBase extends Construct {
  /** The env Secret `config-<app>`. */
  public readonly configSecret: k8s.KubeSecret;

  constructor(scope: Construct, id: string, props: AppBaseProps) {
    super(scope, id);
    const { model } = props;
    const app = model.name;
    const namespace = model.namespace;

    if ((props.namespace ?? true) && !BUILT_IN_NAMESPACES.has(namespace)) {
      new k8s.KubeNamespace(this, 'Namespace', {
        metadata: { name: namespace, labels: { ...MANAGED, ...MANAGED_BY }, annotations: { ...MANAGED, ...NEVER_PRUNE } },
      });
    }

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: app,
        namespace,
        labels: withUserLabels(model, 'serviceaccount', { ...selectorLabels(app, 'service-account', 'service-account'), ...MANAGED_BY }),
        annotations: withUserAnnotations(model, 'serviceaccount', {}),
      },
    });

    const secretMetadata = (name: string) => ({
      name,
      namespace,
      labels: withUserLabels(model, 'secret', { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': app, ...MANAGED_BY }),
      annotations: withUserAnnotations(model, 'secret', {}),
    });

    this.configSecret = new k8s.KubeSecret(this, 'ConfigSecret', {
      metadata: secretMetadata(configSecretName(app)),
      type: 'Opaque',
      data: secretData(model.config),
    });

    if (model.registryAuth) {
      new k8s.KubeSecret(this, 'PullSecret', {
        metadata: secretMetadata(`pull-secret-${app}`),
        type: 'kubernetes.io/dockerconfigjson',
        data: pullSecretData(model.registryAuth),
      });
    }

    for (const entry of model.storage) {
      new k8s.KubePersistentVolumeClaim(this, `Storage-${entry.name}`, {
        metadata: {
          name: entry.name,
          namespace,
          labels: { 'app.kubernetes.io/name': entry.name, 'app.kubernetes.io/part-of': app, ...MANAGED_BY },
          annotations: { ...MANAGED, ...NEVER_PRUNE },
        },
        spec: {
          accessModes: [entry.accessMode ?? 'ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(entry.size) } },
          ...(entry.storageClassName ? { storageClassName: entry.storageClassName } : {}),
        },
      });
    }
  }
}

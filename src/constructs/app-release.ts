/**
 * Release tasks as Jobs the GitOps agent orders around the rollout (see docs/release-jobs.md):
 *
 * - `apps/<app>/release/`: the Job that runs predeploy and the Procfile release command before
 *   the Deployments roll, with everything it needs on a first deploy (the Namespace, and its
 *   own copies of the ServiceAccount, env Secret and pull Secret);
 * - `apps/<app>/postdeploy/`: the Job that runs postdeploy once the Deployments are ready.
 *
 * Flux applies each folder as its own Kustomization (`<app>-release` before `<app>`,
 * `<app>-postdeploy` after it); Argo CD reads them as extra sources of the app's Application
 * and orders them with PreSync / PostSync hook annotations.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { AppModel } from '../dokku/app-model.js';
import type { ReleaseJob, ReleaseTask } from '../dokku/release.js';
import type { SubfolderChart } from '../compile.js';
import { k8s } from './_k8s.js';
import { MANAGED, MANAGED_BY, NEVER_PRUNE, selectorLabels, withUserAnnotations, withUserLabels } from './_metadata.js';
import { configSecretName, podSpec } from './_pod.js';
import { pullSecretData, secretData } from './_secret-data.js';
import { BUILT_IN_NAMESPACES } from './app-base.js';

/** How long a release task may run, as Dokku's `run` Jobs (`plugins/cron` `DefaultTTLSeconds`). */
export const RELEASE_ACTIVE_DEADLINE_SECONDS = 86400;

/** Argo CD: run before the sync's manifests are applied; delete the previous run when a new one starts. */
export const ARGO_PRESYNC = { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } as const;

/** Argo CD: run once every synced object is healthy; delete the previous run when a new one starts. */
export const ARGO_POSTSYNC = { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } as const;

/** The env Secret copy the release Job reads: `config-<app>-release`. */
export function releaseConfigSecretName(app: string): string {
  return `${configSecretName(app)}-release`;
}

/** The ServiceAccount the release Job runs as: `<app>-release`. */
export function releaseServiceAccountName(app: string): string {
  return `${app}-release`;
}

/** True when the app's Namespace is rendered by the release folder instead of the app folder. */
export function namespaceInReleaseFolder(model: AppModel): boolean {
  return model.releaseJobs.release !== undefined && !BUILT_IN_NAMESPACES.has(model.namespace);
}

/** Props of {@link AppReleaseChart}. */
export interface AppReleaseChartProps {
  readonly model: AppModel;
  /** The Job to render: `release` (before the rollout) or `postdeploy` (after it). */
  readonly job: ReleaseJob;
}

/**
 * One release phase of an app, rendered to its own folder `apps/<app>/<phase>/`.
 *
 * Construct ids are a contract: `Namespace`, `ServiceAccount`, `ConfigSecret`, `PullSecret`
 * (release phase only) and `Job`.
 */
export class AppReleaseChart extends Chart implements SubfolderChart {
  /** `release` or `postdeploy`: the folder under `apps/<app>/`. */
  public readonly subfolder: string;
  /** The Job. */
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: AppReleaseChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model, job } = props;
    const app = model.name;
    const namespace = model.namespace;
    const before = job.phase === 'release';
    this.subfolder = job.phase;
    // the objects a PreSync hook needs exist only if they are hooks of an earlier wave themselves
    const prerequisite = (wave: string) => ({ ...ARGO_PRESYNC, 'argocd.argoproj.io/sync-wave': wave });

    if (before && namespaceInReleaseFolder(model)) {
      // Never an Argo CD hook: a hook without a delete policy is BeforeHookCreation, so Argo CD
      // would delete the Namespace (and everything in it) on every sync. As a plain object, Argo
      // CD creates it before the PreSync hooks that use it (and CreateNamespace=true does too);
      // Flux applies this folder, Namespace first, before the app's.
      new k8s.KubeNamespace(this, 'Namespace', {
        metadata: { name: namespace, labels: { ...MANAGED, ...MANAGED_BY }, annotations: { ...MANAGED, ...NEVER_PRUNE } },
      });
    }

    let serviceAccountName = app;
    let configSecret = configSecretName(app);
    const pullSecrets = new Map<string, string>();
    if (before) {
      serviceAccountName = releaseServiceAccountName(app);
      new k8s.KubeServiceAccount(this, 'ServiceAccount', {
        metadata: {
          name: serviceAccountName,
          namespace,
          labels: withUserLabels(model, 'serviceaccount', { ...selectorLabels(app, serviceAccountName, 'release'), ...MANAGED_BY }),
          annotations: withUserAnnotations(model, 'serviceaccount', prerequisite('-1')),
        },
      });
      const secretMetadata = (name: string) => ({
        name,
        namespace,
        labels: withUserLabels(model, 'secret', { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': app, ...MANAGED_BY }),
        annotations: withUserAnnotations(model, 'secret', prerequisite('-1')),
      });
      configSecret = releaseConfigSecretName(app);
      new k8s.KubeSecret(this, 'ConfigSecret', {
        metadata: secretMetadata(configSecret),
        type: 'Opaque',
        data: secretData(model.config),
      });
      if (model.registryAuth) {
        const name = `pull-secret-${app}-release`;
        pullSecrets.set(`pull-secret-${app}`, name);
        new k8s.KubeSecret(this, 'PullSecret', {
          metadata: secretMetadata(name),
          type: 'kubernetes.io/dockerconfigjson',
          data: pullSecretData(model.registryAuth),
        });
      }
    }

    const main = job.tasks[job.tasks.length - 1]!;
    const containerOf = (task: ReleaseTask): k8s.Container => {
      // storage claims are left out: on a first deploy they do not exist before the rollout
      const spec = podSpec(before ? { ...model, storage: [] } : model, {
        name: task.containerName,
        command: task.containerCommand,
        args: task.args,
        resources: task.resources,
      });
      const container = spec.containers[0]!;
      // the release Job must not start without its env: a migration against defaults is worse than waiting
      return before ? { ...container, envFrom: [{ secretRef: { name: configSecret, optional: false } }] } : container;
    };
    const template = podSpec(before ? { ...model, storage: [] } : model, { name: main.containerName, args: [], resources: main.resources }, { restartPolicy: 'Never' });
    const phaseLabels = selectorLabels(app, `${app}-${job.phase}`, job.phase);
    const annotations: Record<string, string> = {
      ...(model.deploymentId !== undefined ? { 'app.kubernetes.io/version': model.deploymentId } : {}),
      'dokku.com/builder-type': model.builder,
      'kubectl.kubernetes.io/default-container': main.containerName,
    };

    this.job = new k8s.KubeJob(this, 'Job', {
      metadata: {
        name: job.name,
        namespace,
        labels: withUserLabels(model, 'job', { ...phaseLabels, ...MANAGED_BY }, job.phase),
        annotations: withUserAnnotations(model, 'job', { ...annotations, ...(before ? ARGO_PRESYNC : ARGO_POSTSYNC) }, job.phase),
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: RELEASE_ACTIVE_DEADLINE_SECONDS,
        template: {
          metadata: {
            labels: withUserLabels(model, 'pod', phaseLabels, job.phase),
            annotations: withUserAnnotations(model, 'pod', annotations, job.phase),
          },
          spec: {
            ...template,
            ...(job.tasks.length > 1 ? { initContainers: job.tasks.slice(0, -1).map(containerOf) } : {}),
            containers: [containerOf(main)],
            serviceAccountName,
            ...(template.imagePullSecrets ? { imagePullSecrets: template.imagePullSecrets.map((s) => ({ name: pullSecrets.get(s.name!) ?? s.name })) } : {}),
          },
        },
      },
    });
  }
}

/**
 * The pod spec shared by Deployments, CronJobs and release Jobs: one container running the
 * app image with the config Secret as env, the app's ServiceAccount, pull secrets, security
 * context from the docker options, `/dev/shm` and storage volumes.
 */
import type { AppModel } from '../dokku/app-model.js';
import type { ProcessProbes } from '../dokku/healthchecks.js';
import type { ContainerResources } from '../dokku/resources.js';
import type { PortMap } from '../dokku/ports.js';
import { k8s } from './_k8s.js';

/** What differs between the containers of an app. */
export interface ContainerOptions {
  /** Container name: `<app>-<process>` or `<app>-cron`. */
  readonly name: string;
  readonly command?: readonly string[];
  readonly args: readonly string[];
  /** @default - none */
  readonly env?: readonly { name: string; value: string }[];
  /** @default - none */
  readonly ports?: readonly PortMap[];
  readonly resources: ContainerResources;
  /** @default - no probes */
  readonly probes?: ProcessProbes;
}

/** Options of the pod around the container. */
export interface PodOptions {
  /** @default - Kubernetes' default (Always), as for Deployments */
  readonly restartPolicy?: 'Never' | 'OnFailure';
}

/** The name of an app's env Secret. */
export function configSecretName(app: string): string {
  return `config-${app}`;
}

function quantities(values: Record<string, string>): Record<string, k8s.Quantity> | undefined {
  const entries = Object.entries(values);
  return entries.length ? Object.fromEntries(entries.map(([k, v]) => [k, k8s.Quantity.fromString(v)])) : undefined;
}

/** Builds the pod spec of one container of an app. */
export function podSpec(model: AppModel, container: ContainerOptions, options: PodOptions = {}): k8s.PodSpec {
  const { security } = model;
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  if (model.shmSize) {
    volumes.push({ name: 'shmem', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString(model.shmSize) } });
    mounts.push({ name: 'shmem', mountPath: '/dev/shm' });
  }
  for (const s of model.storage) {
    volumes.push({ name: s.name, persistentVolumeClaim: { claimName: s.name } });
    mounts.push({ name: s.name, mountPath: s.mountPath, ...(s.subPath ? { subPath: s.subPath } : {}), ...(s.readOnly ? { readOnly: true } : {}) });
  }
  const hasSecurity = security.privileged || security.capabilitiesAdd.length > 0 || security.capabilitiesDrop.length > 0;
  const containerSecurity: k8s.SecurityContext | undefined = hasSecurity
    ? {
        ...(security.privileged ? { privileged: true } : {}),
        ...(security.capabilitiesAdd.length || security.capabilitiesDrop.length
          ? {
              capabilities: {
                ...(security.capabilitiesAdd.length ? { add: [...security.capabilitiesAdd] } : {}),
                ...(security.capabilitiesDrop.length ? { drop: [...security.capabilitiesDrop] } : {}),
              },
            }
          : {}),
      }
    : undefined;
  const requests = quantities(container.resources.requests);
  const limits = quantities(container.resources.limits);
  const c: k8s.Container = {
    name: container.name,
    image: model.image,
    imagePullPolicy: 'Always',
    ...(container.command?.length ? { command: [...container.command] } : {}),
    ...(container.args.length ? { args: [...container.args] } : {}),
    ...(container.env?.length ? { env: container.env.map((e) => ({ name: e.name, value: e.value })) } : {}),
    envFrom: [{ secretRef: { name: configSecretName(model.name), optional: true } }],
    ...(container.ports?.length
      ? { ports: container.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })) }
      : {}),
    ...(requests || limits ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } } : {}),
    ...(container.probes?.startup ? { startupProbe: container.probes.startup } : {}),
    ...(container.probes?.liveness ? { livenessProbe: container.probes.liveness } : {}),
    ...(container.probes?.readiness ? { readinessProbe: container.probes.readiness } : {}),
    ...(containerSecurity ? { securityContext: containerSecurity } : {}),
    ...(model.workingDir ? { workingDir: model.workingDir } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };
  return {
    containers: [c],
    serviceAccountName: model.name,
    ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
    ...(model.imagePullSecrets.length ? { imagePullSecrets: model.imagePullSecrets.map((name) => ({ name })) } : {}),
    ...(security.sysctls.length ? { securityContext: { sysctls: security.sysctls.map((s) => ({ name: s.name, value: s.value })) } } : {}),
    ...(volumes.length ? { volumes } : {}),
  };
}

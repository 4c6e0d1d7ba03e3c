/**
 * How a process scales: a KEDA ScaledObject (with the KEDA HTTP add-on's HTTPScaledObject and
 * interceptor Service for an `http` trigger) or an `autoscaling/v2` HorizontalPodAutoscaler,
 * and the app's KEDA TriggerAuthentications with their Secrets.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { AppModel } from '../dokku/app-model.js';
import { HTTP_INTERCEPTOR_HOST, type HttpScalingModel, type KedaScalingModel, type HpaScalingModel, type TriggerAuthModel } from '../dokku/autoscaling.js';
import type { ProcessModel } from '../dokku/app-model.js';
import { ScaledObject, ScaledObjectSpecTriggersAuthenticationRefKind, TriggerAuthentication } from '../imports/keda.sh.js';
import { k8s } from './_k8s.js';
import { MANAGED, MANAGED_BY, selectorLabels, withUserAnnotations, withUserLabels } from './_metadata.js';
import { secretData } from './_secret-data.js';

/** The KEDA HTTP add-on's API version (no typed import: the CRD is not in src/imports). */
export const HTTP_SCALED_OBJECT_API_VERSION = 'http.keda.sh/v1alpha1';

function version(model: AppModel): Record<string, string> {
  return model.deploymentId !== undefined ? { 'app.kubernetes.io/version': model.deploymentId } : {};
}

/** Props of {@link AppTriggerAuthentications}. */
export interface AppTriggerAuthenticationsProps {
  readonly model: AppModel;
}

/**
 * Per trigger type of the app's `autoscalingAuth`: the Secret `kta-<app>-<type>` holding the
 * parameters, and the TriggerAuthentication `<app>-<type>` mapping each parameter to its key.
 * Construct ids: `Secret-<type>`, `TriggerAuthentication-<type>`.
 */
export class AppTriggerAuthentications extends Construct {
  constructor(scope: Construct, id: string, props: AppTriggerAuthenticationsProps) {
    super(scope, id);
    const { model } = props;
    for (const auth of model.scaling.triggerAuthentications) renderAuth(this, model, auth);
  }
}

function renderAuth(scope: Construct, model: AppModel, auth: TriggerAuthModel): void {
  const app = model.name;
  const labels = { 'app.kubernetes.io/instance': auth.name, 'app.kubernetes.io/name': auth.type, 'app.kubernetes.io/part-of': app };
  new k8s.KubeSecret(scope, `Secret-${auth.type}`, {
    metadata: {
      name: auth.secretName,
      namespace: model.namespace,
      labels: { ...labels, ...MANAGED_BY },
      annotations: withUserAnnotations(model, 'keda_secret', version(model)),
    },
    type: 'Opaque',
    data: secretData(auth.parameters),
  });
  new TriggerAuthentication(scope, `TriggerAuthentication-${auth.type}`, {
    metadata: {
      name: auth.name,
      namespace: model.namespace,
      labels: { ...labels, ...MANAGED_BY },
      annotations: withUserAnnotations(model, 'keda_trigger_authentication', version(model)),
    },
    spec: { secretTargetRef: auth.parameters.map(([key]) => ({ key, name: auth.secretName, parameter: key })) },
  });
}

/** Props of {@link ProcessAutoscaler}. */
export interface ProcessAutoscalerProps {
  readonly model: AppModel;
  readonly process: ProcessModel;
}

/**
 * The autoscaler of one process: the ScaledObject `<app>-<proc>` (plus, for an `http`
 * trigger, the HTTPScaledObject `<app>-<proc>` and the ExternalName Service
 * `kip-<app>-<proc>`), or the HorizontalPodAutoscaler `<app>-<proc>`. Renders nothing for a
 * process that does not autoscale.
 *
 * Construct ids: `ScaledObject`, `HttpScaledObject`, `InterceptorService`,
 * `HorizontalPodAutoscaler`.
 */
export class ProcessAutoscaler extends Construct {
  constructor(scope: Construct, id: string, props: ProcessAutoscalerProps) {
    super(scope, id);
    const { model, process } = props;
    const scaling = model.scaling.processes.get(process.type);
    if (scaling?.keda) {
      renderScaledObject(this, model, process, scaling.keda);
      if (scaling.keda.http) renderHttp(this, model, process, scaling.keda, scaling.keda.http);
    }
    if (scaling?.hpa) renderHpa(this, model, process, scaling.hpa);
  }
}

function renderScaledObject(scope: Construct, model: AppModel, process: ProcessModel, keda: KedaScalingModel): void {
  new ScaledObject(scope, 'ScaledObject', {
    metadata: {
      name: process.name,
      namespace: model.namespace,
      labels: withUserLabels(model, 'keda_scaled_object', { ...selectorLabels(model.name, process.name, process.type), ...MANAGED_BY }, process.type),
      annotations: withUserAnnotations(model, 'keda_scaled_object', version(model), process.type),
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: process.name, envSourceContainerName: process.name },
      cooldownPeriod: keda.cooldownPeriod,
      pollingInterval: keda.pollingInterval,
      minReplicaCount: keda.minReplicas,
      maxReplicaCount: keda.maxReplicas,
      ...(keda.fallback ? { fallback: { failureThreshold: keda.fallback.failureThreshold, replicas: keda.fallback.replicas } } : {}),
      triggers: keda.triggers.map((t) => ({
        name: t.name,
        type: t.type,
        metadata: { ...t.metadata },
        ...(t.metricType ? { metricType: t.metricType } : {}),
        ...(t.authenticationRef
          ? {
              authenticationRef: {
                name: t.authenticationRef.name,
                kind:
                  t.authenticationRef.kind === 'ClusterTriggerAuthentication'
                    ? ScaledObjectSpecTriggersAuthenticationRefKind.CLUSTER_TRIGGER_AUTHENTICATION
                    : ScaledObjectSpecTriggersAuthenticationRefKind.TRIGGER_AUTHENTICATION,
              },
            }
          : {}),
      })),
    },
  });
}

function renderHttp(scope: Construct, model: AppModel, process: ProcessModel, keda: KedaScalingModel, http: HttpScalingModel): void {
  const labels = { ...selectorLabels(model.name, process.name, process.type), ...MANAGED_BY };
  new ApiObject(scope, 'HttpScaledObject', {
    apiVersion: HTTP_SCALED_OBJECT_API_VERSION,
    kind: 'HTTPScaledObject',
    metadata: {
      name: http.name,
      namespace: model.namespace,
      labels,
      // the ScaledObject above scales the Deployment; the add-on must not create its own
      annotations: { ...MANAGED, ...version(model), 'httpscaledobject.keda.sh/skip-scaledobject-creation': 'true' },
    },
    spec: {
      hosts: [...http.hosts],
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: process.name, service: http.service, port: http.port },
      replicas: { min: keda.minReplicas, max: keda.maxReplicas },
      scaledownPeriod: http.scaledownPeriod,
      scalingMetric: http.scalingMetric,
    },
  });
  new k8s.KubeService(scope, 'InterceptorService', {
    metadata: {
      name: http.interceptorService,
      namespace: model.namespace,
      labels,
      annotations: { ...MANAGED, ...version(model) },
    },
    spec: { type: 'ExternalName', externalName: HTTP_INTERCEPTOR_HOST },
  });
}

function renderHpa(scope: Construct, model: AppModel, process: ProcessModel, hpa: HpaScalingModel): void {
  new k8s.KubeHorizontalPodAutoscalerV2(scope, 'HorizontalPodAutoscaler', {
    metadata: {
      name: process.name,
      namespace: model.namespace,
      labels: { ...selectorLabels(model.name, process.name, process.type), ...MANAGED_BY },
      annotations: { ...MANAGED, ...version(model) },
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: process.name },
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      metrics: hpa.metrics.map((m) => ({
        type: 'Resource',
        resource: {
          name: m.resource,
          target:
            m.target.type === 'Utilization'
              ? { type: 'Utilization', averageUtilization: m.target.averageUtilization }
              : { type: 'AverageValue', averageValue: k8s.Quantity.fromString(m.target.averageValue) },
        },
      })),
    },
  });
}

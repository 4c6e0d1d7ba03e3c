/**
 * One Dokku process type: its Deployment, and its Service when it is exposed.
 */
import { createHmac } from 'node:crypto';
import { Construct } from 'constructs';
import type { AppModel, ProcessModel } from '../dokku/app-model.js';
import { k8s } from './_k8s.js';
import { MANAGED_BY, selectorLabels, withUserAnnotations, withUserLabels } from './_metadata.js';
import { podSpec } from './_pod.js';

/** Props of {@link AppProcess}. */
export interface AppProcessProps {
  readonly model: AppModel;
  readonly process: ProcessModel;
  /**
   * The host-held key of the rollout digest. The digest of the env and image sits next to
   * encrypted Secrets in Git, so it is an HMAC: without the key, env values cannot be guessed.
   */
  readonly rolloutKey: Buffer;
  /**
   * Whether an autoscaler (KEDA or an HPA) owns the replica count; the Deployment then has
   * no `replicas`, so that the GitOps agent and the autoscaler never fight.
   *
   * @default false
   */
  readonly autoscaled?: boolean;
}

/**
 * The digest that rolls pods when the env or the image changes, and never otherwise:
 * HMAC-SHA256 over the image and the sorted env.
 */
export function rolloutDigest(model: AppModel, key: Buffer): string {
  return createHmac('sha256', key)
    .update(JSON.stringify({ image: model.image, env: model.config }))
    .digest('hex');
}

/**
 * The Deployment `<app>-<process>` and, for `web` and exposed processes, the Service
 * `<app>-<process>` with one port per port map.
 */
export class AppProcess extends Construct {
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service, for exposed processes. */
  public readonly service?: k8s.KubeService;

  constructor(scope: Construct, id: string, props: AppProcessProps) {
    super(scope, id);
    const { model, process } = props;
    const app = model.name;
    const selector = selectorLabels(app, process.name, process.type);
    const version: Record<string, string> = model.deploymentId !== undefined ? { 'app.kubernetes.io/version': model.deploymentId } : {};
    const common: Record<string, string> = {
      ...version,
      'dokku.com/builder-type': model.builder,
      'kubectl.kubernetes.io/default-container': process.name,
    };

    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: {
        name: process.name,
        namespace: model.namespace,
        labels: withUserLabels(model, 'deployment', { ...selector, ...MANAGED_BY }, process.type),
        annotations: withUserAnnotations(model, 'deployment', common, process.type),
      },
      spec: {
        ...(props.autoscaled ? {} : { replicas: process.replicas }),
        revisionHistoryLimit: 5,
        ...(process.probes.minReadySeconds ? { minReadySeconds: process.probes.minReadySeconds } : {}),
        // selector labels are immutable: user pod labels never join them (Dokku adds them)
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: withUserLabels(model, 'pod', selector, process.type),
            // the digest comes last: a user annotation must never replace it
            annotations: { ...withUserAnnotations(model, 'pod', common, process.type), 'dokku.com/rollout-digest': rolloutDigest(model, props.rolloutKey) },
          },
          spec: podSpec(model, {
            name: process.name,
            command: process.command,
            args: process.args,
            env: process.env,
            ports: process.containerPorts,
            resources: process.resources,
            probes: process.probes,
          }),
        },
      },
    });

    if (process.exposed) {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: {
          name: process.name,
          namespace: model.namespace,
          labels: withUserLabels(model, 'service', { ...selector, ...MANAGED_BY }, process.type),
          annotations: withUserAnnotations(model, 'service', {}, process.type),
        },
        spec: {
          ports: process.portMaps.map((m) => ({
            name: m.name,
            port: m.hostPort,
            targetPort: k8s.IntOrString.fromNumber(m.containerPort),
            protocol: 'TCP',
          })),
          selector,
        },
      });
    }
  }
}

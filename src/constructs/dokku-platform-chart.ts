/**
 * The chart of cluster-wide objects that the global settings ask for (ClusterIssuers,
 * ClusterTriggerAuthentications and their Secrets). They go to `platform/dokku/`.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { AppModel, GlobalModel } from '../dokku/app-model.js';
import { ClusterIssuers } from './cluster-issuers.js';
import { ClusterTriggerAuthentications } from './cluster-trigger-authentications.js';

/** Props of {@link DokkuPlatformChart}. */
export interface DokkuPlatformChartProps {
  /** The resolved Global document. */
  readonly global: GlobalModel;
  /** The resolved apps of the same state (some cluster-wide objects depend on them). */
  readonly apps: readonly AppModel[];
}

/**
 * Cluster-wide objects. Each area adds its own construct here (routing: ClusterIssuers;
 * autoscaling: ClusterTriggerAuthentications); the chart renders nothing when none applies.
 */
export class DokkuPlatformChart extends Chart {
  constructor(scope: Construct, id: string, props: DokkuPlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    new ClusterIssuers(this, 'ClusterIssuers', { global: props.global });
    new ClusterTriggerAuthentications(this, 'ClusterTriggerAuthentications', { authentications: props.global.scaling.clusterTriggerAuthentications });
  }
}

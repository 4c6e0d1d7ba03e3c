/**
 * The chart of one Dokku app: everything scheduler-k3s would install for it, as plain objects.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { AppModel } from '../dokku/app-model.js';
import { AppBase } from './app-base.js';
import { AppProcess } from './app-process.js';
import { namespaceInReleaseFolder } from './app-release.js';
import { AppScheduling } from './app-scheduling.js';
import { isAutoscaled } from '../dokku/autoscaling.js';
import { AppRouting } from './app-routing.js';

/** Props of {@link DokkuAppChart}. */
export interface DokkuAppChartProps {
  /** The resolved app (see `resolveState`). */
  readonly model: AppModel;
  /** The host-held key of the rollout digest (see {@link AppProcessProps.rolloutKey}). */
  readonly rolloutKey: Buffer;
}

/**
 * One app's objects. Construct ids are a contract: `Base`, then `Process-<type>` per process
 * type, then `Routing` and `Scheduling`; object names come from the Dokku app and process names, never from construct paths.
 */
export class DokkuAppChart extends Chart {
  /** The app's processes, by process type. */
  public readonly processes: ReadonlyMap<string, AppProcess>;

  constructor(scope: Construct, id: string, props: DokkuAppChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    new AppBase(this, 'Base', { model, namespace: !namespaceInReleaseFolder(model) });
    const processes = new Map<string, AppProcess>();
    for (const process of model.processes) {
      processes.set(process.type, new AppProcess(this, `Process-${process.type}`, { model, process, rolloutKey: props.rolloutKey, autoscaled: isAutoscaled(model.scaling, process.type) }));
    }
    this.processes = processes;
    new AppScheduling(this, 'Scheduling', { model });
    new AppRouting(this, 'Routing', { model, checksumKey: props.rolloutKey });
  }
}

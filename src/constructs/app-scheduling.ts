/**
 * What runs on a schedule, once per release, and how processes scale: the part of an app's
 * chart that issue "scheduled and scaled work" adds next to the workloads.
 */
import { Construct } from 'constructs';
import type { AppModel } from '../dokku/app-model.js';
import { ProcessAutoscaler, AppTriggerAuthentications } from './app-autoscaling.js';
import { AppCronJob } from './app-cron.js';
import { ProcessDisruptionBudget } from './app-disruption.js';
import { AppReleaseChart } from './app-release.js';

/** Props of {@link AppScheduling}. */
export interface AppSchedulingProps {
  readonly model: AppModel;
}

/**
 * An app's CronJobs, autoscalers, disruption budgets and trigger authentications (in the
 * app's folder), and its release and postdeploy Jobs (each a chart of its own, rendered to
 * `apps/<app>/release/` and `apps/<app>/postdeploy/`).
 *
 * Construct ids are a contract: `TriggerAuthentications`, `Autoscaler-<proc>` and
 * `DisruptionBudget-<proc>` per process type, `Cron-<cron id>` per cron task, and the charts
 * `Release` and `Postdeploy`.
 */
export class AppScheduling extends Construct {
  /** The CronJobs, in app.json order. */
  public readonly cronJobs: readonly AppCronJob[];
  /** The chart of the release Job, when the app has predeploy or a Procfile release command. */
  public readonly release?: AppReleaseChart;
  /** The chart of the postdeploy Job, when the app has a postdeploy script. */
  public readonly postdeploy?: AppReleaseChart;

  constructor(scope: Construct, id: string, props: AppSchedulingProps) {
    super(scope, id);
    const { model } = props;
    new AppTriggerAuthentications(this, 'TriggerAuthentications', { model });
    for (const process of model.processes) {
      new ProcessAutoscaler(this, `Autoscaler-${process.type}`, { model, process });
      new ProcessDisruptionBudget(this, `DisruptionBudget-${process.type}`, { model, process });
    }
    this.cronJobs = model.crons.map((cron) => new AppCronJob(this, `Cron-${cron.id}`, { model, cron }));
    const { release, postdeploy } = model.releaseJobs;
    if (release) this.release = new AppReleaseChart(this, 'Release', { model, job: release });
    if (postdeploy) this.postdeploy = new AppReleaseChart(this, 'Postdeploy', { model, job: postdeploy });
  }
}

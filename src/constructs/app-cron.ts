/**
 * app.json cron tasks as CronJobs, laid out as scheduler-k3s's `cron-job.yaml` does.
 */
import { Construct } from 'constructs';
import type { AppModel } from '../dokku/app-model.js';
import { cronContainerName, type CronModel } from '../dokku/cron.js';
import { k8s } from './_k8s.js';
import { MANAGED_BY, withUserAnnotations, withUserLabels } from './_metadata.js';
import { podSpec } from './_pod.js';

/** Props of {@link AppCronJob}. */
export interface AppCronJobProps {
  readonly model: AppModel;
  /** The resolved cron task. */
  readonly cron: CronModel;
}

/** The longest time a cron run may take (`plugins/cron` `DefaultTTLSeconds`). */
export const CRON_ACTIVE_DEADLINE_SECONDS = 86400;

/**
 * The CronJob `<app>-cron-<suffix>` of one cron task.
 *
 * Every level (CronJob, Job template, pod template) carries Dokku's version, builder type,
 * cron hash, cron ID and job suffix annotations and the cron-hash label; user `cronjob`,
 * `job` and `pod` annotations and labels land on the matching level, app-wide values first,
 * then those set for the cron ID as process type.
 */
export class AppCronJob extends Construct {
  /** The CronJob. */
  public readonly cronJob: k8s.KubeCronJob;

  constructor(scope: Construct, id: string, props: AppCronJobProps) {
    super(scope, id);
    const { model, cron } = props;
    const app = model.name;
    const container = cronContainerName(app);
    const annotations: Record<string, string> = {
      ...(model.deploymentId !== undefined ? { 'app.kubernetes.io/version': model.deploymentId } : {}),
      'dokku.com/builder-type': model.builder,
      'dokku.com/cron-hash': cron.hash,
      'dokku.com/cron-id': cron.id,
      'dokku.com/job-suffix': cron.suffix,
      'kubectl.kubernetes.io/default-container': container,
    };
    const labels: Record<string, string> = {
      'app.kubernetes.io/instance': cron.name,
      'app.kubernetes.io/name': 'cron',
      'app.kubernetes.io/part-of': app,
      'dokku.com/cron-hash': cron.hash,
    };
    const level = (type: 'cronjob' | 'job' | 'pod', own: boolean) => ({
      labels: withUserLabels(model, type, own ? { ...labels, ...MANAGED_BY } : labels, cron.id),
      annotations: withUserAnnotations(model, type, annotations, cron.id),
    });

    this.cronJob = new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name: cron.name, namespace: model.namespace, ...level('cronjob', true) },
      spec: {
        schedule: cron.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: cron.concurrencyPolicy,
        suspend: cron.suspend,
        startingDeadlineSeconds: 60,
        successfulJobsHistoryLimit: 10,
        failedJobsHistoryLimit: 10,
        jobTemplate: {
          metadata: level('job', true),
          spec: {
            backoffLimit: 0,
            podReplacementPolicy: 'Failed',
            ttlSecondsAfterFinished: 60,
            activeDeadlineSeconds: CRON_ACTIVE_DEADLINE_SECONDS,
            template: {
              metadata: level('pod', false),
              spec: podSpec(
                model,
                { name: container, command: cron.containerCommand, args: cron.args, resources: cron.resources },
                { restartPolicy: 'Never' },
              ),
            },
          },
        },
      },
    });
  }
}

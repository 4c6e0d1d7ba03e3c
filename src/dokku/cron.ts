/**
 * app.json cron tasks, resolved with the rules of Dokku's cron plugin (`plugins/cron/cron.go`
 * `FetchCronTasks`) and scheduler-k3s (`P/chart.go`, `P/functions.go` `cronIDLabelValue`).
 */
import { createHash } from 'node:crypto';
import { show } from '../state/_problems.js';
import type { AppSpec, Builder } from '../state/types.js';
import { boundedName } from './_bounded-name.js';
import type { ReportProblem } from './_report.js';
import { CRON_DESCRIPTORS, cronScheduleProblem } from './_cron-schedule.js';
import { MAX_LABEL } from './names.js';
import { containerResources, type ContainerResources } from './resources.js';
import { kubernetesArgs, ShellSyntaxError } from './shell.js';

/** The longest CronJob name: the controller appends `-<11 digits>` to name its Jobs (label values are at most 63). */
export const MAX_CRONJOB_NAME = 52;

/** The Kubernetes `concurrencyPolicy` of each app.json `concurrency_policy`. */
export const CONCURRENCY_POLICIES = { allow: 'Allow', forbid: 'Forbid', replace: 'Replace' } as const;

/** A Kubernetes CronJob `concurrencyPolicy`. */
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[keyof typeof CONCURRENCY_POLICIES];

/** One cron task, resolved. */
export interface CronModel {
  /** Dokku's cron ID: lowercase base36 of `<app>===<command>===<schedule>`. */
  readonly id: string;
  /** `dokku.com/cron-hash`: SHA-1 hex of the cron ID (a label value, which the ID is too long to be). */
  readonly hash: string;
  /** 10 hex characters derived from the cron ID (Dokku's suffix is random). */
  readonly suffix: string;
  /** `<app>-cron-<suffix>`, the app part cut to keep the name within 52 characters. */
  readonly name: string;
  /** The schedule, as written. */
  readonly schedule: string;
  /** The command, as written. */
  readonly command: string;
  /** `['launcher']` for pack images, else unset (the image's entrypoint). */
  readonly containerCommand?: readonly string[];
  /** The command, shell-split; variables are kept as written, as Dokku does. */
  readonly args: readonly string[];
  readonly concurrencyPolicy: ConcurrencyPolicy;
  /** True when the task is in maintenance or the app is stopped. */
  readonly suspend: boolean;
  /** Resources of the process type named by the cron ID (else `_default_`). */
  readonly resources: ContainerResources;
}

/**
 * Lowercase base36 of the UTF-8 bytes read as one big-endian number, with one `0` per leading
 * zero byte (multiformats/go-base36 `EncodeToStringLc`).
 */
export function base36Lc(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros += 1;
  let n = 0n;
  for (const b of bytes.subarray(zeros)) n = (n << 8n) | BigInt(b);
  return '0'.repeat(zeros) + (zeros < bytes.length ? n.toString(36) : '');
}

/** Dokku's cron ID (`GenerateCommandID`): base36 of `<app>===<command>===<schedule>`. */
export function cronId(app: string, command: string, schedule: string): string {
  return base36Lc(Buffer.from(`${app}===${command}===${schedule}`, 'utf8'));
}

/** The `dokku.com/cron-hash` label value (`cronIDLabelValue`): SHA-1 hex of the cron ID. */
export function cronHash(id: string): string {
  return createHash('sha1').update(id, 'utf8').digest('hex');
}

/** The CronJob suffix: the first 10 hex characters of the cron hash, the length of Dokku's random suffix. */
export function cronSuffix(id: string): string {
  return cronHash(id).slice(0, 10);
}

/** The CronJob name: `<app>-cron-<suffix>`, at most {@link MAX_CRONJOB_NAME} characters. */
export function cronJobName(app: string, id: string): string {
  return boundedName(app, `cron-${cronSuffix(id)}`, MAX_CRONJOB_NAME);
}

/** The container name of every CronJob of an app (`<app>-cron`). */
export function cronContainerName(app: string): string {
  return `${app}-cron`;
}

const SCHEDULE_HELP = `use 5 fields (minute hour day-of-month month day-of-week) or a descriptor (${CRON_DESCRIPTORS.join(', ')}, @every <duration>)`;

/** What {@link resolveCrons} reads. */
export interface CronInput {
  readonly app: string;
  readonly spec: AppSpec;
  readonly builder: Builder;
}

/**
 * The app's cron tasks, in app.json order; every problem is reported at its field.
 */
export function resolveCrons(input: CronInput, at: ReportProblem): CronModel[] {
  const { app, spec } = input;
  const tasks = spec.appJson?.cron ?? [];
  const out: CronModel[] = [];
  const seen = new Map<string, number>();
  if (tasks.length && cronContainerName(app).length > MAX_LABEL) {
    at(['spec', 'appJson', 'cron'], `the cron container name "${cronContainerName(app)}" is longer than ${MAX_LABEL} characters; use a shorter app name`);
  }
  tasks.forEach((task, i) => {
    const path = ['spec', 'appJson', 'cron', i] as const;
    let ok = true;
    const scheduleProblem = cronScheduleProblem(task.schedule);
    if (scheduleProblem) {
      at([...path, 'schedule'], `${show(task.schedule)} is not a valid cron schedule: ${scheduleProblem}; ${SCHEDULE_HELP}`);
      ok = false;
    }
    // exact, lowercase names, as FetchCronTasks checks them (own keys only: "toString" is no policy)
    const policyName = task.concurrency_policy ?? 'allow';
    const policy = Object.hasOwn(CONCURRENCY_POLICIES, policyName) ? CONCURRENCY_POLICIES[policyName as keyof typeof CONCURRENCY_POLICIES] : undefined;
    if (!policy) {
      at([...path, 'concurrency_policy'], `${show(task.concurrency_policy)} is not a concurrency policy; allowed values: ${Object.keys(CONCURRENCY_POLICIES).join(', ')}`);
      ok = false;
    }
    let args: string[] = [];
    try {
      args = kubernetesArgs(task.command);
      if (!args.length) {
        at([...path, 'command'], `${show(task.command)} has no words to run`);
        ok = false;
      }
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      at([...path, 'command'], `${show(task.command)} cannot be split into words: ${err.message}`);
      ok = false;
    }
    const id = cronId(app, task.command, task.schedule);
    const first = seen.get(id);
    if (first !== undefined) {
      at(path, `repeats cron task ${first} (same command and schedule, so the same cron ID); remove one`);
      ok = false;
    } else {
      seen.set(id, i);
    }
    const { resources, problems } = containerResources(spec.resources, id);
    for (const p of problems) at(['spec', 'resources', ...p.path], p.message);
    if (!ok || problems.length) return;
    out.push({
      id,
      hash: cronHash(id),
      suffix: cronSuffix(id),
      name: cronJobName(app, id),
      schedule: task.schedule,
      command: task.command,
      ...(input.builder === 'pack' ? { containerCommand: ['launcher'] } : {}),
      args,
      concurrencyPolicy: policy!,
      suspend: task.maintenance === true || spec.stopped === true,
      resources,
    });
  });
  return out;
}

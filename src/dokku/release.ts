/**
 * Release tasks, resolved: app.json `scripts.dokku.predeploy`, the Procfile `release` entry and
 * app.json `scripts.dokku.postdeploy`. Dokku runs them in Docker on its host
 * (`plugins/app-json`, `executeScript`); here they become Kubernetes Jobs that the GitOps
 * agent orders around the rollout (see `docs/release-jobs.md`).
 */
import { createHash } from 'node:crypto';
import { show } from '../state/_problems.js';
import type { AppSpec, Builder } from '../state/types.js';
import { boundedName } from './_bounded-name.js';
import type { ReportProblem } from './_report.js';
import { MAX_LABEL } from './names.js';
import { containerResources, type ContainerResources } from './resources.js';
import { kubernetesArgs, ShellSyntaxError } from './shell.js';

/** Which task: Dokku's phase names. */
export type ReleaseTaskKind = 'predeploy' | 'release' | 'postdeploy';

/** One task, resolved. */
export interface ReleaseTask {
  readonly kind: ReleaseTaskKind;
  /** The command, as written. */
  readonly command: string;
  /** Container name: `<app>-<kind>` (or just `<kind>` when that is too long). */
  readonly containerName: string;
  /** `['/exec']` for herokuish, `['launcher']` for pack, else unset, as Dokku's `run` Jobs. */
  readonly containerCommand?: readonly string[];
  /** The command, shell-split; `$VAR` becomes Kubernetes' `$(VAR)`, expanded from the env. */
  readonly args: readonly string[];
  /** Resources of the process type named after the task (else `_default_`). */
  readonly resources: ContainerResources;
}

/** The Job of one phase: one or more tasks run in order, as init containers then the main one. */
export interface ReleaseJob {
  /** `release` (before the rollout) or `postdeploy` (after it). */
  readonly phase: 'release' | 'postdeploy';
  /** `<app>-<phase>-<hash>`, at most 63 characters. */
  readonly name: string;
  /** 10 hex characters of SHA-256 over the image and the commands. */
  readonly hash: string;
  /** The tasks in run order: every one but the last runs as an init container. */
  readonly tasks: readonly ReleaseTask[];
}

/** An app's release Jobs. */
export interface ReleaseJobs {
  /** predeploy then the Procfile release command, before the Deployments roll. */
  readonly release?: ReleaseJob;
  /** postdeploy, once the Deployments are ready. */
  readonly postdeploy?: ReleaseJob;
}

/** What {@link resolveReleaseJobs} reads. */
export interface ReleaseInput {
  readonly app: string;
  readonly spec: AppSpec;
  readonly builder: Builder;
  /** The Procfile `release` command. */
  readonly releaseCommand?: string;
}

/** The short hash a release Job name carries: a new image or command makes a new Job. */
export function releaseHash(image: string, commands: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify({ image, commands })).digest('hex').slice(0, 10);
}

/** `<app>-<phase>-<hash>`, the app part cut to keep the name within 63 characters (Job names become label values). */
export function releaseJobName(app: string, phase: string, hash: string): string {
  return boundedName(app, `${phase}-${hash}`, MAX_LABEL);
}

function entrypoint(builder: Builder): readonly string[] | undefined {
  if (builder === 'herokuish') return ['/exec'];
  if (builder === 'pack') return ['launcher'];
  return undefined;
}

/**
 * The release and postdeploy Jobs of an app; problems (a command that cannot be split) are
 * reported at their field.
 */
export function resolveReleaseJobs(input: ReleaseInput, at: ReportProblem): ReleaseJobs {
  const { app, spec } = input;
  const scripts = spec.appJson?.scripts?.dokku;
  const task = (kind: ReleaseTaskKind, command: string | undefined, path: readonly (string | number)[]): ReleaseTask | undefined => {
    if (command === undefined || command.trim() === '') return undefined;
    let args: string[];
    try {
      // config values never go into args (they would reach Git): Kubernetes expands $(VAR) from the env
      args = kubernetesArgs(command, { references: true });
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      at(path, `the ${kind} command ${show(command)} cannot be split into words: ${err.message}`);
      return undefined;
    }
    const { resources, problems } = containerResources(spec.resources, kind);
    for (const p of problems) at(['spec', 'resources', ...p.path], p.message);
    const containerCommand = entrypoint(input.builder);
    const name = `${app}-${kind}`;
    return {
      kind,
      command,
      containerName: name.length <= MAX_LABEL ? name : kind,
      ...(containerCommand ? { containerCommand } : {}),
      args,
      resources,
    };
  };
  const job = (phase: 'release' | 'postdeploy', tasks: (ReleaseTask | undefined)[]): ReleaseJob | undefined => {
    const present = tasks.filter((t): t is ReleaseTask => t !== undefined);
    if (!present.length) return undefined;
    const hash = releaseHash(spec.image, present.map((t) => t.command));
    return { phase, name: releaseJobName(app, phase, hash), hash, tasks: present };
  };
  const release = job('release', [
    task('predeploy', scripts?.predeploy, ['spec', 'appJson', 'scripts', 'dokku', 'predeploy']),
    task('release', input.releaseCommand, ['spec', 'procfile']),
  ]);
  const postdeploy = job('postdeploy', [task('postdeploy', scripts?.postdeploy, ['spec', 'appJson', 'scripts', 'dokku', 'postdeploy'])]);
  return { ...(release ? { release } : {}), ...(postdeploy ? { postdeploy } : {}) };
}

/**
 * The collector: an app's state document (and the Global document), read from a Dokku host
 * through Dokku's own reports, so that `dokku-gitops deploy` compiles what Dokku would deploy.
 *
 * Every value comes from a `dokku` subcommand (JSON reports wherever Dokku has them) except the
 * Procfile, the app.json and the registry credentials, which Dokku keeps only as files. The
 * parsing of each report is in `_reports.ts`, next to the Dokku source it follows.
 */
import { join } from 'node:path';
import { Document } from 'yaml';
import { PROPERTIES } from '../dokku/properties.js';
import { DokkuGitopsError } from '../errors.js';
import { LABEL_RESOURCE_TYPES, STATE_API_VERSION, type AppDocument, type AppJson, type AppSpec, type GlobalDocument, type GlobalSpec, type StorageEntry } from '../state/types.js';
import {
  ANNOTATION_TYPES,
  autoscalingAuthOf,
  builderOf,
  configOf,
  dockerOptionsOf,
  domainsOf,
  globalMetadataOf,
  globalVhostsOf,
  imageOf,
  k3sPropertiesOf,
  nginxOf,
  parseJson,
  portsOf,
  registryAuthOf,
  resourcesOf,
  scaleOf,
  scopedMetadataOf,
  storageAttachmentsOf,
  storageEntryOf,
  str,
  type Report,
  type StorageEntryInfo,
} from './_reports.js';
import { commandLine, localDokkuRunner, type DokkuCommandResult, type DokkuRunner } from './runner.js';

/**
 * scheduler-k3s properties that shape the manifests, as `scheduler-k3s:set` stores them. The
 * cluster-access properties (`kubeconfig-path`, `kube-context`, `network-interface`, `token`,
 * `node-sysctls-*`) are not collected: they have no effect on manifests, and `token` is the
 * k3s join secret.
 */
const MANIFEST_PROPERTIES = Object.keys(PROPERTIES).filter((name) => !['kubeconfig-path', 'kube-context', 'network-interface', 'token', 'node-sysctls-image', 'node-sysctls-pause-image'].includes(name));
const APP_PROPERTIES = MANIFEST_PROPERTIES.filter((name) => PROPERTIES[name]!.scope === 'app-or-global');

/** Options of {@link collect}. */
export interface CollectOptions {
  /**
   * The Dokku app whose `App` document is collected.
   *
   * @default - none: only the Global document (then `global` must be true)
   */
  readonly app?: string;
  /**
   * Also collect the `Global` document (global scheduler-k3s properties, annotations, labels
   * and autoscaling auth).
   *
   * @default false
   */
  readonly global?: boolean;
  /**
   * The image tag of the deploy (`scheduler-deploy`'s third argument). Ignored when the
   * registry pushes on release: then the registry's `tag-version` is the tag, as in Dokku.
   *
   * @default 'latest'
   */
  readonly imageTag?: string;
  /**
   * The name of the App document, when it differs from `app`: the new name of an app being
   * renamed or cloned, collected from the settings of `app` (the old one), which Dokku keeps
   * whole until the rename or clone is set up. Domains `<app>.<global vhost>` become
   * `<name>.<global vhost>`, as `apps:rename` rewrites them.
   *
   * @default - the app's name
   */
  readonly name?: string;
  /**
   * With `name`: the new app is a clone, which Dokku gives its own domains and no
   * certificate (`apps:clone`); its domains are read from the new app.
   *
   * @default false
   */
  readonly clone?: boolean;
  /**
   * Mark the app stopped (`ps:stop`): every Deployment at 0 replicas, every CronJob suspended.
   *
   * @default false
   */
  readonly stopped?: boolean;
  /**
   * Where the app's predeploy, release and postdeploy run (`gitops:set <app> release-tasks`):
   * `host` when Dokku runs them on its host, so that the cluster does not run them again.
   *
   * @default - not set (the compiler's default: cluster)
   */
  readonly releaseTasks?: 'cluster' | 'host';
  /**
   * How `dokku` is run and Dokku's files are read.
   *
   * @default - the local host: `dokku` from PATH, directories from the environment
   */
  readonly runner?: DokkuRunner;
}

/** What {@link collect} produced. */
export interface CollectResult {
  /** The App document, when an app was collected. @default - none */
  readonly app?: AppDocument;
  /** The Global document, when asked for. @default - none */
  readonly global?: GlobalDocument;
  /** Settings that have no place in the state and were left out, for the user. */
  readonly warnings: readonly string[];
}

/**
 * Collect the state of an app (and the global settings) from the Dokku host.
 *
 * Nothing is written anywhere. Subcommands run concurrently; when several fail, the first in
 * the order above is reported.
 *
 * @throws DokkuGitopsError ('failure') when `dokku` is missing, the app does not exist, or a
 *   subcommand fails or prints something unexpected, naming the command
 * @throws DokkuGitopsError ('input') for options that do not fit together, and for Dokku
 *   settings the state cannot express (a host-path storage entry on the app)
 */
export async function collect(options: CollectOptions): Promise<CollectResult> {
  if (options.app === undefined && !options.global) throw new DokkuGitopsError("nothing to collect: give an app, or '--global' for the global settings", 'input');
  if (options.app === undefined && (options.name !== undefined || options.clone || options.stopped || options.imageTag !== undefined)) {
    throw new DokkuGitopsError("'--name', '--clone', '--stopped' and '--image-tag' need an app", 'input');
  }
  if (options.clone && options.name === undefined) throw new DokkuGitopsError("'--clone' needs '--name <new app>'", 'input');
  const dokku = new Dokku(options.runner ?? localDokkuRunner());
  // each document has its own warnings, so that their order does not depend on timing
  const appWarnings: string[] = [];
  const globalWarnings: string[] = [];
  const settled = await Promise.allSettled([
    options.app === undefined ? undefined : collectApp(dokku, options.app, options, (m) => appWarnings.push(m)),
    options.global ? collectGlobal(dokku, (m) => globalWarnings.push(m)) : undefined,
  ]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  const [app, global] = settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as [AppDocument | undefined, GlobalDocument | undefined];
  return { ...(app ? { app } : {}), ...(global ? { global } : {}), warnings: [...appWarnings, ...globalWarnings] };
}

/** The YAML of the collected documents: the App document, then the Global one. */
export function collectedYaml(result: CollectResult): string {
  return [result.app, result.global]
    .filter((doc) => doc !== undefined)
    .map((doc) => new Document(doc).toString({ lineWidth: 0 }))
    .join('---\n');
}

/** Runs `dokku` subcommands; a failing one is an error naming it. */
class Dokku {
  constructor(public readonly runner: DokkuRunner) {}

  /** Stdout of `dokku <args>`. @throws DokkuGitopsError naming the command when it exits non-zero */
  public async text(args: readonly string[]): Promise<string> {
    const result = await this.runner.run(args);
    if (result.exitCode !== 0) throw failed(args, result);
    return result.stdout;
  }

  /** A `--format json` report. */
  public async report(args: readonly string[]): Promise<Report> {
    return parseJson(commandLine(args), await this.text(args), 'object') as Report;
  }

  /** A `--format json` list. */
  public async list(args: readonly string[]): Promise<unknown[]> {
    return parseJson(commandLine(args), await this.text(args), 'array') as unknown[];
  }
}

async function collectApp(dokku: Dokku, app: string, options: CollectOptions, warn: (m: string) => void): Promise<AppDocument> {
  // apps:exists exits 20 with 'App <app> does not exist' (plugins/apps/subcommands.go
  // CommandExists, plugins/common/common.go AppDoesNotExist)
  const exists = await dokku.runner.run(['apps:exists', app]);
  if (exists.exitCode !== 0) {
    const ran = commandLine(['apps:exists', app]);
    if (exists.exitCode === 20 || /does not exist/.test(exists.stderr)) throw new DokkuGitopsError(`app '${app}' does not exist on this Dokku host ('${ran}' exited ${exists.exitCode})`, 'failure');
    throw failed(['apps:exists', app], exists);
  }
  const name = options.name ?? app;
  const json = (cmd: string) => [cmd, app, '--format', 'json'];

  // settled together, then read in this order, so that the first failure named is always the same
  const pending = {
    config: dokku.report(['config:export', app, '--merged', '--format', 'json']),
    scale: dokku.list(json('ps:scale')),
    builder: dokku.report(json('builder:report')),
    domains: dokku.report(json('domains:report')),
    ports: dokku.report(json('ports:report')),
    resources: dokku.report(json('resource:report')),
    registry: dokku.report(json('registry:report')),
    nginx: dokku.report(json('nginx:report')),
    dockerOptions: dokku.report(json('docker-options:report')),
    k3s: dokku.report(json('scheduler-k3s:report')),
    annotations: dokku.report(json('scheduler-k3s:annotations:report')),
    labels: dokku.report(json('scheduler-k3s:labels:report')),
    autoscalingAuth: dokku.report(json('scheduler-k3s:autoscaling-auth:report')),
    certs: options.clone ? Promise.resolve({} as Report) : dokku.report(json('certs:report')),
    storage: dokku.report(json('storage:report')),
    newDomains: options.clone ? dokku.report(['domains:report', name, '--format', 'json']) : Promise.resolve(undefined),
    globalDomains: options.name !== undefined && !options.clone ? dokku.report(['domains:report', '--global', '--format', 'json']) : Promise.resolve(undefined),
  };
  await Promise.allSettled(Object.values(pending));
  const config = await pending.config;
  const scale = scaleOf(await pending.scale);
  const builder = builderOf(await pending.builder);
  let domains = domainsOf(await pending.domains);
  const ports = portsOf(commandLine(json('ports:report')), await pending.ports);
  const resources = resourcesOf(await pending.resources, warn);
  const registry = await pending.registry;
  const nginx = nginxOf(await pending.nginx);
  const dockerOptions = dockerOptionsOf(await pending.dockerOptions, warn);
  const k3s = await pending.k3s;
  const annotations = scopedMetadataOf(await pending.annotations, ANNOTATION_TYPES, 'annotation', warn);
  const labels = scopedMetadataOf(await pending.labels, LABEL_RESOURCE_TYPES, 'label', warn);
  const autoscalingAuth = autoscalingAuthOf(await pending.autoscalingAuth);
  const certsReport = await pending.certs;
  const storageReport = await pending.storage;
  const newDomains = await pending.newDomains;
  const globalDomains = await pending.globalDomains;

  if (newDomains) domains = domainsOf(newDomains);
  if (globalDomains) {
    // apps:rename rewrites '<old>.<global vhost>' to '<new>.<global vhost>' in the new app's
    // VHOST file (plugins/domains/post-app-rename-setup)
    for (const vhost of globalVhostsOf(globalDomains)) domains = domains.map((d) => d.split(`${app}.${vhost}`).join(`${name}.${vhost}`));
  }

  // certs:report prints the 'ssl' report: 'enabled' is "true" when server.crt and server.key
  // exist (plugins/certs/report.go); certs:show prints each file (plugins/certs/subcommands/show)
  let certs: AppSpec['certs'];
  if (str(certsReport, 'enabled') === 'true') {
    const [crt, key] = await Promise.all([dokku.text(['certs:show', app, 'crt']), dokku.text(['certs:show', app, 'key'])]);
    certs = { crt, key };
  }

  const storage: StorageEntry[] = [];
  for (const attachment of storageAttachmentsOf(storageReport)) {
    // scheduler-k3s mounts the deploy-phase attachments (storage-app-mounts <app> deploy)
    if (!attachment.phases.includes('deploy')) continue;
    const entry = (await dokku.report(['storage:info', attachment.entryName, '--format', 'json'])) as StorageEntryInfo;
    storage.push(storageEntryOf(attachment, entry, warn));
  }

  const properties = k3sPropertiesOf(k3s, APP_PROPERTIES, 'app');
  // scheduler-k3s makes pull-secret-<app> only when no image-pull-secrets is set, from the
  // app's registry:login config, else the dokku user's (plugins/scheduler-k3s/pull_secret.go)
  let registryAuth: Record<string, unknown> | undefined;
  if (str(k3s, 'computed-image-pull-secrets') === '') {
    registryAuth =
      registryAuthOf(await dokku.runner.readFile(join(dokku.runner.libRoot, 'config', 'registry', app, 'config.json'))) ??
      registryAuthOf(await dokku.runner.readFile(join(dokku.runner.dokkuRoot, '.docker', 'config.json')));
  }

  const procfile = await deployedFile(dokku.runner, join(dokku.runner.libRoot, 'data', 'ps', app, 'Procfile'));
  const appJsonPath = join(dokku.runner.libRoot, 'data', 'app-json', app, 'app.json');
  const appJsonText = await deployedFile(dokku.runner, appJsonPath);
  let appJson: AppJson | undefined;
  if (appJsonText !== undefined) {
    try {
      appJson = JSON.parse(appJsonText) as AppJson;
    } catch (err) {
      throw new DokkuGitopsError(`the app.json Dokku stored for '${app}' is not JSON (${appJsonPath}): ${(err as Error).message}`, 'failure');
    }
  }

  // cron maintenance (cron:set maintenance / cron:suspend) lives in the cron plugin's properties;
  // cron:list --format json reports it per task (plugins/cron/subcommands.go CommandList, the
  // CronTask json tags in plugins/cron/cron.go). Tasks are matched by command and schedule.
  if (appJson?.cron?.length) {
    const listed = (await dokku.list(['cron:list', app, '--format', 'json'])) as { command?: string; schedule?: string; maintenance?: boolean; 'app-in-maintenance'?: boolean }[];
    const appInMaintenance = listed.some((t) => t['app-in-maintenance'] === true);
    appJson = {
      ...appJson,
      cron: appJson.cron.map((task) => {
        const found = listed.find((t) => t.command === task.command && t.schedule === task.schedule);
        return appInMaintenance || found?.maintenance === true ? { ...task, maintenance: true } : task;
      }),
    };
  }

  const spec: AppSpec = {
    image: imageOf(app, registry, options.imageTag),
    builder,
    ...(procfile !== undefined ? { procfile } : {}),
    ...(appJson !== undefined ? { appJson } : {}),
    ...nonEmpty({ scale, config: configOf(config) }),
    ...(domains.length ? { domains } : {}),
    ...(ports.length ? { ports } : {}),
    ...nonEmpty({ resources, dockerOptions }),
    ...(storage.length ? { storage } : {}),
    ...nonEmpty({ nginx, properties: options.releaseTasks ? { ...properties, 'release-tasks': options.releaseTasks } : properties, annotations, labels, autoscalingAuth }),
    ...(registryAuth ? { registryAuth } : {}),
    ...(certs ? { certs } : {}),
    ...(options.stopped ? { stopped: true } : {}),
  };
  return { apiVersion: STATE_API_VERSION, kind: 'App', metadata: { name }, spec };
}

async function collectGlobal(dokku: Dokku, warn: (m: string) => void): Promise<GlobalDocument> {
  const pending = {
    k3s: dokku.report(['scheduler-k3s:report', '--global', '--format', 'json']),
    annotations: dokku.report(['scheduler-k3s:annotations:report', '--global', '--format', 'json']),
    labels: dokku.report(['scheduler-k3s:labels:report', '--global', '--format', 'json']),
    autoscalingAuth: dokku.report(['scheduler-k3s:autoscaling-auth:report', '--global', '--format', 'json']),
  };
  await Promise.allSettled(Object.values(pending));
  const spec: GlobalSpec = nonEmpty({
    properties: k3sPropertiesOf(await pending.k3s, MANIFEST_PROPERTIES, 'global'),
    annotations: globalMetadataOf(await pending.annotations, ANNOTATION_TYPES, 'annotation', warn),
    labels: globalMetadataOf(await pending.labels, LABEL_RESOURCE_TYPES, 'label', warn),
    autoscalingAuth: autoscalingAuthOf(await pending.autoscalingAuth),
  });
  return { apiVersion: STATE_API_VERSION, kind: 'Global', spec };
}

/** The error of a `dokku` subcommand that exited non-zero, with what it printed. */
function failed(args: readonly string[], result: DokkuCommandResult): DokkuGitopsError {
  // Dokku prints failures as ' !     <message>' on stderr (plugins/common/log.go LogFail)
  const why = (result.stderr || result.stdout)
    .split('\n')
    .map((line) => line.replace(/^\s*!\s+/, '').trim())
    .filter(Boolean)
    .join('; ');
  return new DokkuGitopsError(`'${commandLine(args)}' failed with exit code ${result.exitCode}${why ? `: ${why}` : ''}`, 'failure');
}

/**
 * A file that Dokku extracts from each deploy (Procfile, app.json): during a deploy the new one
 * is `<file>.<DOKKU_PID>`, or `<file>.<DOKKU_PID>.missing` when the new source has none; after
 * `core-post-deploy` it is `<file>` (plugins/common/common.go CorePostExtract/CorePostDeploy,
 * plugins/ps/functions.go getProcessSpecificProcfilePath and hasProcfile,
 * plugins/app-json/functions.go getProcessSpecificAppJSONPath and hasAppJSON).
 */
async function deployedFile(runner: DokkuRunner, path: string): Promise<string | undefined> {
  if (runner.pid) {
    if ((await runner.readFile(`${path}.${runner.pid}.missing`)) !== undefined) return undefined;
    const current = await runner.readFile(`${path}.${runner.pid}`);
    if (current !== undefined) return current;
  }
  return runner.readFile(path);
}

/** The entries whose value is not an empty object. */
function nonEmpty<T extends Record<string, object>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => Object.keys(v).length > 0)) as Partial<T>;
}

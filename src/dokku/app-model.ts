/**
 * The resolved model of a Dokku app: everything the constructs render, computed once from the
 * state with Dokku's rules (`P/chart.go` `BuildAppChart` and the functions it calls). The
 * constructs only translate this model into Kubernetes objects.
 */
import { type FieldPath, Problems, type ProblemScope, scopeOf } from '../state/_problems.js';
import type { AppDocument, Builder, GlobalDocument, State, StorageEntry } from '../state/types.js';
import { securitySettings, type SecuritySettings } from './docker-options.js';
import { processProbes, type ProcessProbes } from './healthchecks.js';
import { UserMetadata, userMetadataProblems } from './metadata.js';
import { dnsLabelProblem, isDnsLabel, MAX_LABEL } from './names.js';
import { parseProcfile } from './procfile.js';
import { checkProperties, ComputedProperties, splitList } from './properties.js';
import { canonicalQuantity } from './quantity.js';
import { containerPorts, parsePortMap, portMap, type PortMap, primaryPortMap } from './ports.js';
import { type AppRouting, resolveRouting, webPortMaps } from './routing.js';
import { containerResources, type ContainerResources } from './resources.js';
import { kubernetesArgs, ShellSyntaxError } from './shell.js';
import { type AppScalingModel, type GlobalScalingModel, resolveGlobalScaling, resolveScaling } from './autoscaling.js';
import { type CronModel, resolveCrons } from './cron.js';
import { type ReleaseJobs, resolveReleaseJobs } from './release.js';

/** The container port Dokku assumes when an app declares none. */
export const DEFAULT_CONTAINER_PORT = 5000;

/** One process type, resolved. */
export interface ProcessModel {
  /** The process type (`web`, `worker`). */
  readonly type: string;
  /** `<app>-<type>`: the Deployment, Service and container name. */
  readonly name: string;
  readonly replicas: number;
  /** `['launcher']` for pack images, else unset (the image's entrypoint). */
  readonly command?: string[];
  readonly args: string[];
  /** True for `web` and for `formation.<type>.service.exposed` processes: they get a Service. */
  readonly exposed: boolean;
  /** Port maps of an exposed process, sorted by name. */
  readonly portMaps: PortMap[];
  /** Container ports to declare, one per port number. */
  readonly containerPorts: PortMap[];
  /** The primary port map of an exposed process. */
  readonly primaryPort?: PortMap;
  /** Plain env vars besides the config Secret (`PORT` for exposed processes). */
  readonly env: { name: string; value: string }[];
  readonly probes: ProcessProbes;
  readonly resources: ContainerResources;
}

/** An app, resolved. */
export interface AppModel {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly builder: Builder;
  readonly workingDir?: string;
  readonly deploymentId?: string;
  readonly stopped: boolean;
  /** The env, sorted by key. */
  readonly config: readonly (readonly [string, string])[];
  /** Process types, sorted. */
  readonly processes: readonly ProcessModel[];
  /** The Procfile `release` command, a release task rather than a process. */
  readonly releaseCommand?: string;
  readonly security: SecuritySettings;
  readonly shmSize?: string;
  readonly storage: readonly StorageEntry[];
  /** `imagePullSecrets` names: `image-pull-secrets` split, else `pull-secret-<app>`. */
  readonly imagePullSecrets: readonly string[];
  /** The Docker config.json of `pull-secret-<app>`, when the app has registry auth. */
  readonly registryAuth?: Record<string, unknown>;
  readonly annotations: UserMetadata;
  readonly labels: UserMetadata;
  readonly properties: ComputedProperties;
  /** Domains, ingress class and TLS of the web process. */
  readonly routing: AppRouting;
  /** app.json cron tasks, in app.json order. */
  readonly crons: readonly CronModel[];
  /** The release (predeploy, Procfile release) and postdeploy Jobs. */
  readonly releaseJobs: ReleaseJobs;
  /** KEDA, HPA and disruption budgets by process type, and the app's trigger authentications. */
  readonly scaling: AppScalingModel;
  /** The state document the model was resolved from. */
  readonly doc: AppDocument;
  /** Where to report problems found later, e.g. by the constructs. */
  readonly scope: ProblemScope;
}

/** The Global document, resolved. */
export interface GlobalModel {
  readonly properties: Readonly<Record<string, string>>;
  /** ClusterTriggerAuthentications. */
  readonly scaling: GlobalScalingModel;
  readonly doc?: GlobalDocument;
}

/** The whole state, resolved. */
export interface ResolvedState {
  readonly global: GlobalModel;
  readonly apps: readonly AppModel[];
}

/** Shell-splits a start command; `$PORT` becomes the port, other variables Kubernetes' `$(VAR)`. */
function splitCommand(command: string, port: number): string[] {
  // Config values never go into args (they would reach Git in plain text): Kubernetes expands
  // $(VAR) from the container's env, which includes the config Secret.
  return kubernetesArgs(command, { literals: { PORT: String(port) }, references: true });
}

function resolveGlobal(doc: GlobalDocument | undefined, scope: ProblemScope, problems: Problems): GlobalModel {
  const { values, problems: found } = checkProperties(doc?.spec.properties, 'global');
  for (const p of found) problems.add(scope, ['spec', 'properties', p.name], p.message);
  for (const field of ['annotations', 'labels'] as const) {
    for (const p of userMetadataProblems(doc?.spec[field], field === 'labels' ? 'label' : 'annotation')) problems.add(scope, ['spec', field, ...p.path], p.message);
  }
  const scaling = resolveGlobalScaling(doc, (path, message) => problems.add(scope, path, message));
  return { properties: values, scaling, doc };
}

function resolveApp(doc: AppDocument, global: GlobalModel, scope: ProblemScope, problems: Problems): AppModel | undefined {
  const before = problems.count;
  const at = (path: FieldPath, message: string) => problems.add(scope, path, message);
  const name = doc.metadata.name;
  const spec = doc.spec;
  const nameProblem = dnsLabelProblem(name);
  if (nameProblem) at(['metadata', 'name'], nameProblem);

  const { values: appProperties, problems: propertyProblems } = checkProperties(spec.properties, 'app');
  for (const p of propertyProblems) at(['spec', 'properties', p.name], p.message);
  const properties = new ComputedProperties(appProperties, global.properties);
  const builder: Builder = spec.builder ?? 'dockerfile';

  // process types: the Procfile's (release is a task, not a process), else just web
  const commands = new Map<string, string>();
  let releaseCommand: string | undefined;
  const parsedProcfile = spec.procfile !== undefined ? parseProcfile(spec.procfile) : undefined;
  // a Procfile of comments and blank lines is no Procfile (the image's own command runs web)
  const procfile = parsedProcfile && (parsedProcfile.entries.length > 0 || parsedProcfile.problems.length > 0) ? parsedProcfile : undefined;
  if (procfile !== undefined) {
    const { entries, problems: procfileProblems } = procfile;
    for (const p of procfileProblems) at(['spec', 'procfile'], p.message);
    for (const e of entries) {
      if (e.processType === 'release') releaseCommand = e.command;
      else commands.set(e.processType, e.command);
    }
  }
  const types = procfile !== undefined ? [...commands.keys()] : ['web'];
  for (const type of Object.keys(spec.scale ?? {})) {
    if (!types.includes(type)) {
      at(['spec', 'scale', type], `process type ${JSON.stringify(type)} is not in the Procfile; process types: ${types.join(', ') || '(none)'}`);
    }
  }
  for (const type of types) {
    const problem = dnsLabelProblem(type);
    if (problem) at(['spec', 'procfile'], `process type ${problem.replace(/ is not a DNS-1123 label/, ' is not a DNS-1123 label')}`);
    else if (!nameProblem && name.length + 1 + type.length > MAX_LABEL) {
      at(['spec', 'procfile'], `"${name}-${type}" (app name and process type) is longer than ${MAX_LABEL} characters; use a shorter app name or process type`);
    }
  }

  // port maps of the web process; webPortMaps adds the TLS twins
  const parsedPorts: PortMap[] = [];
  (spec.ports ?? []).forEach((input, i) => {
    const parsed = parsePortMap(input);
    if (typeof parsed === 'string') at(['spec', 'ports', i], parsed);
    else parsedPorts.push(parsed);
  });
  // TLS first: with TLS on, every http map gains an https:443 twin
  const routing = resolveRouting({ app: name, spec, properties, processTypes: types }, at);
  const webMaps = webPortMaps(parsedPorts.length ? parsedPorts : [portMap('http', 80, DEFAULT_CONTAINER_PORT)], routing.tls.enabled, at);
  if (spec.ports?.length && parsedPorts.length === spec.ports.length && webMaps.length === 0) {
    at(['spec', 'ports'], 'has no http or https port map; the web process needs one (tcp and udp maps are not routed)');
  }
  const appPrimary = primaryPortMap(webMaps)?.containerPort ?? DEFAULT_CONTAINER_PORT;

  const { settings: security, problems: dockerProblems } = securitySettings(spec.dockerOptions?.deploy ?? []);
  for (const p of dockerProblems) at(['spec', 'dockerOptions', 'deploy', p.index], p.message);

  const storageNames = new Map<string, number>();
  const mountPaths = new Map<string, number>();
  if (properties.get('shm-size')) mountPaths.set('/dev/shm', -1);
  for (const [i, s] of (spec.storage ?? []).entries()) {
    if (!isDnsLabel(s.name)) at(['spec', 'storage', i, 'name'], dnsLabelProblem(s.name)!);
    else if (s.name === 'shmem') at(['spec', 'storage', i, 'name'], '"shmem" is the volume of shm-size; use another name');
    else if (storageNames.has(s.name)) at(['spec', 'storage', i, 'name'], `${JSON.stringify(s.name)} is already the name of storage[${storageNames.get(s.name)}]; each entry needs its own name`);
    storageNames.set(s.name, storageNames.get(s.name) ?? i);
    const mounted = mountPaths.get(s.mountPath);
    if (mounted !== undefined) {
      at(['spec', 'storage', i, 'mountPath'], `${JSON.stringify(s.mountPath)} is already mounted by ${mounted < 0 ? 'shm-size' : `storage[${mounted}]`}; each mount needs its own path`);
    }
    mountPaths.set(s.mountPath, mounted ?? i);
    if (s.subPath !== undefined && (s.subPath.startsWith('/') || s.subPath.split('/').includes('..'))) {
      at(['spec', 'storage', i, 'subPath'], `${JSON.stringify(s.subPath)} must be a relative path without '..'`);
    }
    if (!canonicalQuantity(s.size)) at(['spec', 'storage', i, 'size'], `${JSON.stringify(s.size)} is not a Kubernetes quantity (1Gi, 500Mi)`);
  }

  // user annotations and labels must be valid Kubernetes keys (and label values)
  for (const field of ['annotations', 'labels'] as const) {
    for (const [processType, byType] of Object.entries(spec[field] ?? {})) {
      for (const p of userMetadataProblems(byType, field === 'labels' ? 'label' : 'annotation')) at(['spec', field, processType, ...p.path], p.message);
    }
  }

  // env keys must be Secret data keys; generated names must fit label values
  for (const key of Object.keys(spec.config ?? {})) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) at(['spec', 'config', key], 'is not a valid env name: use letters, digits, \'_\', \'-\' and \'.\'');
  }
  if (!nameProblem) {
    const longest = spec.registryAuth && !properties.get('image-pull-secrets') ? `pull-secret-${name}` : `config-${name}`;
    if (longest.length > MAX_LABEL) {
      at(['metadata', 'name'], `"${longest}" is longer than the ${MAX_LABEL} characters of a label value; the app name may have at most ${MAX_LABEL - (longest.length - name.length)} characters`);
    }
  }

  const processes: ProcessModel[] = [];
  for (const type of [...types].sort()) {
    const formation = spec.appJson?.formation?.[type];
    const exposed = type === 'web' || formation?.service?.exposed === true;
    const maps = type === 'web' ? webMaps : exposed ? [portMap('http', DEFAULT_CONTAINER_PORT, DEFAULT_CONTAINER_PORT)] : [];
    const primary = primaryPortMap(maps);
    const port = primary?.containerPort ?? appPrimary;
    let args: string[] = [];
    let command: string[] | undefined;
    if (builder === 'herokuish') {
      args = ['/start', type];
    } else {
      const line = commands.get(type);
      if (line !== undefined) {
        try {
          args = splitCommand(line, port);
        } catch (err) {
          if (!(err instanceof ShellSyntaxError)) throw err;
          at(['spec', 'procfile'], `the command of process type "${type}" cannot be split: ${err.message}`);
        }
      }
      if (builder === 'pack' && args.length) command = ['launcher'];
    }
    const { resources, problems: resourceProblems } = containerResources(spec.resources, type);
    for (const p of resourceProblems) at(['spec', 'resources', ...p.path], p.message);
    const replicas = spec.stopped ? 0 : (spec.scale?.[type] ?? formation?.quantity ?? (type === 'web' ? 1 : 0));
    processes.push({
      type,
      name: `${name}-${type}`,
      replicas,
      command,
      args,
      exposed,
      portMaps: maps,
      containerPorts: containerPorts(maps),
      primaryPort: primary,
      env: exposed ? [{ name: 'PORT', value: String(primary?.containerPort ?? DEFAULT_CONTAINER_PORT) }] : [],
      probes: processProbes(spec.appJson?.healthchecks?.[type], port),
      resources,
    });
  }

  const pullSecretsProperty = properties.get('image-pull-secrets');
  const imagePullSecrets = pullSecretsProperty ? splitList(pullSecretsProperty) : spec.registryAuth ? [`pull-secret-${name}`] : [];

  const crons = resolveCrons({ app: name, spec, builder }, at);
  // release-tasks host: Dokku runs predeploy, release and postdeploy on its host; no cluster Jobs
  const releaseJobs = properties.get('release-tasks') === 'host' ? {} : resolveReleaseJobs({ app: name, spec, builder, releaseCommand }, at);
  const disruption = (read: (p: 'pod-min-available' | 'pod-max-unavailable') => string | undefined) => ({
    minAvailable: read('pod-min-available'),
    maxUnavailable: read('pod-max-unavailable'),
  });
  const scaling = resolveScaling(
    {
      app: name,
      spec,
      processes: processes.map((p) => ({
        type: p.type,
        name: p.name,
        scale: spec.scale?.[p.type] ?? spec.appJson?.formation?.[p.type]?.quantity ?? (p.type === 'web' ? 1 : 0),
        exposed: p.exposed,
        servicePort: p.primaryPort?.hostPort,
      })),
      disruption: { app: disruption((p) => appProperties[p]), global: disruption((p) => global.properties[p]) },
      global: global.scaling,
    },
    at,
  );

  if (problems.count > before) return undefined;
  return {
    name,
    namespace: properties.get('namespace')!,
    image: spec.image,
    builder,
    workingDir: spec.workingDir || undefined,
    deploymentId: spec.deploymentId,
    stopped: spec.stopped ?? false,
    config: Object.entries(spec.config ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    processes,
    releaseCommand,
    security,
    shmSize: properties.get('shm-size'),
    storage: spec.storage ?? [],
    imagePullSecrets,
    // image-pull-secrets replaces the Dokku-made pull secret, as in Dokku
    registryAuth: pullSecretsProperty ? undefined : spec.registryAuth,
    annotations: new UserMetadata(global.doc?.spec.annotations, spec.annotations),
    labels: new UserMetadata(global.doc?.spec.labels, spec.labels),
    properties,
    routing,
    crons,
    releaseJobs,
    scaling,
    doc,
    scope,
  };
}

/**
 * Resolves every app of a state with Dokku's rules.
 *
 * @throws InputError with every problem of every document
 */
export function resolveState(state: State): ResolvedState {
  const problems = new Problems();
  const globalScope = state.scopes.get('Global') ?? scopeOf('Global', 'Global');
  const global = resolveGlobal(state.global, globalScope, problems);
  const apps: AppModel[] = [];
  for (const doc of state.apps) {
    const key = `App/${doc.metadata.name}`;
    const model = resolveApp(doc, global, state.scopes.get(key) ?? scopeOf(`app ${doc.metadata.name}`, key), problems);
    if (model) apps.push(model);
  }
  checkSharedClaims(apps, problems);
  problems.throwIfAny();
  return { global, apps };
}

/**
 * Two apps of one namespace that mount storage of the same name share its PVC: each app folder
 * renders it, so both must render the same claim, or the GitOps agent would apply them in turn.
 */
function checkSharedClaims(apps: readonly AppModel[], problems: Problems): void {
  const claims = new Map<string, { app: AppModel; entry: StorageEntry }>();
  for (const app of apps) {
    app.storage.forEach((entry, i) => {
      const key = `${app.namespace}/${entry.name}`;
      const first = claims.get(key);
      if (!first) {
        claims.set(key, { app, entry });
        return;
      }
      const spec = (e: StorageEntry) => JSON.stringify([canonicalQuantity(e.size), e.accessMode ?? 'ReadWriteOnce', e.storageClassName ?? null]);
      if (spec(first.entry) !== spec(entry)) {
        problems.add(
          app.scope,
          ['spec', 'storage', i],
          `the PersistentVolumeClaim ${JSON.stringify(entry.name)} in namespace ${JSON.stringify(app.namespace)} is also app ${first.app.name}'s, with another size, access mode or storage class; give both the same, or use another name`,
        );
      }
    });
  }
}

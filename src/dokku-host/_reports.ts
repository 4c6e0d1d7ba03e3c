/**
 * Parsers for the output of Dokku's reports, each written against the Dokku source that prints
 * it (dokku/dokku, cited per function; `common.ReportSingleApp` in
 * `plugins/common/common.go` prints every `--format json` report as one JSON object of strings,
 * keys sorted, with the `--<plugin>-` prefix trimmed and, for some plugins, the untrimmed
 * "legacy" key as well). Pure functions: the collector runs the commands.
 */
import { DokkuGitopsError } from '../errors.js';
import { ANNOTATION_RESOURCE_TYPES, type MetadataByType, type ResourceType, type ScopedMetadata, type StorageEntry } from '../state/types.js';

/** A parsed `--format json` report: key -> value (Dokku prints strings, some plugins lists). */
export type Report = Readonly<Record<string, unknown>>;

/** Collects what the collector had to leave out or change, for the user. */
export type Warn = (message: string) => void;

/**
 * Parses the JSON a `dokku` subcommand printed.
 *
 * @param command the command line, for the message
 * @param shape `object` for reports, `array` for lists
 * @throws DokkuGitopsError ('failure') naming the command when the output is not that JSON
 */
export function parseJson(command: string, stdout: string, shape: 'object' | 'array'): unknown {
  const text = stdout.trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DokkuGitopsError(`'${command}' did not print JSON: got ${JSON.stringify(clip(text))}`, 'failure');
  }
  // Go marshals a nil slice as null: an empty list
  if (shape === 'array' && value === null) return [];
  const ok = shape === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!ok) throw new DokkuGitopsError(`'${command}' printed JSON that is not ${shape === 'array' ? 'a list' : 'an object'}: got ${JSON.stringify(clip(text))}`, 'failure');
  return value;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** A report value as a trimmed string; '' when absent. */
export function str(report: Report, key: string): string {
  const value = report[key];
  return typeof value === 'string' ? value.trim() : '';
}

/** A map with its keys in sorted order, so that the state prints the same every time. */
export function sorted<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `config:export <app> --merged --format json`: the app env merged over the global env, as the
 * config Secret of scheduler-k3s holds it (`plugins/config/functions.go` `export`,
 * `plugins/config/environment.go` `JSONString`: one JSON object of strings).
 */
export function configOf(json: unknown): Record<string, string> {
  return sorted(Object.entries(json as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/**
 * `ps:scale <app> --format json`: `[{"process_type":"web","quantity":1}, ...]`
 * (`plugins/ps/functions.go` `scaleReport`, type `Formation` in `plugins/ps/ps.go`).
 */
export function scaleOf(json: unknown): Record<string, number> {
  const out: [string, number][] = [];
  for (const item of json as unknown[]) {
    const f = item as { process_type?: unknown; quantity?: unknown };
    if (typeof f.process_type === 'string' && typeof f.quantity === 'number' && Number.isInteger(f.quantity) && f.quantity >= 0) out.push([f.process_type, f.quantity]);
  }
  return sorted(out);
}

/**
 * `domains:report <app> --format json`: `app-enabled` ("false" when `NO_VHOST=1`) and
 * `app-vhosts`, the app's VHOST file with whitespace collapsed to single spaces
 * (`plugins/domains/report.go` `reportAppEnabled`, `reportAppVhosts`). scheduler-k3s routes
 * domains only when vhosts are enabled (`domains-vhost-enabled`).
 */
export function domainsOf(report: Report): string[] {
  if (str(report, 'app-enabled') === 'false') return [];
  return [...new Set(str(report, 'app-vhosts').split(/\s+/).filter(Boolean))];
}

/**
 * Global vhosts of `domains:report --global --format json` (`global-vhosts`), from which
 * Dokku derives an app's default domain `<app>.<vhost>`.
 */
export function globalVhostsOf(report: Report): string[] {
  return str(report, 'global-vhosts').split(/\s+/).filter(Boolean);
}

interface PortMap {
  readonly scheme: string;
  readonly host_port: number;
  readonly container_port: number;
}

/**
 * `ports:report <app> --format json`: `map-json` holds the `ports:set` maps and
 * `map-detected-json` the detected ones (Dockerfile EXPOSE, else `http:80:5000`, plus
 * `https:443` when a cert is imported), each a JSON list of `{scheme, host_port,
 * container_port}` inside the report's string (`plugins/ports/report.go`,
 * `plugins/ports/proxy.go` `PortMap`). Returns what the `ports-get` trigger gives schedulers:
 * the user maps, else the detected ones, without `__internal__` maps, the first map per
 * scheme and host port (`plugins/ports/triggers.go` `TriggerPortsGet`,
 * `plugins/ports/functions.go` `uniquePortMaps`).
 */
export function portsOf(command: string, report: Report): string[] {
  const parse = (key: string): PortMap[] => {
    const text = str(report, key);
    if (text === '' || text === 'null') return [];
    return parseJson(`${command} (${key})`, text, 'array') as PortMap[];
  };
  let maps = parse('map-json');
  if (maps.length === 0) maps = parse('map-detected-json');
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of maps) {
    if (m.scheme === '__internal__') continue;
    const key = `${m.scheme}:${m.host_port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`${m.scheme}:${m.host_port}:${m.container_port}`);
  }
  return out;
}

const RESOURCE_KEY = /^(.+)\.(limit|reserve)\.(cpu|memory|memory-swap|network|network-ingress|network-egress|nvidia-gpu)$/;
const KUBERNETES_RESOURCES = new Set(['cpu', 'memory', 'nvidia-gpu']);

/**
 * `resource:report <app> --format json`: one key per stored property,
 * `<process type>.<limit|reserve>.<resource>`, and the same key prefixed `resource-` (legacy)
 * (`plugins/resource/resource.go` `ReportSingleApp`, `propertyKey`). A legacy key is recognised
 * by its unprefixed twin holding the same value. Only cpu, memory and nvidia-gpu have a
 * Kubernetes meaning; the others are left out with a warning.
 */
export function resourcesOf(report: Report, warn: Warn): Record<string, { limit?: Record<string, string>; reserve?: Record<string, string> }> {
  const out = new Map<string, { limit?: Record<string, string>; reserve?: Record<string, string> }>();
  for (const key of Object.keys(report).sort()) {
    const value = str(report, key);
    if (value === '') continue;
    if (key.startsWith('resource-') && str(report, key.slice('resource-'.length)) === value) continue;
    const m = RESOURCE_KEY.exec(key);
    if (!m) continue;
    const [, proc, kind, name] = m as unknown as [string, string, 'limit' | 'reserve', string];
    if (!KUBERNETES_RESOURCES.has(name)) {
      warn(`resource '${key}' (${value}) has no Kubernetes equivalent and is left out`);
      continue;
    }
    const entry = out.get(proc) ?? {};
    entry[kind] = { ...entry[kind], [name]: value };
    out.set(proc, entry);
  }
  return sorted(out);
}

/** Builders whose image the compiler starts as Dokku does; any other builds an image with its own CMD. */
const BUILDERS = new Set(['herokuish', 'dockerfile', 'pack']);

/**
 * `builder:report <app> --format json`: `detected` is the image source type recorded by the
 * last build (`plugins/common/functions` `dokku_receive` -> `builder-set-property detected`,
 * `plugins/builder/report.go` `reportDetected`): herokuish, dockerfile, pack, or another
 * builder (nixpacks, railpack, lambda, null) whose image carries its own start command, which
 * the compiler starts as it starts a dockerfile image.
 */
export function builderOf(report: Report): 'herokuish' | 'dockerfile' | 'pack' {
  const detected = str(report, 'detected');
  return BUILDERS.has(detected) ? (detected as 'herokuish' | 'dockerfile' | 'pack') : 'dockerfile';
}

/**
 * The image reference a scheduler deploys, from `registry:report <app> --format json` and the
 * deploy's image tag, as `ResolveDeployingAppImageName` (`plugins/common/common.go`) assembles
 * it from the `deployed-app-repository`, `deployed-app-image-repo` and `deployed-app-image-tag`
 * triggers (`plugins/registry/triggers.go`): `computed-server` (with its trailing `/`, empty for
 * Docker Hub) + `computed-image-repo` + `:` + the tag, which is `tag-version` (default 1) when
 * `computed-push-on-release` is true, else the deploy's tag (default `latest`).
 */
export function imageOf(app: string, report: Report, imageTag: string | undefined): string {
  const server = str(report, 'computed-server');
  const repo = str(report, 'computed-image-repo') || `dokku/${app}`;
  const tag = str(report, 'computed-push-on-release') === 'true' ? str(report, 'tag-version') || '1' : imageTag || 'latest';
  return `${server}${repo}:${tag}`;
}

/**
 * `nginx:report <app> --format json`: for each property P, `P` (the app's value),
 * `global-P` and `computed-P` (`plugins/nginx-vhosts/report.go` `nginxReportProps`, no legacy
 * keys). Returns the app's value, else the global one, for every property that has either:
 * the state has no global nginx settings, and defaults stay with the compiler.
 */
export function nginxOf(report: Report): Record<string, string> {
  const out: [string, string][] = [];
  for (const key of Object.keys(report)) {
    if (!key.startsWith('global-')) continue;
    const name = key.slice('global-'.length);
    const value = str(report, name) || str(report, key);
    if (value !== '') out.push([name, value]);
  }
  return sorted(out);
}

/**
 * scheduler-k3s properties from `scheduler-k3s:report [<app>|--global] --format json`: the app's
 * own value under `<name>`, the global one under `global-<name>`, each an unprocessed property
 * value (`plugins/scheduler-k3s/report.go` `ReportSingleApp`; getters in
 * `plugins/scheduler-k3s/functions.go`). Only the given names are read: chart overrides,
 * computed values and the legacy `scheduler-k3s-` keys are not properties of the state.
 */
export function k3sPropertiesOf(report: Report, names: readonly string[], scope: 'app' | 'global'): Record<string, string> {
  const out: [string, string][] = [];
  for (const name of names) {
    const value = str(report, scope === 'app' ? name : `global-${name}`);
    if (value !== '') out.push([name, value]);
  }
  return sorted(out);
}

/** The process type of global-scope entries in the annotations and labels reports. */
const REPORT_GLOBAL_PROCESS = 'global';
/** How the state (and Dokku's property store) names "every process of the app". */
const STATE_GLOBAL_PROCESS = '--global';

/**
 * `scheduler-k3s:annotations:report` / `labels:report [<app>|--global] --format json`: keys
 * `<process type>.<resource type>.<key>`, where the process type `--global` prints as `global`
 * (`plugins/scheduler-k3s/report.go` `renderAnnotationsLabelsReport`, `renderProcessType`).
 * Keys may contain dots (`nginx.ingress.kubernetes.io/...`), process types and resource types
 * do not, so the key is what follows the first `.<resource type>.`.
 *
 * @returns `<process type | --global> -> <resource type> -> {key: value}`
 */
export function scopedMetadataOf(report: Report, types: readonly string[], what: 'annotation' | 'label', warn: Warn): ScopedMetadata {
  const out: Record<string, Record<string, Record<string, string>>> = {};
  for (const full of Object.keys(report).sort()) {
    const value = report[full];
    const parsed = splitMetadataKey(full);
    if (!parsed || typeof value !== 'string') continue;
    const { proc, type, key } = parsed;
    if (!types.includes(type)) {
      warn(`${what} '${full}' is for resource type '${type}', which a ${what} cannot target here; it is left out`);
      continue;
    }
    const scope = proc === REPORT_GLOBAL_PROCESS ? STATE_GLOBAL_PROCESS : proc;
    ((out[scope] ??= {})[type] ??= {})[key] = value;
  }
  return sortedMetadata(out) as ScopedMetadata;
}

/**
 * The global-scope annotations or labels (`--global` report): only entries for every process
 * (`global.<type>.<key>`) exist in the state's `Global` document; entries for a process type
 * are left out with a warning.
 */
export function globalMetadataOf(report: Report, types: readonly string[], what: 'annotation' | 'label', warn: Warn): MetadataByType {
  const scoped = scopedMetadataOf(report, types, what, warn);
  for (const proc of Object.keys(scoped)) {
    if (proc !== STATE_GLOBAL_PROCESS) warn(`global ${what}s for process type '${proc}' have no place in the Global document (only '--global' applies to every app); they are left out`);
  }
  return scoped[STATE_GLOBAL_PROCESS] ?? {};
}

function splitMetadataKey(full: string): { proc: string; type: string; key: string } | undefined {
  const firstDot = full.indexOf('.');
  if (firstDot <= 0) return undefined;
  const proc = full.slice(0, firstDot);
  const rest = full.slice(firstDot + 1);
  const secondDot = rest.indexOf('.');
  if (secondDot <= 0 || secondDot === rest.length - 1) return undefined;
  return { proc, type: rest.slice(0, secondDot), key: rest.slice(secondDot + 1) };
}

function sortedMetadata(value: Record<string, Record<string, Record<string, string>>>): Record<string, Partial<Record<ResourceType, Record<string, string>>>> {
  return sorted(Object.entries(value).map(([proc, byType]) => [proc, sorted(Object.entries(byType).map(([t, m]) => [t, sorted(Object.entries(m))]))]));
}

/**
 * `scheduler-k3s:autoscaling-auth:report [<app>|--global] --format json`: keys
 * `<trigger type>.<parameter>` with the unmasked values (`plugins/scheduler-k3s/report.go`
 * `renderAutoscalingAuthReport`; stored as `trigger-auth.<type>.<parameter>`). Trigger types
 * have no dots; parameters may.
 */
export function autoscalingAuthOf(report: Report): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const full of Object.keys(report)) {
    const value = report[full];
    const dot = full.indexOf('.');
    if (dot <= 0 || dot === full.length - 1 || typeof value !== 'string') continue;
    (out[full.slice(0, dot)] ??= {})[full.slice(dot + 1)] = value;
  }
  return sorted(Object.entries(out).map(([t, m]) => [t, sorted(Object.entries(m))]));
}

/**
 * `docker-options:report <app> --format json`: besides the space-joined strings, the lists
 * `build-list`, `deploy-list` and `run-list` of the default process type, and
 * `deploy.<process type>-list` per process type (`plugins/docker-options/report.go`
 * `buildJSONReportData`). The state has no per-process options; those are left out with a
 * warning.
 */
export function dockerOptionsOf(report: Report, warn: Warn): { deploy?: string[]; run?: string[]; build?: string[] } {
  const out: { deploy?: string[]; run?: string[]; build?: string[] } = {};
  for (const phase of ['build', 'deploy', 'run'] as const) {
    const list = report[`${phase}-list`];
    if (Array.isArray(list) && list.length > 0) out[phase] = list.map(String);
  }
  for (const key of Object.keys(report).sort()) {
    const m = /^deploy\.(.+)-list$/.exec(key);
    const list = report[key];
    if (m && Array.isArray(list) && list.length > 0) warn(`docker options of process type '${m[1]}' (${list.join(' ')}) have no place in the state (only the default process type's); they are left out`);
  }
  return out;
}

/** One storage attachment of an app, from its storage report. */
export interface StorageAttachment {
  readonly index: number;
  readonly entryName: string;
  readonly containerPath: string;
  readonly phases: readonly string[];
  readonly processType: string;
  readonly subpath: string;
  readonly readonly: boolean;
}

/**
 * `storage:report <app> --format json`: per attachment N, `attachment.N.entry-name`,
 * `.container-path`, `.phases` (comma-separated), `.process-type`, `.subpath`, `.readonly`,
 * plus legacy `storage-attachment.N.*` twins (`plugins/storage/report.go`
 * `registerAttachmentFlags`).
 */
export function storageAttachmentsOf(report: Report): StorageAttachment[] {
  const indexes = new Set<number>();
  for (const key of Object.keys(report)) {
    const m = /^attachment\.(\d+)\.entry-name$/.exec(key);
    if (m) indexes.add(Number(m[1]));
  }
  return [...indexes]
    .sort((a, b) => a - b)
    .map((n) => {
      const field = (name: string) => str(report, `attachment.${n}.${name}`);
      return {
        index: n,
        entryName: field('entry-name'),
        containerPath: field('container-path'),
        phases: field('phases').split(',').map((p) => p.trim()).filter(Boolean),
        processType: field('process-type'),
        subpath: field('subpath'),
        readonly: field('readonly') === 'true',
      };
    });
}

/** A storage entry as `storage:info <name> --format json` prints it (`plugins/storage/entry.go` `Entry`). */
export interface StorageEntryInfo {
  readonly name?: string;
  readonly scheduler?: string;
  readonly size?: string;
  readonly access_mode?: string;
  readonly storage_class?: string;
}

const ACCESS_MODES = new Set(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod']);

/**
 * The state's storage entry of one deploy-phase attachment. Like scheduler-k3s
 * (`plugins/scheduler-k3s/storage.go` `ToProcessVolumes`), every deploy attachment is mounted
 * in every process, and an entry of the `docker-local` scheduler (a host path) cannot be.
 *
 * @throws DokkuGitopsError ('input') for a docker-local entry or an entry without a size
 */
export function storageEntryOf(attachment: StorageAttachment, entry: StorageEntryInfo, warn: Warn): StorageEntry {
  const name = entry.name || attachment.entryName;
  if (entry.scheduler !== 'k3s') {
    throw new DokkuGitopsError(
      `storage entry '${name}' is scheduler=${entry.scheduler || 'docker-local'} (a host path) but is mounted on an app of the gitops scheduler; recreate it with 'dokku storage:create ${name} --scheduler k3s --size <size>'`,
      'input',
    );
  }
  if (!entry.size) throw new DokkuGitopsError(`storage entry '${name}' has no size: set one with 'dokku storage:set ${name} size 1Gi'`, 'input');
  if (attachment.processType !== '' && attachment.processType !== '_default_') {
    warn(`storage entry '${name}' is attached for process type '${attachment.processType}' only, but is mounted in every process (as scheduler-k3s does)`);
  }
  const accessMode = entry.access_mode && ACCESS_MODES.has(entry.access_mode) ? (entry.access_mode as StorageEntry['accessMode']) : undefined;
  return {
    name,
    mountPath: attachment.containerPath,
    size: entry.size,
    ...(attachment.subpath ? { subPath: attachment.subpath } : {}),
    ...(attachment.readonly ? { readOnly: true } : {}),
    ...(accessMode ? { accessMode } : {}),
    ...(entry.storage_class ? { storageClassName: entry.storage_class } : {}),
  };
}

/**
 * The Docker `config.json` a pull secret is made from, when it holds credentials: Dokku
 * writes `registry:login <app>` to `/var/lib/dokku/config/registry/<app>/config.json` and
 * otherwise uses the dokku user's `~/.docker/config.json` (`plugins/registry/functions.go`
 * `GetComputedAppRegistryConfigDir`, `HasAppRegistryAuth`). A file without `auths` (a
 * credential helper only) gives no pull secret.
 */
export function registryAuthOf(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return undefined;
  }
  const auths = (config as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null || Object.keys(auths).length === 0) return undefined;
  return config as Record<string, unknown>;
}

/** The resource types of annotations, for {@link scopedMetadataOf}. */
export const ANNOTATION_TYPES: readonly string[] = ANNOTATION_RESOURCE_TYPES;

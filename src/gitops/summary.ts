/**
 * What a deploy changes, for humans: a per-app summary computed from the files before and
 * after, the commit message built from it, and the markdown body of a pull request.
 *
 * Secret values never appear in any output: secret keys are compared through the
 * `dokku-gitops.io/key-hmacs` annotation (or, without it, through key sets), and the files of
 * Secrets, SealedSecrets and SOPS-encrypted documents are left out of the diff.
 */
import { KEY_HMACS_ANNOTATION } from '../secrets/annotations.js';
import { DokkuGitopsError } from '../errors.js';
import { unifiedDiff } from './_diff.js';
import { canonicalJson } from '../canonical.js';
import { asRecord, isSecretFile, treeObjects, type FileTree, type TreeObject } from './tree.js';

/** Identifies a Kubernetes object in a summary. */
export interface ObjectRef {
  /** `kind` of the object, such as `Deployment`. */
  kind: string;
  /** `metadata.name` of the object. */
  name: string;
  /**
   * `metadata.namespace` of the object.
   *
   * @default - absent for cluster-scoped objects
   */
  namespace?: string;
}

/**
 * What changed in one app between two versions of its files.
 *
 * Every list is sorted, so that two summaries of the same change are equal.
 */
export interface AppChange {
  /** The Dokku app name. */
  app: string;
  /** Objects present only after the change. */
  added: ObjectRef[];
  /** Objects present before and after whose content differs. */
  changed: ObjectRef[];
  /** Objects present only before the change. */
  removed: ObjectRef[];
  /**
   * Container image changes. `container` is the container name when it equals its workload's
   * name (Dokku names a process's container `<app>-<process>`, like its Deployment), and
   * `<workload>/<container>` otherwise. `from` is absent for a new container, `to` for a
   * removed one.
   */
  images: { container: string; from?: string; to?: string }[];
  /** Deployment `spec.replicas` changes; an absent value means the field is unset (autoscaled). */
  replicas: { name: string; from?: number; to?: number }[];
  /** Secret data keys added, changed or removed, per Secret or SealedSecret name. Never values. */
  secretKeys: { secret: string; added: string[]; changed: string[]; removed: string[] }[];
  /** CronJob names added and removed. */
  cronjobs: { added: string[]; removed: string[] };
  /**
   * True when the app had no objects before the change (a first deploy).
   *
   * @default false
   */
  created?: boolean;
  /**
   * True when the app has no objects after the change (a destroy).
   *
   * @default false
   */
  deleted?: boolean;
}

/** The annotation that carries per-key HMACs of a sealed Secret's values (see src/secrets). */
export { KEY_HMACS_ANNOTATION };

/** Subjects longer than this are shortened; the details always stay in the body. */
const SUBJECT_MAX = 100;

/** GitHub refuses PR bodies over 65536 characters; the diff is cut to stay well below. */
const REVIEW_BODY_MAX = 60_000;

/**
 * Summarizes how one app changes between two versions of its files.
 *
 * @param app the Dokku app name
 * @param before that app's files before the change (empty for a new app)
 * @param after that app's files after the change (empty for a destroyed app)
 * @throws DokkuGitopsError if a YAML file cannot be parsed
 */
export function summarizeApp(app: string, before: FileTree, after: FileTree): AppChange {
  const old = indexObjects(treeObjects(before));
  const now = indexObjects(treeObjects(after));
  const added: TreeObject[] = [];
  const changed: [TreeObject, TreeObject][] = [];
  const removed: TreeObject[] = [];
  for (const [key, object] of now) {
    const previous = old.get(key);
    if (previous === undefined) added.push(object);
    else if (canonicalJson(previous.object) !== canonicalJson(object.object)) changed.push([previous, object]);
  }
  for (const [key, object] of old) if (!now.has(key)) removed.push(object);

  const touchedBefore = [...removed, ...changed.map(([previous]) => previous)];
  const touchedAfter = [...added, ...changed.map(([, object]) => object)];

  const result: AppChange = {
    app,
    added: sortRefs(added.map(toRef)),
    changed: sortRefs(changed.map(([, object]) => toRef(object))),
    removed: sortRefs(removed.map(toRef)),
    images: imageChanges(touchedBefore, touchedAfter),
    replicas: replicaChanges(touchedBefore, touchedAfter),
    secretKeys: secretKeyChanges(touchedBefore, touchedAfter),
    cronjobs: {
      added: added.filter((o) => o.kind === 'CronJob').map((o) => o.name).sort(),
      removed: removed.filter((o) => o.kind === 'CronJob').map((o) => o.name).sort(),
    },
  };
  if (old.size === 0 && now.size > 0) result.created = true;
  if (now.size === 0 && old.size > 0) result.deleted = true;
  return result;
}

/**
 * A commit message for humans, with machine-readable trailers.
 *
 * The subject names the app and its most telling changes, for example
 * `deploy node-js-app: image :6 -> :7, web replicas 2 -> 3, +cronjob node-js-app-cron-3k2j1h0a9z`;
 * it stays under about 100 characters (`+N more` says what was left out). The body lists
 * every change per app. The trailers follow a blank line: one `Dokku-App: <app>` per app
 * unless `trailers` sets `Dokku-App` itself, then `trailers` in the order given (a value with
 * several lines gives one trailer per line).
 *
 * @param action the operation that produced the change
 * @param changes one summary per app, from {@link summarizeApp}
 * @param trailers git trailers, such as `{'Dokku-State-Digest': '…'}`
 * @throws DokkuGitopsError if a trailer key is not letters, digits and dashes
 */
export function commitMessage(action: 'deploy' | 'destroy' | 'stop', changes: AppChange[], trailers: Record<string, string>): string {
  const lines: string[] = [];
  const sorted = [...changes].sort((a, b) => compare(a.app, b.app));
  if (sorted.length === 0) {
    lines.push(`${action}: no app changes`);
  } else if (sorted.length === 1) {
    const change = sorted[0]!;
    lines.push(fitSubject(`${action} ${change.app}: `, subjectParts(action, change)));
  } else {
    // units named with a '/' are platform folders, not apps (a Dokku app name has no '/')
    const apps = sorted.filter((change) => !change.app.includes('/')).length;
    const others = sorted.filter((change) => change.app.includes('/')).map((change) => change.app);
    const what = apps === 0 ? others.join(' and ') : `${apps} app${apps === 1 ? '' : 's'}${others.length ? ` and ${others.join(' and ')}` : ''}`;
    lines.push(fitSubject(`${action} ${what}: `, sorted.filter((change) => !change.app.includes('/') || apps === 0).map((change) => change.app)));
  }

  const body = sorted.flatMap((change) => bodyLines(change, sorted.length > 1));
  if (body.length > 0) lines.push('', ...body);

  const trailerLines: string[] = [];
  if (!Object.keys(trailers).some((key) => key.toLowerCase() === 'dokku-app')) {
    for (const change of sorted) if (!change.app.includes('/')) trailerLines.push(`Dokku-App: ${change.app}`);
  }
  for (const [key, value] of Object.entries(trailers)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(key)) {
      throw new DokkuGitopsError(`commit trailer key '${key}' is invalid: use letters, digits and dashes, such as 'Dokku-State-Digest'`, 'input');
    }
    for (const line of value.split('\n')) trailerLines.push(`${key}: ${line}`);
  }
  if (trailerLines.length > 0) lines.push('', ...trailerLines);
  return `${lines.join('\n')}\n`;
}

/**
 * The markdown body of a pull request: a summary table per app (resources added, changed
 * and removed, image and replica changes, secret keys changed), then the unified diff of
 * every changed file.
 *
 * Secret values never appear: Secrets, SealedSecrets and SOPS-encrypted files are listed as
 * `(secret, diff hidden)` instead of being diffed, and the table names secret keys only. A
 * diff that would make the body longer than about 60000 characters (GitHub refuses 65536) is
 * cut at a file boundary, with a note naming the files not shown.
 *
 * @param changes one summary per app, from {@link summarizeApp}
 * @param before the files before the change (any set of repo-relative paths)
 * @param after the files after the change
 */
export function reviewBody(changes: AppChange[], before: FileTree, after: FileTree): string {
  const out: string[] = ['## Summary', ''];
  const sorted = [...changes].sort((a, b) => compare(a.app, b.app));
  if (sorted.length === 0) out.push('No app changes.', '');
  for (const change of sorted) {
    out.push(`### ${change.app}${change.created ? ' (new app)' : change.deleted ? ' (removed)' : ''}`, '', '| Change | Details |', '| --- | --- |');
    for (const [label, value] of summaryRows(change)) out.push(`| ${label} | ${value.replaceAll('|', '\\|')} |`);
    out.push('');
  }

  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compare).filter((path) => before[path] !== after[path]);
  const secrets: string[] = [];
  const diffs: { path: string; text: string }[] = [];
  for (const path of paths) {
    const old = before[path];
    const now = after[path];
    if ((old !== undefined && isSecretFile(path, old)) || (now !== undefined && isSecretFile(path, now))) {
      secrets.push(path);
      continue;
    }
    diffs.push({ path, text: unifiedDiff(old === undefined ? undefined : path, now === undefined ? undefined : path, old ?? '', now ?? '') });
  }

  out.push('## Diff', '');
  if (paths.length === 0) out.push('No file changes.', '');
  if (secrets.length > 0) {
    for (const path of secrets) out.push(`- \`${path}\` (secret, diff hidden)`);
    out.push('');
  }
  if (diffs.length > 0) {
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(diffs.map((d) => d.text).join('')) + 1));
    let budget = REVIEW_BODY_MAX - out.join('\n').length - 2 * fence.length - 400;
    const shown: string[] = [];
    const omitted: string[] = [];
    for (const diff of diffs) {
      if (omitted.length === 0 && diff.text.length <= budget) {
        shown.push(diff.text);
        budget -= diff.text.length;
      } else {
        omitted.push(diff.path);
      }
    }
    if (shown.length > 0) out.push(`${fence}diff`, shown.join('').replace(/\n$/, ''), fence, '');
    if (omitted.length > 0) {
      const listed = omitted.slice(0, 20).map((path) => `\`${path}\``);
      if (omitted.length > 20) listed.push(`and ${omitted.length - 20} more`);
      out.push(`The diff is too long for this description; not shown: ${listed.join(', ')}. Run \`dokku-gitops diff\` to see all of it.`, '');
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function indexObjects(objects: readonly TreeObject[]): Map<string, TreeObject> {
  const result = new Map<string, TreeObject>();
  for (const object of objects) {
    // the API group, not the version, is part of the identity: v1beta1 -> v1 is a change
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    result.set(`${group}\0${object.kind}\0${object.namespace ?? ''}\0${object.name}`, object);
  }
  return result;
}

function toRef(object: TreeObject): ObjectRef {
  return { kind: object.kind, name: object.name, ...(object.namespace === undefined ? {} : { namespace: object.namespace }) };
}

function sortRefs(refs: ObjectRef[]): ObjectRef[] {
  return refs.sort((a, b) => compare(a.kind, b.kind) || compare(a.namespace ?? '', b.namespace ?? '') || compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The pod spec of a workload, where its kind has one. */
function podSpec(object: TreeObject): Record<string, unknown> | undefined {
  const spec = asRecord(object.object.spec);
  switch (object.kind) {
    case 'Pod':
      return spec;
    case 'CronJob':
      return asRecord(asRecord(asRecord(asRecord(spec?.jobTemplate)?.spec)?.template)?.spec);
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return asRecord(asRecord(spec?.template)?.spec);
    default:
      return undefined;
  }
}

function containerImages(objects: readonly TreeObject[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const object of objects) {
    const spec = podSpec(object);
    if (spec === undefined) continue;
    for (const field of ['initContainers', 'containers']) {
      const containers = spec[field];
      if (!Array.isArray(containers)) continue;
      for (const container of containers) {
        const record = asRecord(container);
        if (typeof record?.name !== 'string' || typeof record.image !== 'string') continue;
        result.set(record.name === object.name ? record.name : `${object.name}/${record.name}`, record.image);
      }
    }
  }
  return result;
}

function imageChanges(before: readonly TreeObject[], after: readonly TreeObject[]): AppChange['images'] {
  return valueChanges(containerImages(before), containerImages(after)).map(({ key, ...change }) => ({ container: key, ...change }));
}

function deploymentReplicas(objects: readonly TreeObject[]): Map<string, number | undefined> {
  const result = new Map<string, number | undefined>();
  for (const object of objects) {
    if (object.kind !== 'Deployment') continue;
    const replicas = asRecord(object.object.spec)?.replicas;
    result.set(object.name, typeof replicas === 'number' ? replicas : undefined);
  }
  return result;
}

function replicaChanges(before: readonly TreeObject[], after: readonly TreeObject[]): AppChange['replicas'] {
  return valueChanges(deploymentReplicas(before), deploymentReplicas(after)).map(({ key, ...change }) => ({ name: key, ...change }));
}

/** The keys of two maps, sorted. */
function unionKeys(old: ReadonlyMap<string, unknown>, now: ReadonlyMap<string, unknown>): string[] {
  return [...new Set([...old.keys(), ...now.keys()])].sort(compare);
}

/** The keys whose value differs between two maps, sorted; an absent or undefined value is left out. */
function valueChanges<V>(old: ReadonlyMap<string, V | undefined>, now: ReadonlyMap<string, V | undefined>): { key: string; from?: V; to?: V }[] {
  return unionKeys(old, now).flatMap((key) => {
    const from = old.get(key);
    const to = now.get(key);
    if (from === to) return [];
    return [{ key, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }];
  });
}

interface SecretKeys {
  /** Key -> HMAC of key and value, from the annotation, when present and well-formed. */
  readonly hmacs?: Map<string, string>;
  /** Key -> the stored value text (plaintext, ciphertext or sealed), compared but never shown. */
  readonly values: Map<string, string>;
}

function secretKeys(object: TreeObject): SecretKeys | undefined {
  const isSecret = object.kind === 'Secret' && object.apiVersion === 'v1';
  const isSealed = object.kind === 'SealedSecret';
  if (!isSecret && !isSealed) return undefined;
  const spec = asRecord(object.object.spec);
  const values = new Map<string, string>();
  const maps = isSecret ? [object.object.data, object.object.stringData] : [spec?.encryptedData];
  for (const map of maps) {
    for (const [key, value] of Object.entries(asRecord(map) ?? {})) values.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const annotationSources: unknown[] = [asRecord(object.object.metadata)?.annotations, asRecord(asRecord(spec?.template)?.metadata)?.annotations];
  for (const annotations of annotationSources) {
    const hmacs = parseKeyHmacs(asRecord(annotations)?.[KEY_HMACS_ANNOTATION]);
    if (hmacs !== undefined) return { hmacs, values };
  }
  return { values };
}

function parseKeyHmacs(value: unknown): Map<string, string> | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const record = asRecord(parsed);
  if (record === undefined || !Object.values(record).every((v) => typeof v === 'string')) return undefined;
  return new Map(Object.entries(record as Record<string, string>));
}

function secretKeyChanges(before: readonly TreeObject[], after: readonly TreeObject[]): AppChange['secretKeys'] {
  const collect = (objects: readonly TreeObject[]): Map<string, SecretKeys> => {
    const result = new Map<string, SecretKeys>();
    for (const object of objects) {
      const keys = secretKeys(object);
      if (keys !== undefined) result.set(object.name, keys);
    }
    return result;
  };
  const old = collect(before);
  const now = collect(after);
  return unionKeys(old, now).flatMap((secret) => {
    const a = old.get(secret);
    const b = now.get(secret);
    let from: Map<string, string>;
    let to: Map<string, string>;
    if (a !== undefined && b !== undefined) {
      // HMACs tell a changed value apart without revealing it; without them on both sides,
      // compare the stored texts (a re-encrypted file then shows every key as changed)
      const useHmacs = a.hmacs !== undefined && b.hmacs !== undefined;
      from = useHmacs ? a.hmacs! : a.values;
      to = useHmacs ? b.hmacs! : b.values;
    } else {
      from = a === undefined ? new Map() : (a.hmacs ?? a.values);
      to = b === undefined ? new Map() : (b.hmacs ?? b.values);
    }
    const added = [...to.keys()].filter((key) => !from.has(key)).sort(compare);
    const removed = [...from.keys()].filter((key) => !to.has(key)).sort(compare);
    const changed = [...to.keys()].filter((key) => from.has(key) && from.get(key) !== to.get(key)).sort(compare);
    if (added.length + removed.length + changed.length === 0) return [];
    return [{ secret, added, changed, removed }];
  });
}

/** Splits an image reference into repository and suffix (`:tag`, `@digest` or both). */
function splitImage(image: string): { repository: string; suffix: string } {
  const at = image.indexOf('@');
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? '' : image.slice(at);
  const colon = withoutDigest.lastIndexOf(':');
  // a colon before the last slash belongs to a registry port, not to a tag
  if (colon === -1 || colon < withoutDigest.lastIndexOf('/')) return { repository: withoutDigest, suffix: digest };
  return { repository: withoutDigest.slice(0, colon), suffix: withoutDigest.slice(colon) + digest };
}

function shortSuffix(suffix: string): string {
  // digests are 64 hex characters: 12 are enough to tell releases apart in a subject
  return suffix.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '@$1');
}

/** `registry/x:6 -> registry/x:7` shortened to `:6 -> :7` when the repository is unchanged. */
function imagePair(from: string, to: string, short: boolean): string {
  const a = splitImage(from);
  const b = splitImage(to);
  if (a.repository === b.repository && a.suffix !== '' && b.suffix !== '') {
    return short ? `${shortSuffix(a.suffix)} -> ${shortSuffix(b.suffix)}` : `${a.suffix} -> ${b.suffix}`;
  }
  return `${from} -> ${to}`;
}

function processName(app: string, deployment: string): string {
  return deployment.startsWith(`${app}-`) && deployment.length > app.length + 1 ? deployment.slice(app.length + 1) : deployment;
}

function refKey(ref: ObjectRef): string {
  return `${ref.kind}\0${ref.namespace ?? ''}\0${ref.name}`;
}

function replicaText(value: number | undefined): string {
  return value === undefined ? 'unset' : String(value);
}

function subjectParts(action: string, change: AppChange): string[] {
  if (change.deleted || action === 'destroy') {
    return [`remove ${change.removed.length} resource${change.removed.length === 1 ? '' : 's'}`];
  }
  const parts: string[] = [];
  const explained = new Set<string>();
  const workloadOf = (container: string): string => container.split('/')[0]!;

  if (change.created) {
    parts.push('new app');
    const images = [...new Set(change.images.flatMap((i) => (i.to === undefined ? [] : [i.to])))].sort(compare);
    if (images.length === 1) parts.push(`image ${images[0]}`);
    else if (images.length > 1) parts.push(`${images.length} images`);
    for (const replica of change.replicas) parts.push(`${processName(change.app, replica.name)} replicas ${replicaText(replica.to)}`);
    for (const name of change.cronjobs.added) parts.push(`+cronjob ${name}`);
    return parts;
  }

  // image changes: one phrase per distinct old -> new pair
  const pairs = new Map<string, { from: string; to: string }>();
  for (const image of change.images) {
    if (image.from !== undefined && image.to !== undefined) pairs.set(`${image.from}\0${image.to}`, { from: image.from, to: image.to });
  }
  const froms = new Set([...pairs.values()].map((p) => p.from));
  const tos = new Set([...pairs.values()].map((p) => p.to));
  if (pairs.size === 1) {
    const [pair] = [...pairs.values()];
    parts.push(`image ${imagePair(pair!.from, pair!.to, true)}`);
  } else if (pairs.size > 1) {
    parts.push(`${pairs.size} image changes`);
  }
  // a workload whose images follow the shown change needs no words of its own, and neither
  // does a Job renamed by it (release Jobs carry a hash of their image in their name)
  const explainedWorkloads = new Set(
    change.images.filter((i) => (i.from !== undefined && froms.has(i.from)) || (i.to !== undefined && tos.has(i.to))).map((i) => workloadOf(i.container)),
  );

  const existing = new Set(change.changed.filter((r) => r.kind === 'Deployment').map((r) => r.name));
  for (const replica of change.replicas) {
    if (!existing.has(replica.name)) continue;
    parts.push(`${processName(change.app, replica.name)} replicas ${replicaText(replica.from)} -> ${replicaText(replica.to)}`);
    explained.add(refKey({ kind: 'Deployment', name: replica.name }));
  }
  for (const name of change.cronjobs.added) parts.push(`+cronjob ${name}`);
  for (const name of change.cronjobs.removed) parts.push(`-cronjob ${name}`);
  for (const secret of change.secretKeys) {
    const keys = [...secret.added.map((k) => `+${k}`), ...secret.changed.map((k) => `~${k}`), ...secret.removed.map((k) => `-${k}`)];
    // Dokku names an app's env Secret config-<app>
    parts.push(`${secret.secret === `config-${change.app}` ? 'env' : secret.secret} ${keys.join(' ')}`);
  }

  const isExplained = (ref: ObjectRef, how: '+' | '~' | '-'): boolean => {
    if (ref.kind === 'CronJob' && how !== '~') return true;
    if ((ref.kind === 'Secret' || ref.kind === 'SealedSecret') && change.secretKeys.some((s) => s.secret === ref.name)) return true;
    if (explainedWorkloads.has(ref.name) && podKinds.has(ref.kind)) {
      if (how === '~') return true;
      return ref.kind === 'Job';
    }
    return explained.has(refKey({ kind: ref.kind, name: ref.name }));
  };
  const rest: [string, ObjectRef][] = [
    ...change.added.filter((r) => !isExplained(r, '+')).map((r): [string, ObjectRef] => ['+', r]),
    ...change.changed.filter((r) => !isExplained(r, '~')).map((r): [string, ObjectRef] => ['~', r]),
    ...change.removed.filter((r) => !isExplained(r, '-')).map((r): [string, ObjectRef] => ['-', r]),
  ];
  if (rest.length > 0 && rest.length <= 3) {
    for (const [how, ref] of rest) parts.push(`${how}${ref.kind.toLowerCase()} ${ref.name}`);
  } else if (rest.length > 3) {
    const counts = (['+', '~', '-'] as const).map((how) => [how, rest.filter(([h]) => h === how).length] as const).filter(([, n]) => n > 0);
    parts.push(`${counts.map(([how, n]) => `${how}${n}`).join(' ')} resources`);
  }
  if (parts.length === 0) parts.push('no object changes');
  return parts;
}

const podKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/**
 * Joins parts after a prefix, as many as fit within the limit; a `, +N more` marker (which
 * may pass the limit by a few characters) counts the parts left for the body.
 */
function fitSubject(prefix: string, parts: readonly string[]): string {
  let shown = 0;
  while (shown < parts.length && `${prefix}${parts.slice(0, shown + 1).join(', ')}`.length <= SUBJECT_MAX) shown++;
  // even the first part is too long: keep it whole rather than cut a name in the middle
  shown = Math.max(shown, Math.min(1, parts.length));
  const more = parts.length - shown;
  return `${prefix}${parts.slice(0, shown).join(', ')}${more > 0 ? `, +${more} more` : ''}`;
}

function refText(ref: ObjectRef): string {
  return `${ref.kind} ${ref.name}`;
}

function bodyLines(change: AppChange, heading: boolean): string[] {
  const lines: string[] = [];
  const prefix = heading ? '  ' : '';
  if (heading) lines.push(`${change.app}${change.created ? ' (new app)' : change.deleted ? ' (removed)' : ''}:`);
  for (const group of imageGroups(change)) {
    lines.push(`${prefix}- image ${group.from ?? '(none)'} -> ${group.to ?? '(none)'}: ${group.containers.join(', ')}`);
  }
  for (const replica of change.replicas) {
    lines.push(`${prefix}- replicas ${replica.name}: ${replicaFrom(change, replica)} -> ${replicaTo(change, replica)}`);
  }
  for (const secret of change.secretKeys) {
    const groups = [['added', secret.added], ['changed', secret.changed], ['removed', secret.removed]] as const;
    const text = groups.filter(([, keys]) => keys.length > 0).map(([label, keys]) => `${label} ${keys.join(', ')}`).join('; ');
    lines.push(`${prefix}- secret ${secret.secret} keys: ${text}`);
  }
  for (const [label, refs] of [['added', change.added], ['changed', change.changed], ['removed', change.removed]] as const) {
    if (refs.length > 0) lines.push(`${prefix}- ${label}: ${refs.map(refText).join(', ')}`);
  }
  return lines;
}

/** Image changes grouped by old -> new pair, pairs sorted, containers sorted within. */
function imageGroups(change: AppChange): { from?: string; to?: string; containers: string[] }[] {
  const groups = new Map<string, { from?: string; to?: string; containers: string[] }>();
  for (const image of change.images) {
    const key = `${image.from ?? ''}\0${image.to ?? ''}`;
    const group = groups.get(key) ?? { ...(image.from === undefined ? {} : { from: image.from }), ...(image.to === undefined ? {} : { to: image.to }), containers: [] };
    group.containers.push(image.container);
    groups.set(key, group);
  }
  // changed images first, then new containers, then removed ones
  const rank = (g: { from?: string; to?: string }): number => (g.from !== undefined && g.to !== undefined ? 0 : g.from === undefined ? 1 : 2);
  return [...groups.entries()]
    .sort(([a, x], [b, y]) => rank(x) - rank(y) || compare(a, b))
    .map(([, group]) => ({ ...group, containers: group.containers.sort(compare) }));
}

function replicaFrom(change: AppChange, replica: AppChange['replicas'][number]): string {
  return change.added.some((r) => r.kind === 'Deployment' && r.name === replica.name) ? '(new)' : replicaText(replica.from);
}

function replicaTo(change: AppChange, replica: AppChange['replicas'][number]): string {
  return change.removed.some((r) => r.kind === 'Deployment' && r.name === replica.name) ? '(removed)' : replicaText(replica.to);
}

function summaryRows(change: AppChange): [string, string][] {
  const refs = (list: readonly ObjectRef[]): string => (list.length === 0 ? 'none' : list.map((r) => `\`${r.kind}/${r.name}\``).join(', '));
  const images = imageGroups(change).map(
    (g) => `${g.from === undefined ? '(none)' : `\`${g.from}\``} → ${g.to === undefined ? '(none)' : `\`${g.to}\``}: ${g.containers.map((c) => `\`${c}\``).join(', ')}`,
  );
  const replicas = change.replicas.map((r) => `\`${r.name}\`: ${replicaFrom(change, r)} → ${replicaTo(change, r)}`);
  const secrets = change.secretKeys.map((s) => {
    const groups = [['added', s.added], ['changed', s.changed], ['removed', s.removed]] as const;
    return `\`${s.secret}\`: ${groups.filter(([, keys]) => keys.length > 0).map(([label, keys]) => `${label} ${keys.map((k) => `\`${k}\``).join(', ')}`).join('; ')}`;
  });
  return [
    [`Resources added (${change.added.length})`, refs(change.added)],
    [`Resources changed (${change.changed.length})`, refs(change.changed)],
    [`Resources removed (${change.removed.length})`, refs(change.removed)],
    ['Image', images.length === 0 ? 'unchanged' : images.join('<br>')],
    ['Replicas', replicas.length === 0 ? 'unchanged' : replicas.join('<br>')],
    ['Secret keys', secrets.length === 0 ? 'unchanged' : secrets.join('<br>')],
  ];
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

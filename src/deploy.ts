/**
 * GitOps delivery: `deploy`, `diff`, `destroy` and `push`, callable in-process (the CLI and the
 * benchmark both call these functions).
 *
 * A deploy compiles the state (outside the lock: it needs no repository), locks and refreshes
 * the working clone ({@link WorkingClone}), seals the Secrets against the files the repository
 * holds, replaces the folders of the apps in the state (and `platform/dokku/` when the state has
 * a Global document) writing only files whose content changed, commits once, and pushes with
 * retries. The same state twice gives no commit and no push.
 *
 * Concurrency: runs on one working clone are serialised by its lock; runs on different clones
 * meet at the remote, where a rejected push is replayed per app folder (see
 * {@link WorkingClone}). When two deploys of the same app race, the one that started later
 * wins: every commit records its start time (trailer `Dokku-Deploy-Started`), and a deploy
 * does not overwrite an app folder last written by a deploy that started after it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type CompileResult, type Manifest } from './compile.js';
import { DokkuGitopsError, InputError } from './errors.js';
import { assertAppName, gitopsHome, normalizeRepo, ownerRoot, pathProblem, redactUrl } from './gitops/_paths.js';
import type { ForgeConfig } from './gitops/forge.js';
import { STARTED_TRAILER, WorkingClone, type OpenCloneOptions } from './gitops/repo.js';
import { commitMessage, reviewBody, summarizeApp, type AppChange } from './gitops/summary.js';
import { subtree, treeObjects, type FileTree } from './gitops/tree.js';
import { applyPlan, isEmptyPlan, planTree, type TreePlan, type TreeSpec } from './gitops/write.js';
import { AGE_KEY_FILE, hmacHex, hmacKey, keysHome, loadIdentity, recipientOf } from './secrets/keys.js';
import { PLATFORM_INDEX, platformIndex, platformSubfolders } from './output/platform-index.js';
import { recipientsFromSopsConfig, sealSecretFile, secretFilePath, sopsConfig, type SecretsMode } from './secrets/seal.js';
import { loadState } from './state/load.js';
import type { State } from './state/types.js';

/** The cluster name when none is given. */
export const DEFAULT_CLUSTER = 'default';

/** The trailer with the HMAC of an app's state document: `Dokku-State-Digest: <app> <hmac>`, one per app. */
export const DIGEST_TRAILER = 'Dokku-State-Digest';

/** Where the repository is and how to reach and write it (shared by every command). */
export interface RepoOptions
  extends Pick<OpenCloneOptions, 'repo' | 'branch' | 'workdir' | 'home' | 'author' | 'committer' | 'lockTimeoutMs' | 'log'> {
  /**
   * How long to keep retrying a push that others keep winning, in milliseconds.
   *
   * @default 120000
   */
  readonly retryTimeoutMs?: number;
  /**
   * When the operation started: of two deploys (or destroys) of the same app, the one that
   * started later wins, whatever order they reach the repository in.
   *
   * @default - now, when the function is called
   */
  readonly startedAt?: Date;
}

/** How commits reach the branch. */
export type DeliveryMode = 'direct' | 'pr';

/** Options shared by `deploy` and `diff`. */
export interface CompileInputOptions extends RepoOptions {
  /**
   * State files or folders (`-` is standard input). One of `states`, `state`, `compiled` is needed.
   *
   * @default - none
   */
  readonly states?: readonly string[];
  /**
   * An already loaded state.
   *
   * @default - loaded from `states`
   */
  readonly state?: State;
  /**
   * An already compiled state (the benchmark, tests).
   *
   * @default - compiled from the state
   */
  readonly compiled?: CompileResult;
  /**
   * How Secrets are written: SOPS with age, Bitnami Sealed Secrets, or plain text (demos only).
   *
   * @default 'sops'
   */
  readonly secrets?: SecretsMode;
  /**
   * Extra age recipients for SOPS, added to those of the repository's `.sops.yaml` and to the
   * host identity's (when `keys init` was run).
   *
   * @default - none
   */
  readonly ageRecipients?: readonly string[];
  /**
   * The Sealed Secrets controller's certificate (PEM text), for `secrets: 'sealed-secrets'`.
   *
   * @default - none
   */
  readonly sealedCert?: string;
  /**
   * Allow plaintext Secrets in a commit (`secrets: 'plaintext'`); a warning is logged.
   *
   * @default false
   */
  readonly allowPlaintextSecrets?: boolean;
  /**
   * The cluster whose agent objects (`clusters/<cluster>/`) are kept in step with the apps.
   *
   * @default 'default'
   */
  readonly cluster?: string;
  /**
   * The GitOps agent whose per-app objects are written.
   *
   * @default - detected from `clusters/<cluster>/`; none written when there is none
   */
  readonly agent?: 'flux' | 'argocd';
  /**
   * The repository URL the cluster's agent reads (in per-app agent objects).
   *
   * @default - `repo`
   */
  readonly agentRepoUrl?: string;
}

/** How {@link deploy} and {@link destroy} deliver their commits. */
export interface DeliveryOptions {
  /**
   * `direct` commits to the branch; `pr` pushes one review branch per app
   * (`dokku-gitops/<app>`) and opens or updates a pull request.
   *
   * @default 'direct'
   */
  readonly mode?: DeliveryMode;
  /**
   * The forge for pull requests in `pr` mode.
   *
   * @default - none: the review branch and its summary are logged
   */
  readonly forge?: ForgeConfig;
}

/** Options of {@link deploy}. */
export interface DeployOptions extends CompileInputOptions, DeliveryOptions {
  /**
   * The verb of the commit message (`stop` for `ps:stop`).
   *
   * @default - 'stop' when every app of the state is stopped (`spec.stopped`), else 'deploy'
   */
  readonly action?: 'deploy' | 'stop';
}

/** A review branch pushed in `pr` mode. */
export interface ReviewResult {
  /** The app (or `platform`). */
  readonly app: string;
  /** `dokku-gitops/<app>`. */
  readonly branch: string;
  /** 'pushed', or 'up-to-date' when the branch already had this content. */
  readonly status: 'pushed' | 'up-to-date';
  /** The commit subject, the pull request's title. */
  readonly title: string;
  /** The pull request body (markdown). */
  readonly body: string;
  /**
   * The pull request, when a forge is configured.
   *
   * @default - none
   */
  readonly pullRequest?: { readonly url: string; readonly number: number; readonly created: boolean };
}

/** Time spent per phase of a run, in milliseconds (for the benchmark). */
export interface DeployTimings {
  readonly compile: number;
  readonly open: number;
  readonly write: number;
  readonly commit: number;
  readonly push: number;
  readonly total: number;
}

/** What a `deploy`, `destroy` or `push` did. */
export interface DeployResult {
  /**
   * `up-to-date`: nothing to change and nothing queued; `pushed`: commits reached the remote;
   * `review`: review branches were pushed (`pr` mode).
   */
  readonly status: 'up-to-date' | 'pushed' | 'review';
  /**
   * The commit this run made.
   *
   * @default - none
   */
  readonly commit?: string;
  /** Its message. @default - none */
  readonly message?: string;
  /** Commits delivered to the remote, earlier queued ones included. */
  readonly pushed: number;
  /** Per-app summaries of what changed. */
  readonly changes: readonly AppChange[];
  /** Apps left alone because the repository holds a deploy of them that started later. */
  readonly superseded: readonly string[];
  /** Review branches (`pr` mode). */
  readonly reviews: readonly ReviewResult[];
  /** The working clone used. */
  readonly workdir: string;
  /** The remote, credentials masked. */
  readonly remote: string;
  readonly timings: DeployTimings;
}

/** What a `diff` found. */
export interface DiffResult {
  /** True when a deploy would change the repository. */
  readonly changed: boolean;
  readonly changes: readonly AppChange[];
  /** Markdown: the summary table and the diff of non-secret files (as in a pull request). */
  readonly summary: string;
  /** Every file that would be written or removed. */
  readonly paths: readonly string[];
}

/** Options of {@link destroy}. */
export interface DestroyOptions extends RepoOptions, DeliveryOptions {
  /** The app whose folder (and agent objects) are removed. */
  readonly app: string;
}

/** One unit of change: an app, or the platform folder. */
interface Unit {
  /** App name, or the platform folder (`platform/dokku`, `platform/charts`): never an app name. */
  readonly name: string;
  /** The folder it owns whole. */
  readonly dir: string;
  readonly spec: TreeSpec;
  /** HMAC of the state document, for the trailer. */
  readonly digest?: string;
}

/** The units of a run, and the files every unit shares (`.sops.yaml`). */
interface Prepared {
  readonly units: Unit[];
  readonly shared: FileTree;
}

/**
 * Deploy a state to the repository.
 *
 * @throws InputError / DokkuGitopsError ('input') for a bad state or option (exit 2)
 * @throws DokkuGitopsError ('failure') when the remote cannot be written; the commit stays
 *   queued in the working clone (exit 1)
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const t0 = performance.now();
  const started = options.startedAt?.getTime() ?? Date.now();
  const home = gitopsHome(options.home);
  checkSecretsOptions(options);
  const key = hmacKey(home);
  // the working clone is locked and fetched (git child processes) while this process compiles
  const opening = openClone(options, options.mode === 'pr');
  // handled below, after compiling; this keeps an early failure from counting as unhandled
  opening.catch(() => {});
  await new Promise((resolve) => setImmediate(resolve));
  let compiled: CompileResult;
  let state: State | undefined;
  try {
    ({ compiled, state } = compiledOf(options, key));
    checkCompiled(compiled);
    refusePlaintext(options, compiled);
  } catch (err) {
    // bad input is reported as such, whatever became of the clone
    (await opening.catch(() => undefined))?.close();
    throw err;
  }
  // `ps:stop` deploys a state whose apps are all stopped: say so in the commit
  const action = options.action ?? (state !== undefined && state.apps.length > 0 && state.apps.every((a) => a.spec.stopped === true) ? 'stop' : 'deploy');
  const tCompiled = performance.now();

  const clone = await opening;
  try {
    const tOpen = performance.now();
    // ask git for later-started deploys of these folders while this process seals and summarizes
    const dirs = [...compiled.apps.map((a) => a.dir), ...(compiled.global ? ['platform/dokku'] : [])];
    const newer = options.mode === 'pr' ? undefined : clone.newerDeploys(dirs, started);
    newer?.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    const prepared = await buildUnits(clone, compiled, options, key, home);
    return await deliverUnits(clone, prepared, () => newer ?? clone.newerDeploys(dirs, started), action, started, options, t0, tCompiled, tOpen);
  } finally {
    clone.close();
  }
}

/**
 * What a deploy of the state would change, without writing anything to the remote.
 *
 * @throws DokkuGitopsError ('failure') when the remote cannot be reached
 */
export async function diff(options: CompileInputOptions): Promise<DiffResult> {
  const home = gitopsHome(options.home);
  checkSecretsOptions(options);
  const key = hmacKey(home);
  const { compiled } = compiledOf(options, key);
  checkCompiled(compiled);
  const clone = await openClone(options, false, true);
  try {
    const prepared = await buildUnits(clone, compiled, options, key, home);
    const changes: AppChange[] = [];
    const before: FileTree = {};
    const after: FileTree = {};
    const paths: string[] = [];
    const plans = prepared.units.map((unit) => ({ unit, plan: planTree(clone.dir, unit.spec) })).filter((p) => !isEmptyPlan(p.plan));
    const shared = sharedFilesPlan(clone, prepared.shared, plans.length > 0);
    for (const { unit, plan } of plans) changes.push(summarize(unit, plan));
    for (const plan of [...plans.map((p) => p.plan), ...(shared ? [shared] : [])]) {
      Object.assign(before, plan.before);
      Object.assign(after, plan.after);
      paths.push(...plan.delete, ...Object.keys(plan.write));
    }
    return { changed: paths.length > 0, changes, summary: reviewBody(changes, before, after), paths: paths.sort() };
  } finally {
    clone.close();
  }
}

/** Options of {@link commitPlatformCharts}. */
export interface PlatformChartsOptions extends RepoOptions {
  /** The files of `platform/charts/` (from `generatePlatform`), repo-relative paths. */
  readonly files: readonly { readonly path: string; readonly content: string }[];
}

/**
 * Commit the platform charts (`cluster platform --repo`): `platform/charts/` is replaced whole and
 * `platform/kustomization.yaml` lists it, then the commit is pushed like a deploy's.
 *
 * @throws DokkuGitopsError ('input') when a file lies outside `platform/charts/`
 */
export async function commitPlatformCharts(options: PlatformChartsOptions): Promise<DeployResult> {
  const t0 = performance.now();
  const started = options.startedAt?.getTime() ?? Date.now();
  const dir = 'platform/charts';
  const outside = options.files.filter((f) => !f.path.startsWith(`${dir}/`) || pathProblem(f.path) !== undefined);
  if (outside.length) throw new DokkuGitopsError(`platform charts must lie in '${dir}/': ${outside.map((f) => `'${f.path}'`).join(', ')}`, 'input');
  const clone = await openClone(options, false);
  try {
    const tOpen = performance.now();
    const files: FileTree = Object.fromEntries(options.files.map((f) => [f.path, f.content]));
    const unit: Unit = { name: dir, dir, spec: { folders: [dir], files } };
    const shared: FileTree = { [PLATFORM_INDEX]: platformIndex([...platformSubfolders(clone.dir), 'charts']) };
    return await commitAndDeliver(clone, { units: [unit], shared }, clone.newerDeploys([dir], started), 'deploy', started, options, t0, t0, tOpen);
  } finally {
    clone.close();
  }
}

/**
 * Remove an app's folder (and its agent objects) from the repository and commit.
 *
 * An app that is not in the repository gives `up-to-date`.
 *
 * @throws DokkuGitopsError ('input') for an app name that is not a Dokku app name
 */
export async function destroy(options: DestroyOptions): Promise<DeployResult> {
  const t0 = performance.now();
  const started = options.startedAt?.getTime() ?? Date.now();
  assertAppName(options.app);
  const clone = await openClone(options, options.mode === 'pr');
  try {
    const tOpen = performance.now();
    const dir = `apps/${options.app}`;
    const unit: Unit = { name: options.app, dir, spec: { folders: [dir], files: {}, remove: agentPathsToRemove(clone, options.app) } };
    return await deliverUnits(clone, { units: [unit], shared: {} }, () => clone.newerDeploys([dir], started), 'destroy', started, options, t0, t0, tOpen);
  } finally {
    clone.close();
  }
}

/**
 * Deliver the commits queued in the working clone by runs whose push failed.
 *
 * @throws DokkuGitopsError ('failure') naming the remote when they still cannot be delivered
 */
export async function push(options: RepoOptions): Promise<DeployResult> {
  const t0 = performance.now();
  const clone = await openClone(options, false);
  try {
    const tOpen = performance.now();
    const delivered = await clone.deliver({ retryTimeoutMs: options.retryTimeoutMs });
    const t = performance.now();
    return result(clone, {
      status: delivered.pushed > 0 ? 'pushed' : 'up-to-date',
      pushed: delivered.pushed,
      changes: [],
      superseded: [],
      reviews: [],
      timings: timings(t0, t0, tOpen, tOpen, tOpen, t),
    });
  } finally {
    clone.close();
  }
}

async function commitAndDeliver(
  clone: WorkingClone,
  prepared: Prepared,
  newerDeploys: Promise<Map<string, { sha: string; started: number }>>,
  action: 'deploy' | 'stop' | 'destroy',
  started: number,
  options: RepoOptions,
  t0: number,
  tCompiled: number,
  tOpen: number,
): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const planned = prepared.units
    .map((unit) => ({ unit, plan: planTree(clone.dir, unit.spec) }))
    .filter((p) => !isEmptyPlan(p.plan))
    .map((p) => ({ ...p, change: summarize(p.unit, p.plan) }));
  // a deploy that started after this one already wrote some of these folders: keep its state
  const newer = await newerDeploys;
  const superseded: string[] = [];
  for (const u of prepared.units) {
    const n = newer.get(u.dir);
    if (n === undefined) continue;
    superseded.push(u.name);
    log(`${u.dir}: not written, the repository holds a deploy that started later (${new Date(n.started).toISOString()}, commit ${n.sha.slice(0, 12)})`);
  }
  const plans = planned.filter((p) => !newer.has(p.unit.dir));
  const shared = sharedFilesPlan(clone, prepared.shared, plans.length > 0);
  const tWritten0 = performance.now();
  let commit: string | undefined;
  let message: string | undefined;
  const changes = plans.map((p) => p.change);
  let tWritten = tWritten0;
  let tCommitted = tWritten0;
  if (plans.length > 0) {
    const digests = plans.flatMap(({ unit }) => (unit.digest === undefined ? [] : [[unit.name, unit.digest] as const]));
    digests.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const trailers: Record<string, string> = {};
    // `<app> <hmac>`: a commit of several apps says which digest is whose
    if (digests.length > 0) trailers[DIGEST_TRAILER] = digests.map(([name, d]) => `${name} ${d}`).join('\n');
    trailers[STARTED_TRAILER] = new Date(started).toISOString();
    message = commitMessage(action, changes, trailers);
    clone.startWriting();
    // one plan for all units: a first deploy of many apps is written with many writes in flight
    const all = [...plans.map((p) => p.plan), ...(shared ? [shared] : [])];
    const touched = await applyPlan(clone.dir, {
      write: Object.assign({}, ...all.map((p) => p.write)) as FileTree,
      delete: all.flatMap((p) => p.delete),
      before: {},
      after: {},
    });
    tWritten = performance.now();
    const tracked = all.every((p) => Object.keys(p.write).every((path) => path in p.before));
    commit = await clone.commit(touched, message, tracked);
    clone.finishWriting();
    tCommitted = performance.now();
    if (commit !== undefined) log(`committed ${commit.slice(0, 12)} ${message.split('\n')[0]}`);
  }
  const delivered = clone.ahead > 0 ? await clone.deliver({ retryTimeoutMs: options.retryTimeoutMs }) : { pushed: 0, retries: 0 };
  if (delivered.pushed > 0) log(`pushed ${delivered.pushed} commit${delivered.pushed === 1 ? '' : 's'} to '${clone.remoteName}' (branch '${clone.branch}')`);
  if (commit !== undefined && delivered.pushed === 0) {
    // the replay onto the remote dropped this commit: a deploy that started later won every folder
    superseded.push(...plans.map((p) => p.unit.name));
    commit = undefined;
  }
  const t = performance.now();
  return result(clone, {
    status: delivered.pushed > 0 ? 'pushed' : 'up-to-date',
    commit,
    message: commit === undefined ? undefined : message,
    pushed: delivered.pushed,
    changes,
    superseded,
    reviews: [],
    timings: timings(t0, tCompiled, tOpen, tWritten, tCommitted, t),
  });
}

/**
 * Deliver prepared units by the options' mode: committed to the branch and pushed, or in `pr`
 * mode (after pushing any commit still queued in the clone) one review branch per unit.
 * `newerDeploys` is only asked for in direct mode.
 */
async function deliverUnits(
  clone: WorkingClone,
  prepared: Prepared,
  newerDeploys: () => Promise<Map<string, { sha: string; started: number }>>,
  action: 'deploy' | 'stop' | 'destroy',
  started: number,
  options: RepoOptions & DeliveryOptions,
  t0: number,
  tCompiled: number,
  tOpen: number,
): Promise<DeployResult> {
  if (options.mode !== 'pr') return await commitAndDeliver(clone, prepared, newerDeploys(), action, started, options, t0, tCompiled, tOpen);
  if (clone.ahead > 0) await clone.deliver({ retryTimeoutMs: options.retryTimeoutMs });
  const reviews = await review(clone, prepared, action, started, options.forge, options.log ?? (() => {}));
  const t = performance.now();
  return result(clone, {
    status: reviews.some((r) => r.status === 'pushed') ? 'review' : 'up-to-date',
    pushed: 0,
    changes: [],
    superseded: [],
    reviews,
    timings: timings(t0, tCompiled, tOpen, t, t, t),
  });
}

/** `pr` mode: one review branch and pull request per unit that changes. */
async function review(
  clone: WorkingClone,
  prepared: Prepared,
  action: 'deploy' | 'stop' | 'destroy',
  started: number,
  forge: ForgeConfig | undefined,
  log: (line: string) => void,
): Promise<ReviewResult[]> {
  const out: ReviewResult[] = [];
  for (const unit of prepared.units) {
    const plan = planTree(clone.dir, unit.spec);
    if (isEmptyPlan(plan)) continue;
    const shared = sharedFilesPlan(clone, prepared.shared, true);
    const change = summarize(unit, plan);
    const trailers: Record<string, string> = {};
    if (unit.digest !== undefined) trailers[DIGEST_TRAILER] = `${unit.name} ${unit.digest}`;
    trailers[STARTED_TRAILER] = new Date(started).toISOString();
    const message = commitMessage(action, [change], trailers);
    const title = message.split('\n')[0]!;
    const body = reviewBody([change], { ...shared?.before, ...plan.before }, { ...shared?.after, ...plan.after });
    // platform units are named after their folder (an app name never has a '/')
    const branch = `dokku-gitops/${unit.name.includes('/') ? `_${unit.name.replace(/\//g, '_')}` : unit.name}`;
    await clone.enterReview(branch);
    let status: 'pushed' | 'up-to-date';
    try {
      const touched = [...(await applyPlan(clone.dir, plan)), ...(shared ? await applyPlan(clone.dir, shared) : [])];
      await clone.commit(touched, message);
      status = await clone.pushReview(branch);
    } finally {
      await clone.leaveReview();
    }
    let pullRequest: ReviewResult['pullRequest'];
    if (forge !== undefined && status === 'pushed') {
      const { openOrUpdatePullRequest } = await import('./gitops/forge.js');
      pullRequest = await openOrUpdatePullRequest(forge, { head: branch, base: clone.branch, title, body });
      log(`${pullRequest.created ? 'opened' : 'updated'} pull request ${pullRequest.url}`);
    } else if (status === 'pushed') {
      log(`pushed the review branch '${branch}' to '${clone.remoteName}'`);
    }
    out.push({ app: unit.name, branch, status, title, body, ...(pullRequest ? { pullRequest } : {}) });
  }
  return out;
}

/**
 * The summary of a unit's change. Unchanged files cannot add to a summary (it compares objects
 * that differ), and parsing them is most of its cost: only the files that change are passed, plus
 * the smallest unchanged one, which keeps 'created' and 'deleted' (no objects before or after) right.
 */
function summarize(unit: Unit, plan: TreePlan): AppChange {
  const before = subtree(plan.before, unit.dir);
  const after = subtree(plan.after, unit.dir);
  const changed = new Set([...Object.keys(before), ...Object.keys(after)].filter((p) => before[p] !== after[p]));
  const same = Object.keys(before)
    .filter((p) => !changed.has(p))
    .sort((a, b) => before[a]!.length - before[b]!.length || (a < b ? -1 : 1))[0];
  const pick = (tree: FileTree): FileTree => Object.fromEntries(Object.entries(tree).filter(([p]) => changed.has(p) || p === same));
  return summarizeApp(unit.name, pick(before), pick(after));
}

/** Files shared by every unit (`.sops.yaml`): written along with unit changes, never alone. */
function sharedFilesPlan(clone: WorkingClone, files: FileTree, changing: boolean): TreePlan | undefined {
  if (!changing || Object.keys(files).length === 0) return undefined;
  const plan = planTree(clone.dir, { folders: [], files });
  return isEmptyPlan(plan) ? undefined : plan;
}

/** Compile (or take the compiled state), seal Secrets against the repository, and build each unit's spec. */
async function buildUnits(
  clone: WorkingClone,
  compiled: CompileResult,
  options: CompileInputOptions,
  key: Buffer,
  home: string,
): Promise<Prepared> {
  const mode = options.secrets ?? 'sops';
  const hasSecrets = [...compiled.apps.flatMap((a) => a.manifests), ...compiled.platform].some((m) => m.secret);
  let recipients: string[] = [];
  let shared: FileTree = {};
  if (mode === 'sops') {
    recipients = await sopsRecipients(clone, options.ageRecipients ?? [], home);
    if (recipients.length > 0 && hasSecrets) shared = { '.sops.yaml': sopsConfig(recipients) };
  }
  if (mode === 'plaintext' && hasSecrets) {
    (options.log ?? (() => {}))(
      "warning: committing plaintext Secrets to the repository ('--allow-plaintext-secrets'): anyone who can read the repository can read them; use it for throwaway demos only",
    );
  }
  const seal = async (manifests: readonly Manifest[]): Promise<FileTree> => {
    const files: FileTree = {};
    const renamed = new Map<string, string>();
    for (const m of manifests) {
      if (!m.secret || m.object === undefined) {
        files[m.path] = m.content;
        continue;
      }
      const target = secretFilePath(m.path, mode);
      const sealed = await sealSecretFile(
        { path: m.path, object: m.object, previous: clone.read(target) },
        { mode, recipients, hmacKey: key, sealedCert: options.sealedCert, header: m.content.split('\n')[0]! },
      );
      files[sealed.path] = sealed.content;
      if (sealed.path !== m.path) renamed.set(m.path, sealed.path);
    }
    // a SealedSecret is named after its kind: the kustomization must list the new file name
    for (const [from, to] of renamed) {
      const kustomization = `${from.slice(0, from.lastIndexOf('/'))}/kustomization.yaml`;
      const text = files[kustomization];
      const name = from.slice(from.lastIndexOf('/') + 1);
      if (text !== undefined) files[kustomization] = text.replace(new RegExp(`^(\\s*-\\s+)${escapeRegExp(name)}$`, 'm'), `$1${to.slice(to.lastIndexOf('/') + 1)}`);
    }
    return files;
  };
  const cluster = options.cluster ?? DEFAULT_CLUSTER;
  // the agents module (cdk8s constructs of CRDs) is loaded only for a repository set up for one
  const agents = options.agent !== undefined || existsSync(join(clone.dir, 'clusters', cluster)) ? await import('./agents/manifests.js') : undefined;
  const agent = options.agent ?? agents?.detectAgent((path) => clone.read(path), cluster);
  const agentRepoUrl = agent === undefined ? '' : (options.agentRepoUrl ?? agentRepoUrlIn(clone, agent, cluster) ?? clone.remote);
  const units: Unit[] = [];
  for (const app of compiled.apps) {
    const files = await seal(app.manifests);
    if (agent !== undefined && agents !== undefined) {
      // the agent's per-app objects (a Flux Kustomization or an Argo CD Application) follow the app
      Object.assign(
        files,
        agents.appAgentManifests({
          agent,
          cluster,
          app: app.name,
          namespace: namespaceOf(app.manifests),
          hasRelease: app.manifests.some((m) => m.path.startsWith(`${app.dir}/release/`)),
          hasPostdeploy: app.manifests.some((m) => m.path.startsWith(`${app.dir}/postdeploy/`)),
          repoUrl: agentRepoUrl,
          branch: clone.branch,
        }),
      );
    }
    units.push({ name: app.name, dir: app.dir, spec: { folders: [app.dir], files }, digest: hmacHex(key, app.stateDigestInput) });
  }
  if (compiled.global) {
    // platform/dokku/ is the Global document's output, replaced whole
    units.push({ name: 'platform/dokku', dir: 'platform/dokku', spec: { folders: ['platform/dokku'], files: await seal(compiled.platform) } });
  } else if (compiled.platform.length > 0 && clone.read('platform/dokku/kustomization.yaml') === undefined) {
    // a state of apps alone keeps the folder as it is, but the agent's platform sync needs it to exist:
    // it is created along with the first app change, not as a change of its own
    shared = { ...shared, ...(await seal(compiled.platform)) };
  }
  // platform/kustomization.yaml lists platform/dokku/ and whatever else platform/ holds (charts/)
  const platformFolders = [...platformSubfolders(clone.dir), ...(compiled.platform.length > 0 ? ['dokku'] : [])];
  if (platformFolders.length > 0) shared = { ...shared, [PLATFORM_INDEX]: platformIndex(platformFolders) };
  return { units, shared };
}

/** The age recipients: the repository's `.sops.yaml`, the given ones, and the host identity's. */
async function sopsRecipients(clone: WorkingClone, given: readonly string[], home: string): Promise<string[]> {
  const found = new Set<string>(given.map((r) => r.trim()).filter(Boolean));
  const config = clone.read('.sops.yaml');
  if (config !== undefined) for (const r of recipientsFromSopsConfig(config)) found.add(r);
  const identityFile = join(keysHome(home), AGE_KEY_FILE);
  if (existsSync(identityFile)) {
    // age-keygen's format names the public key in a comment: no need to load age to derive it
    const listed = /^# public key: (age1[0-9a-z]+)$/m.exec(readFileSync(identityFile, 'utf8'))?.[1];
    found.add(listed ?? (await recipientOf(loadIdentity(home))));
  }
  return [...found].sort();
}

/** The per-app agent files of an app, in every cluster folder of the repository. */
function agentPathsToRemove(clone: WorkingClone, app: string): string[] {
  let clusters: string[];
  try {
    clusters = readdirSync(join(clone.dir, 'clusters'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
  return clusters
    .sort()
    .map((c) => `clusters/${c}/apps/${app}.yaml`)
    .filter((p) => clone.read(p) !== undefined);
}

/** The repository URL the cluster's agent already reads, from its cluster-level files. */
function agentRepoUrlIn(clone: WorkingClone, agent: 'flux' | 'argocd', cluster: string): string | undefined {
  const path = `clusters/${cluster}/${agent === 'flux' ? 'gitrepository.yaml' : 'root.yaml'}`;
  const content = clone.read(path);
  if (content === undefined) return undefined;
  for (const o of treeObjects({ [path]: content })) {
    const spec = o.object.spec as { url?: unknown; source?: { repoURL?: unknown } } | undefined;
    const url = agent === 'flux' ? spec?.url : spec?.source?.repoURL;
    if (typeof url === 'string' && url !== '') return url;
  }
  return undefined;
}

/** The namespace of an app's objects. */
function namespaceOf(manifests: readonly Manifest[]): string {
  for (const m of manifests) {
    const ns = (m.object?.metadata as { namespace?: unknown } | undefined)?.namespace;
    if (typeof ns === 'string' && ns !== '') return ns;
  }
  return 'default';
}

function compiledOf(options: CompileInputOptions, key: Buffer): { compiled: CompileResult; state?: State } {
  if (options.compiled !== undefined) return { compiled: options.compiled, state: options.state };
  const state = options.state ?? loadState(options.states ?? []);
  return { compiled: compile(state, { hmacKey: key }), state };
}

/** Every output path must lie in its app's folder (or `platform/dokku/`): an app never writes another's. */
function checkCompiled(compiled: CompileResult): void {
  const problems: string[] = [];
  for (const app of compiled.apps) {
    assertAppName(app.name);
    if (app.dir !== `apps/${app.name}`) problems.push(`app '${app.name}': folder '${app.dir}' is not 'apps/${app.name}'`);
    for (const m of app.manifests) {
      if (ownerRoot(m.path) !== app.dir || pathProblem(m.path) !== undefined) problems.push(`app '${app.name}': output path '${m.path}' is outside '${app.dir}/'`);
    }
  }
  for (const m of compiled.platform) {
    if (ownerRoot(m.path) !== 'platform/dokku' || pathProblem(m.path) !== undefined) problems.push(`platform: output path '${m.path}' is outside 'platform/dokku/'`);
  }
  if (problems.length > 0) throw new InputError(problems);
}

function checkSecretsOptions(options: CompileInputOptions): void {
  const mode = options.secrets ?? 'sops';
  if (!['sops', 'sealed-secrets', 'plaintext'].includes(mode)) {
    throw new DokkuGitopsError(`'--secrets' must be one of 'sops', 'sealed-secrets', 'plaintext', got '${String(mode)}'`, 'input');
  }
  if (options.allowPlaintextSecrets && mode !== 'plaintext') {
    throw new DokkuGitopsError(`'--allow-plaintext-secrets' needs '--secrets plaintext', got '--secrets ${mode}'`, 'input');
  }
}

/** Plaintext Secrets never reach a commit unless explicitly allowed. */
function refusePlaintext(options: CompileInputOptions, compiled: CompileResult): void {
  if ((options.secrets ?? 'sops') !== 'plaintext' || options.allowPlaintextSecrets) return;
  const secrets = [...compiled.apps.flatMap((a) => a.manifests), ...compiled.platform].filter((m) => m.secret).map((m) => m.path);
  if (secrets.length === 0) return;
  throw new DokkuGitopsError(
    `refusing to commit plaintext Secrets (${secrets.join(', ')}): use '--secrets sops' or '--secrets sealed-secrets', ` +
      "or pass '--allow-plaintext-secrets' for a throwaway demo",
    'input',
  );
}

function openClone(options: RepoOptions, reviewBranches: boolean, requireRemote = false): Promise<WorkingClone> {
  const o: OpenCloneOptions = {
    repo: options.repo,
    branch: options.branch,
    workdir: options.workdir,
    home: options.home,
    author: options.author,
    committer: options.committer,
    lockTimeoutMs: options.lockTimeoutMs,
    log: options.log,
    reviewBranches,
    requireRemote,
  };
  return WorkingClone.open(o);
}

function result(clone: WorkingClone, r: Omit<DeployResult, 'workdir' | 'remote'>): DeployResult {
  return { ...r, workdir: clone.dir, remote: redactUrl(normalizeRepo(clone.remote)) };
}

function timings(t0: number, compiled: number, open: number, write: number, commit: number, end: number): DeployTimings {
  const r = (n: number) => Math.round(n * 10) / 10;
  return {
    compile: r(compiled - t0),
    open: r(open - compiled),
    write: r(write - open),
    commit: r(commit - write),
    push: r(end - commit),
    total: r(end - t0),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The working clone: a clone of the GitOps repository kept between runs, used under a lock.
 *
 * Layout: the clone is `<workdir>` (default `<home>/work/<slug of repo and branch>`, see
 * {@link defaultWorkdir}) and its lock is the file `<workdir>.lock` beside it, so that the first
 * clone also happens under the lock. Commits a push could not deliver stay on the local branch
 * ("queued") and are delivered by the next run.
 *
 * Crash safety: git itself writes objects, refs and the index atomically. What a killed run can
 * leave behind is handled by {@link WorkingClone.open}: a clone half-made (made in a temporary
 * folder, renamed into place when complete), stale `*.lock` files of killed git processes, an
 * interrupted rebase, a detached HEAD or another branch checked out, and half-written work-tree
 * files (a marker file says a run was writing; the tree is then reset to HEAD and cleaned).
 * Queued commits are never discarded.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DokkuGitopsError } from '../errors.js';
import { GitCommandError, GitRunner, firstError } from './_git.js';
import { defaultWorkdir, normalizeRepo, ownerRoot, redactUrl } from './_paths.js';
import { acquireLock, type Lock } from './lock.js';

/** The trailer that records when a deploy started; a later-started deploy of an app wins. */
export const STARTED_TRAILER = 'Dokku-Deploy-Started';

/** Default author and committer of commits. */
export const DEFAULT_IDENTITY = 'dokku-gitops <dokku-gitops@localhost>';

/** Options of {@link WorkingClone.open}. */
export interface OpenCloneOptions {
  /** The repository: a URL git understands, or a local path (bare or not). */
  readonly repo: string;
  /**
   * Branch to deliver to.
   *
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * Where the working clone lives.
   *
   * @default - `<home>/work/<slug>`, see {@link defaultWorkdir}
   */
  readonly workdir?: string;
  /**
   * The dokku-gitops home folder.
   *
   * @default - `$DOKKU_GITOPS_HOME`, else `~/.dokku-gitops`
   */
  readonly home?: string;
  /**
   * Author of commits, `Name <email>`.
   *
   * @default 'dokku-gitops <dokku-gitops@localhost>'
   */
  readonly author?: string;
  /**
   * Committer of commits, `Name <email>`.
   *
   * @default - the author
   */
  readonly committer?: string;
  /**
   * How long to wait for another run holding the clone, in milliseconds.
   *
   * @default 600000
   */
  readonly lockTimeoutMs?: number;
  /**
   * Also fetch the review branches `dokku-gitops/*` (pull-request mode).
   *
   * @default false
   */
  readonly reviewBranches?: boolean;
  /**
   * Fail when the remote cannot be reached. When false, an existing clone is used as last fetched
   * and commits are queued (a deploy records its commit even while the remote is down).
   *
   * @default false
   */
  readonly requireRemote?: boolean;
  /**
   * Where progress lines go.
   *
   * @default - nowhere
   */
  readonly log?: (line: string) => void;
}

/** One commit, as read from the log. */
interface CommitInfo {
  readonly sha: string;
  /** Milliseconds since the epoch, from the {@link STARTED_TRAILER} trailer. */
  readonly started?: number;
  readonly paths: string[];
}

/** Outcome of {@link WorkingClone.deliver}. */
export interface DeliverResult {
  /** Commits that reached the remote. */
  readonly pushed: number;
  /** How many times a push was rejected because the remote had moved. */
  readonly retries: number;
}

/** Options of {@link WorkingClone.deliver}. */
export interface DeliverOptions {
  /**
   * How long to keep retrying pushes that are rejected because others pushed first, in ms.
   *
   * @default 120000
   */
  readonly retryTimeoutMs?: number;
}

/**
 * A working clone, opened and locked. Call {@link close} when done (in a `finally`).
 */
export class WorkingClone {
  /**
   * Lock, create or recover, and fetch the working clone of a repository branch.
   *
   * On return the clone is on the branch, its work tree equals HEAD, and HEAD is the remote branch
   * with the queued local commits replayed on top (unless the remote could not be reached and
   * `requireRemote` is false: then {@link online} is false).
   *
   * @throws DokkuGitopsError ('input') when the repository does not exist or the branch is missing
   * @throws DokkuGitopsError ('failure') when the remote is unreachable and there is no clone yet
   *   (or `requireRemote`), or the lock cannot be had
   */
  static async open(options: OpenCloneOptions): Promise<WorkingClone> {
    const branch = options.branch ?? 'main';
    assertBranchName(branch);
    const remote = normalizeRepo(options.repo);
    const workdir = options.workdir !== undefined ? resolve(options.workdir) : defaultWorkdir(remote, branch, options.home);
    mkdirSync(dirname(workdir), { recursive: true });
    const log = options.log ?? (() => {});
    const lock = await acquireLock(`${workdir}.lock`, {
      timeoutMs: options.lockTimeoutMs,
      onWait: (h) => log(`waiting for the working clone '${workdir}', in use by pid ${h.pid} since ${h.since}`),
    });
    try {
      const author = parseIdentity(options.author ?? DEFAULT_IDENTITY, '--author');
      const committer = parseIdentity(options.committer ?? options.author ?? DEFAULT_IDENTITY, '--committer');
      const clone = new WorkingClone(workdir, remote, branch, lock, log, {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
      });
      await clone.init(options.reviewBranches ?? false, options.requireRemote ?? false);
      return clone;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** False when the last fetch could not reach the remote. */
  public online = false;
  /** True when the remote has the branch (false for an empty repository not yet written). */
  public remoteHasBranch = false;
  /** Commits on the local branch that the remote does not have. */
  public ahead = 0;
  /** The last error talking to the remote, for messages. */
  public remoteError?: string;

  private git!: GitRunner;
  /**
   * The same, for commands that may print nothing: with `GIT_TRACE=1` git always writes a line to
   * stderr, which spares simple-git's 50 ms wait after a silent command.
   */
  private loud!: GitRunner;
  private fetchReviewBranches = false;
  /** {@link ahead} of the delivered branch while a review branch is checked out. */
  private aheadOfBranch = 0;
  private unborn = false;

  private constructor(
    /** The working clone's folder (its work tree). */
    public readonly dir: string,
    /** The remote, as git is given it (local paths made absolute). */
    public readonly remote: string,
    /** The delivered branch. */
    public readonly branch: string,
    private readonly lock: Lock,
    private readonly log: (line: string) => void,
    private readonly env: Record<string, string>,
  ) {}

  /** The remote for messages, credentials masked. */
  get remoteName(): string {
    return redactUrl(this.remote);
  }

  /** Release the lock. The clone stays for the next run. */
  close(): void {
    this.lock.release();
  }

  /** The content of a file in the work tree (which equals HEAD between operations). */
  read(path: string): string | undefined {
    try {
      return readFileSync(join(this.dir, path), 'utf8');
    } catch (err) {
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw err;
    }
  }

  /**
   * Mark the work tree as being changed: if the run dies before {@link finishWriting}, the next
   * open resets the work tree to HEAD and removes untracked files.
   */
  startWriting(): void {
    writeFileSync(this.marker, `${process.pid}\n`);
  }

  /** The work tree is consistent with HEAD again. */
  finishWriting(): void {
    rmSync(this.marker, { force: true });
  }

  /**
   * For each owner root, the newest commit on HEAD that touched it and was made by a deploy that
   * started after `started` (a newer deploy, whose state must not be overwritten).
   */
  async newerDeploys(roots: readonly string[], started: number): Promise<Map<string, { sha: string; started: number }>> {
    const found = new Map<string, { sha: string; started: number }>();
    if (this.unborn || roots.length === 0) return found;
    // a deploy that started later committed later: commit dates bound the walk (the margin covers
    // their one-second resolution and clock differences between hosts)
    const since = new Date(started - 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    // one root (a one-app deploy): every commit listed touched it, no need for the changed paths
    const single = roots.length === 1 ? roots[0] : undefined;
    for (const c of await this.commits([`--since=${since}`, 'HEAD'], roots, single === undefined)) {
      if (c.started === undefined || c.started <= started) continue;
      for (const root of single !== undefined ? [single] : c.paths.map(ownerRoot)) {
        if (roots.includes(root) && (found.get(root)?.started ?? 0) < c.started) found.set(root, { sha: c.sha, started: c.started });
      }
    }
    return found;
  }

  /**
   * Stage the given paths (written or deleted files, or whole folders) and commit them.
   *
   * With `tracked` (every path is a file HEAD already has, changed or removed), one git process
   * stages and commits; otherwise `git add` runs first, for the new files.
   *
   * @returns the new commit, or undefined when nothing changed
   */
  async commit(paths: readonly string[], message: string, tracked = false): Promise<string | undefined> {
    if (paths.length === 0) return undefined;
    // a long list would exceed the command-line limit: stage the owner folders instead
    const spec = paths.length > 500 ? [...new Set(paths.map(ownerRoot))] : [...paths];
    // from a file: a message listing many apps would exceed the size limit of one argument
    const file = join(this.dir, '.git', 'DOKKU_GITOPS_MSG');
    writeFileSync(file, message);
    const commit = ['-c', 'core.abbrev=40', 'commit', '--no-verify', '--cleanup=verbatim', '--file', file];
    let out: string;
    if (tracked) {
      // only changed and removed files that git knows: `commit --include` stages them itself
      out = await this.git.run([...commit, '--include', '--', ...spec]);
    } else {
      const added = await this.git.run(['add', '--all', '--verbose', '--', ...spec]);
      if (added.trim() === '') return undefined;
      out = await this.git.run(commit);
    }
    const sha = /^\[[^\]]*?([0-9a-f]{40})\]/m.exec(out)?.[1];
    if (sha === undefined) return undefined;
    this.unborn = false;
    this.ahead += 1;
    return sha;
  }

  /**
   * Push the queued commits, retrying while others push first.
   *
   * A rejected push (the remote moved) means: fetch, replay the queued commits on the new remote
   * branch, push again, with backoff (a random wait below 100 ms, doubling up to 1 s) for up to
   * `retryTimeoutMs`. An unreachable remote is tried three times (0.2 s and 0.8 s apart).
   *
   * @throws DokkuGitopsError ('failure') naming the remote when the commits could not be delivered;
   *   they stay queued in the clone
   */
  async deliver(options: DeliverOptions = {}): Promise<DeliverResult> {
    const deadline = Date.now() + (options.retryTimeoutMs ?? 120_000);
    let retries = 0;
    let unreachable = 0;
    for (;;) {
      if (this.ahead === 0) return { pushed: 0, retries };
      if (!this.online) {
        // the clone was opened offline: try to reach the remote before pushing
        await this.fetchAndSync();
        if (!this.online) {
          unreachable += 1;
          if (unreachable >= 3) throw this.undelivered(`cannot reach the remote: ${this.remoteError}`);
          await sleep(unreachable === 1 ? 200 : 800);
          continue;
        }
        if (this.ahead === 0) return { pushed: 0, retries };
      }
      const pushed = this.ahead;
      const result = await this.git.attempt(['push', '--porcelain', 'origin', `refs/heads/${this.branch}:refs/heads/${this.branch}`]);
      if (result.ok) {
        this.ahead = 0;
        this.remoteHasBranch = true;
        return { pushed, retries };
      }
      const out = result.error.output;
      if (isContention(out)) {
        retries += 1;
        if (Date.now() >= deadline) throw this.undelivered(`the push was rejected ${retries} times because others pushed first`);
        await sleep(Math.random() * Math.min(1000, 50 * 2 ** Math.min(retries, 5)));
        await this.fetchAndSync();
        continue;
      }
      if (/\[remote rejected\]|\[rejected\]/.test(out)) throw this.undelivered(`the remote refused the push: ${rejectionReason(out)}`);
      this.online = false;
      this.remoteError = firstError(out);
      unreachable += 1;
      if (unreachable >= 3) throw this.undelivered(`cannot reach the remote: ${this.remoteError}`);
      await sleep(unreachable === 1 ? 200 : 800);
    }
  }

  /**
   * Check out a review branch at the current branch's HEAD, for pull-request mode. The caller
   * writes and commits, then calls {@link pushReview} and {@link leaveReview}.
   */
  async enterReview(review: string): Promise<void> {
    assertBranchName(review);
    this.startWriting();
    this.aheadOfBranch = this.ahead;
    await this.git.run(['checkout', '-B', review]);
  }

  /**
   * Push the checked-out review branch with a lease on what the remote had when fetched.
   *
   * @returns 'pushed', or 'up-to-date' when the remote branch already has the same tree
   * @throws DokkuGitopsError ('failure') naming the remote when it cannot be pushed
   */
  async pushReview(review: string): Promise<'pushed' | 'up-to-date'> {
    // the local review branch exists (it is checked out), so this always prints
    const refs = new Map(
      (await this.git.run(['for-each-ref', '--format=%(refname) %(objectname) %(tree)', `refs/heads/${review}`, `refs/remotes/origin/${review}`]))
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [ref = '', sha = '', tree = ''] = l.split(' ');
          return [ref, { sha, tree }] as const;
        }),
    );
    const local = refs.get(`refs/heads/${review}`);
    const remote = refs.get(`refs/remotes/origin/${review}`);
    if (remote !== undefined && local?.tree === remote.tree) return 'up-to-date';
    const expected = remote?.sha ?? '';
    const result = await this.git.attempt([
      'push',
      '--porcelain',
      `--force-with-lease=refs/heads/${review}:${expected}`,
      'origin',
      `HEAD:refs/heads/${review}`,
    ]);
    if (!result.ok) {
      const out = result.error.output;
      const why = /\[(remote )?rejected\]/.test(out) ? rejectionReason(out) : firstError(out);
      throw new DokkuGitopsError(`push of the review branch '${review}' to '${this.remoteName}' failed: ${why}`, 'failure');
    }
    return 'pushed';
  }

  /** Go back to the delivered branch after {@link enterReview}, discarding the review checkout. */
  async leaveReview(): Promise<void> {
    await this.git.run(['checkout', '--force', this.branch]);
    this.finishWriting();
    // the review commit is not on the delivered branch
    this.ahead = this.aheadOfBranch;
  }

  private get marker(): string {
    return join(this.dir, '.git', 'dokku-gitops-writing');
  }

  private async init(reviewBranches: boolean, requireRemote: boolean): Promise<void> {
    this.fetchReviewBranches = reviewBranches;
    if (!existsSync(join(this.dir, '.git'))) {
      await this.cloneFresh();
      this.git = new GitRunner(this.dir, this.env);
      this.loud = new GitRunner(this.dir, { ...this.env, GIT_TRACE: '1' });
    } else {
      this.git = new GitRunner(this.dir, this.env);
      this.loud = new GitRunner(this.dir, { ...this.env, GIT_TRACE: '1' });
      await this.checkOrigin();
      await this.recover();
    }
    await this.fetchAndSync();
    if (!this.online && requireRemote) {
      throw new DokkuGitopsError(`cannot reach the remote '${this.remoteName}': ${this.remoteError}`, 'failure');
    }
    if (!this.online) this.log(`warning: cannot reach '${this.remoteName}' (${this.remoteError}); working from the last fetched state`);
  }

  /** Clone into a temporary folder and rename it into place, so a killed clone leaves no half clone. */
  private async cloneFresh(): Promise<void> {
    const parent = dirname(this.dir);
    for (const name of readdirSync(parent)) {
      // temporaries of clones that were killed
      if (name.startsWith(`${basename(this.dir)}.cloning-`)) rmSync(join(parent, name), { recursive: true, force: true });
    }
    const tmp = `${this.dir}.cloning-${process.pid}`;
    const git = new GitRunner(parent);
    const result = await git.attempt([
      'clone',
      '--no-checkout',
      '--no-tags',
      '--origin',
      'origin',
      '-c',
      `branch.${this.branch}.remote=origin`,
      '-c',
      `branch.${this.branch}.merge=refs/heads/${this.branch}`,
      '-c',
      'core.quotepath=false',
      '--end-of-options',
      this.remote,
      tmp,
    ]);
    if (!result.ok) {
      rmSync(tmp, { recursive: true, force: true });
      throw this.remoteFailure(result.error);
    }
    const inTmp = new GitRunner(tmp);
    const branches = (await inTmp.run(['for-each-ref', '--format=%(refname:strip=3)', 'refs/remotes/origin/']))
      .split('\n')
      .filter((b) => b !== '' && b !== 'HEAD');
    if (branches.includes(this.branch)) {
      await inTmp.run(['checkout', '--force', '-B', this.branch, `refs/remotes/origin/${this.branch}`]);
    } else if (branches.length === 0) {
      // an empty repository: the first deploy creates the branch
      await inTmp.run(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
    } else {
      rmSync(tmp, { recursive: true, force: true });
      throw missingBranch(this.branch, this.remoteName, branches);
    }
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
    renameSync(tmp, this.dir);
  }

  private async checkOrigin(): Promise<void> {
    // read .git/config directly (one git process less per run); ask git when it does not match,
    // as git may have quoted the value
    const config = readFileSync(join(this.dir, '.git', 'config'), 'utf8');
    const section = /^\[remote "origin"\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(config)?.[1] ?? '';
    let url = /^\s*url\s*=\s*(.*?)\s*$/m.exec(section)?.[1] ?? '';
    if (url !== this.remote) {
      const asked = await this.git.attempt(['config', '--get', 'remote.origin.url']);
      url = asked.ok ? asked.output.trim() : '';
    }
    if (url !== this.remote) {
      throw new DokkuGitopsError(
        `'--workdir' '${this.dir}' is a working clone of '${redactUrl(url)}', not of '${this.remoteName}': give another '--workdir'`,
        'input',
      );
    }
  }

  /** Undo what a killed run left behind, keeping queued commits. */
  private async recover(): Promise<void> {
    const gitDir = join(this.dir, '.git');
    await removeStaleLocks(gitDir);
    if (existsSync(join(gitDir, 'rebase-merge')) || existsSync(join(gitDir, 'rebase-apply'))) {
      this.log('recovering the working clone: aborting an interrupted rebase');
      const r = await this.git.attempt(['rebase', '--abort']);
      if (!r.ok) {
        rmSync(join(gitDir, 'rebase-merge'), { recursive: true, force: true });
        rmSync(join(gitDir, 'rebase-apply'), { recursive: true, force: true });
      }
    }
    // every change of the work tree or of the checked-out branch happens between startWriting()
    // and finishWriting(): without the marker, the clone is as the last run left it
    const writing = existsSync(this.marker);
    if (!writing) return;
    const status = parseStatus(await this.git.run(['status', '--porcelain', '--branch', '--untracked-files=no']));
    if (status.branch !== this.branch) {
      this.log(`recovering the working clone: back to branch '${this.branch}' from ${status.branch ?? 'a detached HEAD'}`);
      if (status.unborn) await this.loud.run(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
      else await this.git.run(['checkout', '--force', this.branch]);
    }
    {
      this.log('recovering the working clone: resetting files a previous run left half-written');
      const now = parseStatus(await this.git.run(['status', '--porcelain', '--branch', '--untracked-files=no']));
      if (now.unborn) await this.loud.run(['rm', '-r', '--cached', '--quiet', '--ignore-unmatch', '--', '.']);
      else await this.git.run(['reset', '--hard', 'HEAD']);
      await this.loud.run(['clean', '-d', '--force', '--quiet']);
      this.finishWriting();
    }
  }

  /** Fetch the branch, then replay queued commits on it. Sets {@link online}. */
  private async fetchAndSync(attempts = 3): Promise<void> {
    const refspecs = [`+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`];
    if (this.fetchReviewBranches) refspecs.push('+refs/heads/dokku-gitops/*:refs/remotes/origin/dokku-gitops/*');
    const fetched = await this.git.attempt(['fetch', '--verbose', '--no-tags', '--prune', 'origin', ...refspecs]);
    if (fetched.ok) {
      this.online = true;
      this.remoteHasBranch = true;
    } else if (/couldn't find remote ref/i.test(fetched.error.output)) {
      const heads = await this.git.attempt(['ls-remote', '--heads', 'origin']);
      if (!heads.ok) return this.offline(heads.error);
      const branches = heads.output.split('\n').map((l) => l.split('\trefs/heads/')[1]).filter((b): b is string => !!b);
      // someone created the branch between the fetch and the listing (a first deploy): fetch again
      if (branches.includes(this.branch) && attempts > 1) return this.fetchAndSync(attempts - 1);
      if (branches.length > 0) throw missingBranch(this.branch, this.remoteName, branches);
      this.online = true;
      this.remoteHasBranch = false;
    } else {
      return this.offline(fetched.error);
    }
    await this.sync();
  }

  /** The remote could not be reached: work from the last fetched state, counting what is queued. */
  private async offline(err: GitCommandError): Promise<void> {
    this.online = false;
    this.remoteError = firstError(err.output);
    await this.readStatus(true);
  }

  /**
   * Read the branch's state: unborn or not, and how many commits are queued (ahead of the
   * remote-tracking branch, or all of them when the remote does not have the branch).
   */
  private async readStatus(remoteMayHaveBranch: boolean): Promise<{ unborn: boolean; ahead: number; behind: number }> {
    // rev-list prints in every case (no simple-git silent wait) and needs no upstream configuration
    if (remoteMayHaveBranch) {
      const counted = await this.git.attempt(['rev-list', '--left-right', '--count', `HEAD...refs/remotes/origin/${this.branch}`]);
      if (counted.ok) {
        const [ahead = 0, behind = 0] = counted.output.trim().split(/\s+/).map(Number);
        this.unborn = false;
        this.ahead = ahead;
        return { unborn: false, ahead, behind };
      }
    }
    // no remote-tracking branch: every local commit is queued; no commit at all: an unborn branch
    const all = await this.git.attempt(['rev-list', '--count', 'HEAD']);
    this.unborn = !all.ok;
    this.ahead = all.ok ? Number(all.output.trim()) : 0;
    return { unborn: this.unborn, ahead: this.ahead, behind: 0 };
  }

  /**
   * Bring the local branch onto the remote branch, replaying queued commits.
   *
   * Queued commits are replayed per owner folder: when the remote's new commits touch none of the
   * folders the queued commits own, a plain `git rebase` is exact (nothing can conflict). Otherwise
   * each queued commit's owner folders are copied whole onto the new remote branch, except where
   * the remote holds a deploy that started later (the newer state wins), and commits that end up
   * changing nothing are dropped. The branch is moved only once the replay is complete.
   */
  private async sync(): Promise<void> {
    const status = await this.readStatus(this.remoteHasBranch);
    if (!this.remoteHasBranch) return;
    const tracking = `refs/remotes/origin/${this.branch}`;
    if (status.unborn) {
      this.startWriting();
      await this.git.run(['checkout', '--force', '-B', this.branch, tracking]);
      this.finishWriting();
      this.unborn = false;
      this.ahead = 0;
      return;
    }
    if (status.behind === 0) return;
    if (status.ahead === 0) {
      this.startWriting();
      await this.git.run(['reset', '--hard', tracking]);
      this.finishWriting();
      return;
    }
    const queued = await this.commits(['--reverse', `${tracking}..HEAD`]);
    const upstream = await this.commits([`HEAD..${tracking}`]);
    const newest = new Map<string, number>();
    for (const c of upstream) for (const p of c.paths) newest.set(ownerRoot(p), Math.max(newest.get(ownerRoot(p)) ?? 0, c.started ?? 0));
    const overlap = queued.some((q) => q.paths.some((p) => newest.has(ownerRoot(p))));
    this.startWriting();
    if (!overlap) {
      const rebased = await this.git.attempt(['rebase', '--no-autosquash', '--no-autostash', tracking]);
      if (rebased.ok) {
        this.finishWriting();
        this.ahead = queued.length;
        return;
      }
      // cannot happen for disjoint folders; fall back to the folder replay all the same
      await this.git.attempt(['rebase', '--abort']);
    }
    await this.git.run(['checkout', '--force', '--detach', tracking]);
    let kept = 0;
    for (const q of queued) {
      const roots = [...new Set(q.paths.map(ownerRoot))].filter((r) => {
        const theirs = newest.get(r);
        const superseded = theirs !== undefined && q.started !== undefined && theirs > q.started;
        if (superseded) this.log(`'${r}': the remote already holds a newer deploy; dropping the queued change ${q.sha.slice(0, 12)}`);
        return !superseded;
      });
      if (roots.length === 0) continue;
      // copy the owner folders of q over whole: remove them, then check out q's version of those it has
      await this.loud.run(['rm', '-r', '--ignore-unmatch', '--', ...roots]);
      const present = (await this.loud.run(['ls-tree', '--name-only', q.sha, '--', ...roots])).split('\n').filter(Boolean);
      if (present.length > 0) await this.loud.run(['checkout', q.sha, '--', ...present]);
      const out = await this.git.run(['-c', 'core.abbrev=40', 'commit', '--no-verify', '--reuse-message', q.sha]);
      if (/^\[/m.test(out)) kept += 1;
    }
    await this.git.run(['checkout', '-B', this.branch]);
    this.finishWriting();
    this.ahead = kept;
  }

  /** Commits of a range with the paths they change (first-parent diff for merges) and their start trailer. */
  private async commits(range: readonly string[], paths: readonly string[] = [], names = true): Promise<CommitInfo[]> {
    // usually an empty list: run it loud
    const out = await this.loud.run([
      'log',
      '--no-renames',
      '--diff-merges=first-parent',
      ...(names ? ['--name-only'] : []),
      `--format=%x1e%H%x1f%(trailers:key=${STARTED_TRAILER},valueonly,separator=%x2C)`,
      ...range,
      '--',
      ...paths,
    ]);
    return out
      .split('\x1e')
      .filter((chunk) => chunk.trim() !== '')
      .map((chunk) => {
        const [head = '', ...rest] = chunk.split('\n');
        const [sha = '', started = ''] = head.split('\x1f');
        const ms = Date.parse(started.split(',')[0]?.trim() ?? '');
        return { sha, started: Number.isNaN(ms) ? undefined : ms, paths: rest.map((l) => l.trim()).filter(Boolean) };
      });
  }

  /** A repository that does not exist is bad input; anything else is an unreachable remote. */
  private remoteFailure(err: GitCommandError): DokkuGitopsError {
    const out = err.output;
    if (/does not appear to be a git repository|repository '.*' not found|Repository not found|not found|No such file or directory|does not exist/i.test(out)) {
      return new DokkuGitopsError(`'--repo' '${this.remoteName}' does not exist or is not a git repository`, 'input');
    }
    return new DokkuGitopsError(`cannot reach the remote '${this.remoteName}': ${firstError(out)}`, 'failure');
  }

  private undelivered(why: string): DokkuGitopsError {
    const n = this.ahead;
    return new DokkuGitopsError(
      `could not push to '${this.remoteName}' (branch '${this.branch}'): ${why}; ` +
        `${n} commit${n === 1 ? ' is' : 's are'} queued in '${this.dir}' and will be delivered by the next 'dokku-gitops deploy' or 'dokku-gitops push'`,
      'failure',
    );
  }
}

/** `git status --porcelain --branch` parsed. */
interface Status {
  readonly branch?: string;
  readonly unborn: boolean;
  readonly ahead: number;
  readonly behind: number;
  readonly dirty: boolean;
}

function parseStatus(out: string): Status {
  const [first = '', ...rest] = out.split('\n');
  const dirty = rest.some((l) => l.trim() !== '');
  let m = /^## (?:No commits yet|Initial commit) on (.+?)(?:\.\.\.\S+)?(?: \[.*\])?$/.exec(first);
  if (m) return { branch: m[1], unborn: true, ahead: 0, behind: 0, dirty };
  if (/^## HEAD \(no branch\)/.test(first)) return { unborn: false, ahead: 0, behind: 0, dirty };
  m = /^## (.+?)(?:\.\.\.(\S+))?(?: \[(.*)\])?$/.exec(first);
  const info = m?.[3] ?? '';
  return {
    branch: m?.[1],
    unborn: false,
    ahead: Number(/ahead (\d+)/.exec(info)?.[1] ?? 0),
    behind: Number(/behind (\d+)/.exec(info)?.[1] ?? 0),
    dirty,
  };
}

/** A push rejected because the remote moved (someone else pushed first). */
function isContention(out: string): boolean {
  return /\[rejected\].*\((fetch first|non-fast-forward|stale info)\)/.test(out) || /\[remote rejected\].*(cannot lock ref|incorrect old value|failed to update ref|expected)/.test(out);
}

function rejectionReason(out: string): string {
  const line = out.split('\n').find((l) => /\[(remote )?rejected\]/.test(l)) ?? firstError(out);
  return /\((.*)\)\s*$/.exec(line)?.[1] ?? line.trim();
}

function missingBranch(branch: string, remote: string, branches: string[]): DokkuGitopsError {
  return new DokkuGitopsError(
    `'--branch' '${branch}' does not exist in '${remote}' (branches: ${[...branches].sort().join(', ')})`,
    'input',
  );
}

/** Branch names become refspecs and arguments: refuse anything git would not accept or could misread. */
function assertBranchName(branch: string): void {
  if (
    !/^[A-Za-z0-9._/-]+$/.test(branch) ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.endsWith('.')
  ) {
    throw new DokkuGitopsError(`'--branch' '${branch}' is not a valid branch name`, 'input');
  }
}

/** `Name <email>` parsed. */
export function parseIdentity(value: string, flag: string): { name: string; email: string } {
  const m = /^\s*([^<>]*?)\s*<([^<>\s]+)>\s*$/.exec(value);
  if (!m || m[1] === '') throw new DokkuGitopsError(`'${flag}' must look like 'Name <email>', got '${value}'`, 'input');
  return { name: m[1]!, email: m[2]! };
}

/**
 * Remove lock files that killed git processes left in `.git` (index, HEAD, refs, config, ...).
 * We hold the clone's lock, so the only other git process can be an orphan of a killed run:
 * give it a moment to finish before taking its lock away.
 */
async function removeStaleLocks(gitDir: string): Promise<void> {
  const locks: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.lock')) locks.push(p);
    }
  };
  for (const name of readdirSync(gitDir)) if (name.endsWith('.lock')) locks.push(join(gitDir, name));
  walk(join(gitDir, 'refs'));
  if (locks.length === 0) return;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && locks.some((l) => existsSync(l) && Date.now() - mtime(l) < 3000)) await sleep(50);
  for (const l of locks) {
    try {
      unlinkSync(l);
    } catch {
      // finished meanwhile
    }
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

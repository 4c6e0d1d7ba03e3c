/**
 * Repository paths: validation that nothing escapes the repository root, the "owner" folder of a
 * path (what a deploy replaces whole), remote URL handling and the default working directory.
 */
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { DokkuGitopsError } from '../errors.js';

/** Dokku's app-name rule (a DNS-1123 label): what may follow `apps/`. */
const APP_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Refuse an app name that is not a DNS-1123 label, so that `apps/<app>/` can never name a folder
 * outside `apps/` (`..`, `a/b`, an absolute path).
 *
 * @throws DokkuGitopsError ('input')
 */
export function assertAppName(app: string): void {
  if (!APP_NAME.test(app)) {
    throw new DokkuGitopsError(
      `app name '${app}' would escape 'apps/' or is not a valid app name: use lowercase letters, digits and '-', ` +
        'starting and ending with a letter or digit, at most 63 characters',
      'input',
    );
  }
}

/**
 * Check a repository-relative path and return its absolute location.
 *
 * Refused: absolute paths, `..`/`.`/empty segments, backslashes, any `.git` segment, and paths
 * below an existing symlink (which could point anywhere). Lexical checks come first, so a bad
 * path is refused before the file system is touched.
 *
 * @throws DokkuGitopsError ('input') naming the path
 */
export function resolveInside(root: string, rel: string): string {
  const bad = (why: string): never => {
    throw new DokkuGitopsError(`output path '${rel}' ${why}; every path must stay inside the repository root`, 'input');
  };
  const problem = pathProblem(rel);
  if (problem !== undefined) bad(problem);
  const segments = rel.split('/');
  const abs = resolve(root, rel);
  // walk the existing ancestors: a symlinked folder (committed by anyone) would redirect writes
  let cur = root;
  for (const s of segments.slice(0, -1)) {
    cur = join(cur, s);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      break;
    }
    if (st.isSymbolicLink()) bad(`goes through the symlink '${posix.join(...segments.slice(0, segments.indexOf(s) + 1))}'`);
  }
  return abs;
}

/**
 * What is wrong with a repository-relative path, lexically (see {@link resolveInside}), or
 * undefined when nothing is.
 */
export function pathProblem(rel: string): string | undefined {
  if (rel === '' || isAbsolute(rel) || rel.includes('\\') || rel.includes('\0')) return 'is not a relative path';
  const segments = rel.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'escapes the repository root';
  if (segments.some((s) => s.toLowerCase() === '.git')) return "points into '.git'";
  return undefined;
}

/**
 * The folder (or single file) that owns a repository path, i.e. the unit a deploy replaces whole
 * and a replayed commit carries over whole: `apps/<app>`, `platform/dokku`, else the file itself.
 */
export function ownerRoot(path: string): string {
  const s = path.split('/');
  if (s[0] === 'apps' && s.length > 2) return `apps/${s[1]}`;
  if (s[0] === 'platform' && s[1] === 'dokku' && s.length > 2) return 'platform/dokku';
  return path;
}

/** True for a git URL (`scheme://...` or scp-like `user@host:path`), false for a local path. */
export function isRemoteUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s]+@[^/\s:]+:/.test(repo);
}

/** The `--repo` value git is given: URLs as they are, local paths made absolute. */
export function normalizeRepo(repo: string): string {
  if (isRemoteUrl(repo)) return repo;
  return resolve(repo);
}

/** A remote URL fit for messages: the password or token part of the user info is masked. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]+)@/i, (_m, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0];
    // https://TOKEN@host: a lone user name on http(s) is how tokens are usually passed
    const masked = userinfo.includes(':') ? `${user}:***` : /^https?:/i.test(scheme) ? '***' : user;
    return `${scheme}${masked}@`;
  });
}

/** `$DOKKU_GITOPS_HOME`, else `~/.dokku-gitops`. */
export function gitopsHome(home?: string): string {
  return home ?? process.env.DOKKU_GITOPS_HOME ?? join(homedir(), '.dokku-gitops');
}

/**
 * The default working clone of a repository and branch: `<home>/work/<slug>`, where the slug is a
 * readable tail of the URL and branch plus a hash of both (so two repos never share a clone).
 */
export function defaultWorkdir(repo: string, branch: string, home?: string): string {
  const url = normalizeRepo(repo);
  const readable = `${url.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(-40)}-${branch.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
  const hash = createHash('sha256').update(`${url}\0${branch}`).digest('hex').slice(0, 10);
  return join(gitopsHome(home), 'work', `${readable.replace(/^[.-]+/, '')}-${hash}`);
}

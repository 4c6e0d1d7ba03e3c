/**
 * Opens or updates the pull request (merge request on GitLab) of a review branch through a
 * forge's REST API: GitHub (v3), GitLab (v4) and Gitea/Forgejo (api/v1).
 *
 * Uses Node's global `fetch`; the token is read from the environment variable the config
 * names, and never appears in an error message.
 */
import { DokkuGitopsError } from '../errors.js';

/** Where and how to open pull requests. */
export interface ForgeConfig {
  /** The forge's API flavour; Forgejo speaks Gitea's API. */
  kind: 'github' | 'gitlab' | 'gitea';
  /**
   * Base URL of the REST API, such as `https://api.github.com`, `https://gitlab.com/api/v4`,
   * `https://codeberg.org/api/v1`, or `https://github.example.com/api/v3` for GitHub Enterprise.
   */
  apiUrl: string;
  /** `owner/name` (GitHub, Gitea) or the project path `group/subgroup/project` (GitLab). */
  repo: string;
  /** Name of the environment variable that holds the API token. */
  tokenEnv: string;
}

/** The pull request to open or update. */
export interface PullRequestInput {
  /** The review branch, such as `dokku-gitops/node-js-app` (in the same repository). */
  head: string;
  /** The branch the agent applies, such as `main`. */
  base: string;
  /** Title: the commit subject. */
  title: string;
  /** Markdown body, from `reviewBody`. */
  body: string;
}

/** The pull request after the call. */
export interface PullRequestResult {
  /** Web URL of the pull request, for people. */
  url: string;
  /** Its number (GitLab: the project-scoped `iid`). */
  number: number;
  /** True when this call opened it, false when it updated an open one. */
  created: boolean;
}

/** Options of {@link openOrUpdatePullRequest}. */
export interface OpenOrUpdatePullRequestOptions {
  /**
   * Environment to read the token from.
   *
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Time limit of each API request, in milliseconds.
   *
   * @default 30000
   */
  readonly timeoutMs?: number;
}

const LABELS: Record<ForgeConfig['kind'], string> = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' };

/**
 * Opens a pull request from `pr.head` to `pr.base`, or updates the title, body and base of
 * the one already open from `pr.head`.
 *
 * - GitHub: `GET /repos/{o}/{r}/pulls?state=open&head={o}:{head}`, then
 *   `PATCH /repos/{o}/{r}/pulls/{n}` or `POST /repos/{o}/{r}/pulls`
 *   (`Authorization: Bearer <token>`).
 * - GitLab: `GET /projects/{path}/merge_requests?state=opened&source_branch={head}`, then
 *   `PUT /projects/{path}/merge_requests/{iid}` or `POST /projects/{path}/merge_requests`
 *   (`PRIVATE-TOKEN: <token>`; the path is URL-encoded).
 * - Gitea/Forgejo: `GET /repos/{o}/{r}/pulls?state=open` (paged), then
 *   `PATCH /repos/{o}/{r}/pulls/{n}` or `POST /repos/{o}/{r}/pulls` (`Authorization: token <token>`).
 *
 * When two deploys race to open the same pull request, the loser's create is refused (409
 * or 422); it then finds the winner's and updates it.
 *
 * @throws DokkuGitopsError ('input') for a bad config or a token variable that is not set,
 *   ('failure') for an API that answers with an error or cannot be reached
 */
export async function openOrUpdatePullRequest(f: ForgeConfig, pr: PullRequestInput, options: OpenOrUpdatePullRequestOptions = {}): Promise<PullRequestResult> {
  validateConfig(f);
  for (const field of ['head', 'base', 'title'] as const) {
    if (typeof pr[field] !== 'string' || pr[field].trim() === '') {
      throw new DokkuGitopsError(`pull request '${field}' must not be empty; received '${String(pr[field])}'`, 'input');
    }
  }
  const env = options.env ?? process.env;
  const token = env[f.tokenEnv];
  if (token === undefined || token === '') {
    throw new DokkuGitopsError(
      `forge token environment variable '${f.tokenEnv}' is not set; set it to a ${LABELS[f.kind]} token that can open pull requests on '${f.repo}'`,
      'input',
    );
  }
  const api = new Api(f, token, options.timeoutMs ?? 30_000);
  const forge = FORGES[f.kind];

  const existing = await forge.find(api, f.repo, pr);
  if (existing !== undefined) return { ...(await forge.update(api, f.repo, existing, pr)), created: false };
  try {
    return { ...(await forge.create(api, f.repo, pr)), created: true };
  } catch (error) {
    if (!(error instanceof ApiError) || (error.status !== 409 && error.status !== 422)) throw error;
    const raced = await forge.find(api, f.repo, pr);
    if (raced === undefined) throw error;
    return { ...(await forge.update(api, f.repo, raced, pr)), created: false };
  }
}

function validateConfig(f: ForgeConfig): void {
  if (!Object.hasOwn(LABELS, f.kind)) {
    throw new DokkuGitopsError(`forge 'kind' must be one of github, gitlab, gitea; received '${String(f.kind)}'`, 'input');
  }
  let url: URL | undefined;
  try {
    url = new URL(f.apiUrl);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new DokkuGitopsError(`forge 'apiUrl' must be an http or https URL, such as 'https://api.github.com'; received '${f.apiUrl}'`, 'input');
  }
  const repoPattern = f.kind === 'gitlab' ? /^(\d+|[^/\s]+(\/[^/\s]+)+)$/ : /^[^/\s]+\/[^/\s]+$/;
  if (typeof f.repo !== 'string' || !repoPattern.test(f.repo)) {
    const expected = f.kind === 'gitlab' ? "a project path such as 'group/project'" : "'owner/name'";
    throw new DokkuGitopsError(`forge 'repo' must be ${expected}; received '${f.repo}'`, 'input');
  }
  if (typeof f.tokenEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.tokenEnv)) {
    throw new DokkuGitopsError(`forge 'tokenEnv' must be an environment variable name, such as 'GITHUB_TOKEN'; received '${f.tokenEnv}'`, 'input');
  }
}

/** An error answer from the API, kept apart so that a refused create can be retried. */
class ApiError extends DokkuGitopsError {
  public readonly status: number;

  constructor(message: string, status: number) {
    super(message, 'failure');
    this.name = 'ApiError';
    this.status = status;
  }
}

class Api {
  private readonly base: string;

  constructor(
    private readonly forge: ForgeConfig,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    this.base = forge.apiUrl.replace(/\/+$/, '');
  }

  async call(method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: Record<string, unknown>): Promise<unknown> {
    const url = `${this.base}${path}`;
    const label = LABELS[this.forge.kind];
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'dokku-gitops' };
    if (this.forge.kind === 'github') {
      headers.Accept = 'application/vnd.github+json';
      headers.Authorization = `Bearer ${this.token}`;
      headers['X-GitHub-Api-Version'] = '2022-11-28';
    } else if (this.forge.kind === 'gitlab') {
      headers['PRIVATE-TOKEN'] = this.token;
    } else {
      headers.Authorization = `token ${this.token}`;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // a redirect to another host must not receive the token: report it instead
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new DokkuGitopsError(`cannot reach the ${label} API at '${url}': ${reason(error, this.timeoutMs)}`, 'failure', { cause: error });
    }
    if (!response.ok) {
      const location = response.headers.get('location');
      const detail = location === null ? errorDetail(text) : `moved to '${location}'; update the forge 'apiUrl' or 'repo'`;
      const status = `${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`;
      throw new ApiError(`request to the ${label} API failed: ${method} ${url} returned ${status}${detail === '' ? '' : `: ${detail}`}`, response.status);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new DokkuGitopsError(`request to the ${label} API failed: ${method} ${url} returned a response that is not JSON: '${text.slice(0, 200)}'`, 'failure');
    }
  }

  /** A field of an API answer, checked, so that a surprising answer fails with a clear message. */
  field<T extends 'string' | 'number'>(value: unknown, name: string, type: T, method: string, path: string): T extends 'string' ? string : number {
    const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    if (typeof record[name] !== type) {
      throw new DokkuGitopsError(`request to the ${LABELS[this.forge.kind]} API failed: ${method} ${this.base}${path} returned no '${name}' ${type}`, 'failure');
    }
    return record[name] as T extends 'string' ? string : number;
  }
}

function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000}s`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The human part of a forge's error answer: GitHub/Gitea `message` (+ `errors`), GitLab `message`/`error`. */
function errorDetail(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.trim().slice(0, 300);
  }
  if (parsed === null || typeof parsed !== 'object') return String(parsed);
  const record = parsed as Record<string, unknown>;
  const parts: string[] = [];
  const message = record.message ?? record.error;
  if (typeof message === 'string') parts.push(message);
  else if (Array.isArray(message)) parts.push(message.map(String).join('; '));
  else if (message !== undefined && message !== null && typeof message === 'object') {
    // GitLab reports validation errors as {field: [messages]}
    parts.push(Object.entries(message as Record<string, unknown>).map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(', ') : String(value)}`).join('; '));
  }
  if (Array.isArray(record.errors) && record.errors.length > 0) {
    const details = record.errors.map((e) => {
      if (typeof e === 'string') return e;
      const item = (e ?? {}) as Record<string, unknown>;
      if (typeof item.message === 'string') return item.message;
      return [item.resource, item.field, item.code].filter((v) => typeof v === 'string').join(' ');
    });
    parts.push(`(${details.join('; ')})`);
  }
  return parts.join(' ');
}

interface Found {
  readonly number: number;
}

interface Forge {
  find(api: Api, repo: string, pr: PullRequestInput): Promise<Found | undefined>;
  create(api: Api, repo: string, pr: PullRequestInput): Promise<{ url: string; number: number }>;
  update(api: Api, repo: string, found: Found, pr: PullRequestInput): Promise<{ url: string; number: number }>;
}

function ownerRepo(repo: string): { owner: string; name: string; path: string } {
  const [owner, name] = repo.split('/') as [string, string];
  return { owner, name, path: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}` };
}

const github: Forge = {
  async find(api, repo, pr) {
    const { owner, path } = ownerRepo(repo);
    const query = new URLSearchParams({ state: 'open', head: `${owner}:${pr.head}` });
    const list = await api.call('GET', `${path}/pulls?${query}`);
    if (!Array.isArray(list) || list.length === 0) return undefined;
    return { number: api.field(list[0], 'number', 'number', 'GET', `${path}/pulls?${query}`) };
  },
  async create(api, repo, pr) {
    const path = `${ownerRepo(repo).path}/pulls`;
    const created = await api.call('POST', path, { title: pr.title, head: pr.head, base: pr.base, body: pr.body });
    return { url: api.field(created, 'html_url', 'string', 'POST', path), number: api.field(created, 'number', 'number', 'POST', path) };
  },
  async update(api, repo, found, pr) {
    const path = `${ownerRepo(repo).path}/pulls/${found.number}`;
    const updated = await api.call('PATCH', path, { title: pr.title, body: pr.body, base: pr.base });
    return { url: api.field(updated, 'html_url', 'string', 'PATCH', path), number: found.number };
  },
};

const gitlab: Forge = {
  async find(api, repo, pr) {
    const query = new URLSearchParams({ state: 'opened', source_branch: pr.head });
    const path = `/projects/${encodeURIComponent(repo)}/merge_requests?${query}`;
    const list = await api.call('GET', path);
    if (!Array.isArray(list) || list.length === 0) return undefined;
    return { number: api.field(list[0], 'iid', 'number', 'GET', path) };
  },
  async create(api, repo, pr) {
    const path = `/projects/${encodeURIComponent(repo)}/merge_requests`;
    const created = await api.call('POST', path, { source_branch: pr.head, target_branch: pr.base, title: pr.title, description: pr.body });
    return { url: api.field(created, 'web_url', 'string', 'POST', path), number: api.field(created, 'iid', 'number', 'POST', path) };
  },
  async update(api, repo, found, pr) {
    const path = `/projects/${encodeURIComponent(repo)}/merge_requests/${found.number}`;
    const updated = await api.call('PUT', path, { title: pr.title, description: pr.body, target_branch: pr.base });
    return { url: api.field(updated, 'web_url', 'string', 'PUT', path), number: found.number };
  },
};

/** Gitea lists at most 50 pull requests per page; this many pages is 2500 open ones. */
const GITEA_MAX_PAGES = 50;

const gitea: Forge = {
  async find(api, repo, pr) {
    const { path } = ownerRepo(repo);
    for (let page = 1; page <= GITEA_MAX_PAGES; page++) {
      const query = new URLSearchParams({ state: 'open', limit: '50', page: String(page) });
      const list = await api.call('GET', `${path}/pulls?${query}`);
      if (!Array.isArray(list)) return undefined;
      for (const item of list) {
        const head = (item as { head?: { ref?: unknown; repo?: { full_name?: unknown } | null } } | null)?.head;
        // only a pull request from this repository's branch, not from a fork's branch of the same name
        const fullName = head?.repo?.full_name;
        if (head?.ref === pr.head && (typeof fullName !== 'string' || fullName.toLowerCase() === repo.toLowerCase())) {
          return { number: api.field(item, 'number', 'number', 'GET', `${path}/pulls?${query}`) };
        }
      }
      if (list.length < 50) return undefined;
    }
    return undefined;
  },
  // Gitea creates and edits pull requests with GitHub's requests and fields
  create: github.create,
  update: github.update,
};

const FORGES: Record<ForgeConfig['kind'], Forge> = { github, gitlab, gitea };

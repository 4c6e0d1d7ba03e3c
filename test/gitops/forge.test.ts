import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { DokkuGitopsError } from '../../src/errors.js';
import { openOrUpdatePullRequest, type ForgeConfig, type PullRequestInput } from '../../src/gitops/forge.js';
import { fakeForge, relevantHeaders, type FakeForge, type Reply } from './_forge-server.js';

const PR: PullRequestInput = {
  head: 'dokku-gitops/node-js-app',
  base: 'main',
  title: 'deploy node-js-app: image :6 -> :7',
  body: '## Summary\n\n| Change | Details |\n',
};

let server: FakeForge | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(replies: Reply[]): Promise<FakeForge> {
  server = await fakeForge(replies);
  return server;
}

function config(kind: ForgeConfig['kind'], apiUrl: string, repo = 'acme/gitops'): ForgeConfig {
  return { kind, apiUrl, repo, tokenEnv: 'FORGE_TOKEN' };
}

const env = { FORGE_TOKEN: 'tok-123' };

async function failure(promise: Promise<unknown>): Promise<DokkuGitopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DokkuGitopsError);
  return error as DokkuGitopsError;
}

describe('GitHub', () => {
  const headers = { accept: 'application/vnd.github+json', authorization: 'Bearer tok-123', 'user-agent': 'dokku-gitops', 'x-github-api-version': '2022-11-28' };
  const find = '/repos/acme/gitops/pulls?state=open&head=acme%3Adokku-gitops%2Fnode-js-app';

  test('opens a pull request when none is open for the branch', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [] },
      { status: 201, body: { number: 7, html_url: 'https://github.com/acme/gitops/pull/7' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('github', forge.url), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://github.com/acme/gitops/pull/7', number: 7, created: true });
    expect(forge.received.map((r) => ({ method: r.method, path: r.path, headers: relevantHeaders(r.headers), body: r.body }))).toEqual([
      { method: 'GET', path: find, headers, body: undefined },
      {
        method: 'POST',
        path: '/repos/acme/gitops/pulls',
        headers: { ...headers, 'content-type': 'application/json' },
        body: { title: PR.title, head: 'dokku-gitops/node-js-app', base: 'main', body: PR.body },
      },
    ]);
  });

  test('updates the open pull request of the branch', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [{ number: 7, html_url: 'https://github.com/acme/gitops/pull/7' }] },
      { status: 200, body: { number: 7, html_url: 'https://github.com/acme/gitops/pull/7' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('github', `${forge.url}/`), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://github.com/acme/gitops/pull/7', number: 7, created: false });
    expect(forge.received.map((r) => ({ method: r.method, path: r.path, headers: relevantHeaders(r.headers), body: r.body }))).toEqual([
      { method: 'GET', path: find, headers, body: undefined },
      {
        method: 'PATCH',
        path: '/repos/acme/gitops/pulls/7',
        headers: { ...headers, 'content-type': 'application/json' },
        body: { title: PR.title, body: PR.body, base: 'main' },
      },
    ]);
  });

  test('updates the pull request another deploy opened first', async () => {
    // GIVEN the create loses a race
    const forge = await start([
      { status: 200, body: [] },
      { status: 422, body: { message: 'Validation Failed', errors: [{ message: 'A pull request already exists for acme:dokku-gitops/node-js-app.' }] } },
      { status: 200, body: [{ number: 9 }] },
      { status: 200, body: { number: 9, html_url: 'https://github.com/acme/gitops/pull/9' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('github', forge.url), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://github.com/acme/gitops/pull/9', number: 9, created: false });
    expect(forge.received.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${find}`, 'POST /repos/acme/gitops/pulls', `GET ${find}`, 'PATCH /repos/acme/gitops/pulls/9']);
  });

  test('fails if the API refuses the token, without showing it', async () => {
    // GIVEN
    const forge = await start([{ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } }]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('github', forge.url), PR, { env }));
    // THEN
    expect(error.message).toBe(`request to the GitHub API failed: GET ${forge.url}${find} returned 401 Unauthorized: Bad credentials`);
    expect(error.kind).toBe('failure');
    expect(error.message).not.toContain('tok-123');
  });

  test('fails if the create is refused for another reason', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [] },
      { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] } },
      { status: 200, body: [] },
    ]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('github', forge.url), PR, { env }));
    // THEN
    expect(error.message).toBe(`request to the GitHub API failed: POST ${forge.url}/repos/acme/gitops/pulls returned 422 Unprocessable Entity: Validation Failed (PullRequest base invalid)`);
  });

  test('fails if the API redirects, naming the new location', async () => {
    // GIVEN
    const forge = await start([{ status: 301, body: { message: 'Moved Permanently' }, headers: { location: 'https://api.github.com/repositories/42/pulls' } }]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('github', forge.url), PR, { env }));
    // THEN
    expect(error.message).toBe(
      `request to the GitHub API failed: GET ${forge.url}${find} returned 301 Moved Permanently: moved to 'https://api.github.com/repositories/42/pulls'; update the forge 'apiUrl' or 'repo'`,
    );
    expect(forge.received).toHaveLength(1);
  });

  test('fails if the answer is not JSON', async () => {
    // GIVEN
    const forge = await start([{ status: 200, raw: '<html>proxy login</html>' }]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('github', forge.url), PR, { env }));
    // THEN
    expect(error.message).toBe(`request to the GitHub API failed: GET ${forge.url}${find} returned a response that is not JSON: '<html>proxy login</html>'`);
  });

  test('fails if the created pull request has no URL', async () => {
    // GIVEN
    const forge = await start([{ status: 200, body: [] }, { status: 201, body: { number: 7 } }]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('github', forge.url), PR, { env }));
    // THEN
    expect(error.message).toBe(`request to the GitHub API failed: POST ${forge.url}/repos/acme/gitops/pulls returned no 'html_url' string`);
  });
});

describe('GitLab', () => {
  const headers = { accept: 'application/json', 'private-token': 'tok-123', 'user-agent': 'dokku-gitops' };
  const project = '/api/v4/projects/acme%2Fplatform%2Fgitops/merge_requests';
  const find = `${project}?state=opened&source_branch=dokku-gitops%2Fnode-js-app`;

  test('opens a merge request when none is open for the branch', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [] },
      { status: 201, body: { iid: 3, web_url: 'https://gitlab.example.com/acme/platform/gitops/-/merge_requests/3' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('gitlab', `${forge.url}/api/v4`, 'acme/platform/gitops'), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://gitlab.example.com/acme/platform/gitops/-/merge_requests/3', number: 3, created: true });
    expect(forge.received.map((r) => ({ method: r.method, path: r.path, headers: relevantHeaders(r.headers), body: r.body }))).toEqual([
      { method: 'GET', path: find, headers, body: undefined },
      {
        method: 'POST',
        path: project,
        headers: { ...headers, 'content-type': 'application/json' },
        body: { source_branch: 'dokku-gitops/node-js-app', target_branch: 'main', title: PR.title, description: PR.body },
      },
    ]);
  });

  test('updates the open merge request of the branch', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [{ iid: 3, id: 991, web_url: 'https://gitlab.example.com/acme/platform/gitops/-/merge_requests/3' }] },
      { status: 200, body: { iid: 3, web_url: 'https://gitlab.example.com/acme/platform/gitops/-/merge_requests/3' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('gitlab', `${forge.url}/api/v4`, 'acme/platform/gitops'), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://gitlab.example.com/acme/platform/gitops/-/merge_requests/3', number: 3, created: false });
    expect(forge.received.map((r) => ({ method: r.method, path: r.path, headers: relevantHeaders(r.headers), body: r.body }))).toEqual([
      { method: 'GET', path: find, headers, body: undefined },
      {
        method: 'PUT',
        path: `${project}/3`,
        headers: { ...headers, 'content-type': 'application/json' },
        body: { title: PR.title, description: PR.body, target_branch: 'main' },
      },
    ]);
  });

  test('fails if the API answers with an error, quoting its message', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [] },
      { status: 409, body: { message: ['Another open merge request already exists for this source branch: !3'] } },
      { status: 200, body: [] },
    ]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('gitlab', `${forge.url}/api/v4`, 'acme/platform/gitops'), PR, { env }));
    // THEN
    expect(error.message).toBe(
      `request to the GitLab API failed: POST ${forge.url}${project} returned 409 Conflict: Another open merge request already exists for this source branch: !3`,
    );
  });

  test('fails with GitLab field errors spelled out', async () => {
    // GIVEN
    const forge = await start([{ status: 200, body: [] }, { status: 400, body: { message: { target_branch: ['is invalid'] } } }]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('gitlab', `${forge.url}/api/v4`, 'acme/platform/gitops'), PR, { env }));
    // THEN
    expect(error.message).toBe(`request to the GitLab API failed: POST ${forge.url}${project} returned 400 Bad Request: target_branch is invalid`);
  });
});

describe('Gitea and Forgejo', () => {
  const headers = { accept: 'application/json', authorization: 'token tok-123', 'user-agent': 'dokku-gitops' };
  const list = (page: number): string => `/api/v1/repos/acme/gitops/pulls?state=open&limit=50&page=${page}`;

  test('opens a pull request when none is open from the branch of this repository', async () => {
    // GIVEN an open PR from another branch, and one from a fork's branch of the same name
    const forge = await start([
      {
        status: 200,
        body: [
          { number: 2, head: { ref: 'feature', repo: { full_name: 'acme/gitops' } } },
          { number: 5, head: { ref: 'dokku-gitops/node-js-app', repo: { full_name: 'someone/gitops' } } },
        ],
      },
      { status: 201, body: { number: 6, html_url: 'https://codeberg.org/acme/gitops/pulls/6' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('gitea', `${forge.url}/api/v1`), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://codeberg.org/acme/gitops/pulls/6', number: 6, created: true });
    expect(forge.received.map((r) => ({ method: r.method, path: r.path, headers: relevantHeaders(r.headers), body: r.body }))).toEqual([
      { method: 'GET', path: list(1), headers, body: undefined },
      {
        method: 'POST',
        path: '/api/v1/repos/acme/gitops/pulls',
        headers: { ...headers, 'content-type': 'application/json' },
        body: { head: 'dokku-gitops/node-js-app', base: 'main', title: PR.title, body: PR.body },
      },
    ]);
  });

  test('updates the open pull request found on a later page', async () => {
    // GIVEN a full first page without it
    const first = Array.from({ length: 50 }, (_, i) => ({ number: 100 + i, head: { ref: `other-${i}`, repo: { full_name: 'acme/gitops' } } }));
    const forge = await start([
      { status: 200, body: first },
      { status: 200, body: [{ number: 51, head: { ref: 'dokku-gitops/node-js-app', repo: { full_name: 'Acme/GitOps' } } }] },
      { status: 200, body: { number: 51, html_url: 'https://codeberg.org/acme/gitops/pulls/51' } },
    ]);
    // WHEN
    const result = await openOrUpdatePullRequest(config('gitea', `${forge.url}/api/v1`), PR, { env });
    // THEN
    expect(result).toEqual({ url: 'https://codeberg.org/acme/gitops/pulls/51', number: 51, created: false });
    expect(forge.received.map((r) => ({ method: r.method, path: r.path, headers: relevantHeaders(r.headers), body: r.body }))).toEqual([
      { method: 'GET', path: list(1), headers, body: undefined },
      { method: 'GET', path: list(2), headers, body: undefined },
      {
        method: 'PATCH',
        path: '/api/v1/repos/acme/gitops/pulls/51',
        headers: { ...headers, 'content-type': 'application/json' },
        body: { title: PR.title, body: PR.body, base: 'main' },
      },
    ]);
  });

  test('fails if the API cannot be reached, naming the URL', async () => {
    // GIVEN a port that nothing listens on
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('gitea', `http://127.0.0.1:${port}/api/v1`), PR, { env }));
    // THEN
    expect(error.message).toBe(`cannot reach the Gitea API at 'http://127.0.0.1:${port}${list(1)}': connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.kind).toBe('failure');
  });

  test('fails if the API does not answer in time', async () => {
    // GIVEN a server that accepts the request and never answers
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      // WHEN
      const error = await failure(openOrUpdatePullRequest(config('gitea', `http://127.0.0.1:${port}/api/v1`), PR, { env, timeoutMs: 200 }));
      // THEN
      expect(error.message).toBe(`cannot reach the Gitea API at 'http://127.0.0.1:${port}${list(1)}': no answer within 0.2s`);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('configuration', () => {
  test('fails if the token variable is not set, before any request', async () => {
    // GIVEN
    const forge = await start([]);
    // WHEN
    const error = await failure(openOrUpdatePullRequest(config('github', forge.url), PR, { env: {} }));
    // THEN
    expect(error.message).toBe("forge token environment variable 'FORGE_TOKEN' is not set; set it to a GitHub token that can open pull requests on 'acme/gitops'");
    expect(error.kind).toBe('input');
    expect(forge.received).toEqual([]);
  });

  test('fails if the token variable is empty', async () => {
    const error = await failure(openOrUpdatePullRequest(config('gitlab', 'https://gitlab.example.com/api/v4', 'acme/gitops'), PR, { env: { FORGE_TOKEN: '' } }));
    expect(error.message).toBe("forge token environment variable 'FORGE_TOKEN' is not set; set it to a GitLab token that can open pull requests on 'acme/gitops'");
  });

  test('reads the token from process.env by default', async () => {
    // GIVEN
    const forge = await start([
      { status: 200, body: [{ number: 1, head: { ref: 'dokku-gitops/node-js-app' } }] },
      { status: 200, body: { number: 1, html_url: 'https://example.com/1' } },
    ]);
    process.env.DOKKU_GITOPS_TEST_FORGE_TOKEN = 'from-process-env';
    try {
      // WHEN
      await openOrUpdatePullRequest({ ...config('gitea', forge.url), tokenEnv: 'DOKKU_GITOPS_TEST_FORGE_TOKEN' }, PR);
    } finally {
      delete process.env.DOKKU_GITOPS_TEST_FORGE_TOKEN;
    }
    // THEN
    expect(forge.received.map((r) => r.headers.authorization)).toEqual(['token from-process-env', 'token from-process-env']);
  });

  test.each([
    [{ kind: 'bitbucket' }, "forge 'kind' must be one of github, gitlab, gitea; received 'bitbucket'"],
    [{ apiUrl: 'api.github.com' }, "forge 'apiUrl' must be an http or https URL, such as 'https://api.github.com'; received 'api.github.com'"],
    [{ apiUrl: 'ftp://example.com' }, "forge 'apiUrl' must be an http or https URL, such as 'https://api.github.com'; received 'ftp://example.com'"],
    [{ repo: 'gitops' }, "forge 'repo' must be 'owner/name'; received 'gitops'"],
    [{ repo: 'acme/sub/gitops' }, "forge 'repo' must be 'owner/name'; received 'acme/sub/gitops'"],
    [{ kind: 'gitlab', repo: 'gitops' }, "forge 'repo' must be a project path such as 'group/project'; received 'gitops'"],
    [{ tokenEnv: 'MY TOKEN' }, "forge 'tokenEnv' must be an environment variable name, such as 'GITHUB_TOKEN'; received 'MY TOKEN'"],
  ])('fails if the config has %j', async (override, message) => {
    const f = { ...config('github', 'https://api.github.com'), ...override } as ForgeConfig;
    const error = await failure(openOrUpdatePullRequest(f, PR, { env }));
    expect(error.message).toBe(message);
    expect(error.kind).toBe('input');
  });

  test('fails if the pull request has no head branch', async () => {
    const error = await failure(openOrUpdatePullRequest(config('github', 'https://api.github.com'), { ...PR, head: ' ' }, { env }));
    expect(error.message).toBe("pull request 'head' must not be empty; received ' '");
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { agentManifests } from '../../src/agents/index.js';

// `npm test` builds the CLI first; these tests run the built binary as a user would
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'dokku-gitops.cjs');

let dir: string;

function cli(args: string[]) {
  const result = spawnSync('node', [BIN, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, DOKKU_GITOPS_HOME: join(dir, 'keys') } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  expect(existsSync(resolve(BIN, '..', '..', 'dist', 'cli.mjs')), 'run `npm run build` first').toBe(true);
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-cli-agent-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('dokku-gitops agent', () => {
  test('flux writes clusters/<cluster>/ in the current folder and prints the one-time steps', () => {
    // WHEN
    const result = cli(['agent', 'flux', '--repo-url', 'ssh://git@github.com/acme/gitops.git']);
    // THEN
    expect(result).toEqual({
      status: 0,
      stderr: '',
      stdout: [
        'wrote clusters/default/apps.yaml',
        'wrote clusters/default/apps/.gitkeep',
        'wrote clusters/default/gitrepository.yaml',
        'wrote clusters/default/kustomization.yaml',
        'wrote clusters/default/platform.yaml',
        '',
        'Next, once per cluster:',
        "  # 1. commit and push clusters/default/ to the 'main' branch",
        '  # 2. install Flux (once per cluster): flux install, or kubectl apply -f https://github.com/fluxcd/flux2/releases/latest/download/install.yaml',
        "  # 3. give Flux the age private key that decrypts the repo's Secrets",
        `  kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=${join(dir, 'keys', 'age.key')}`,
        '  # 4. apply the GitRepository and the platform and apps Kustomizations',
        '  kubectl apply -k clusters/default',
        '',
      ].join('\n'),
    });
    const expected = agentManifests({ agent: 'flux', repoUrl: 'ssh://git@github.com/acme/gitops.git', branch: 'main', cluster: 'default' });
    for (const [path, content] of Object.entries(expected)) expect(readFileSync(join(dir, path), 'utf8')).toBe(content);
  });

  test('argocd writes into --out for --cluster and --branch, and leaves right files alone', () => {
    // GIVEN
    const args = ['agent', 'argocd', '--repo-url', 'git@github.com:acme/gitops.git', '--branch', 'live', '--cluster', 'prod', '-o', 'checkout'];
    cli(args);
    // WHEN
    const again = cli(args);
    // THEN
    expect(again.status).toBe(0);
    expect(again.stdout.split('\n').slice(0, 6)).toEqual([
      'unchanged clusters/prod/appproject.yaml',
      'unchanged clusters/prod/apps/.gitkeep',
      'unchanged clusters/prod/kustomization.yaml',
      'unchanged clusters/prod/platform.yaml',
      'unchanged clusters/prod/root.yaml',
      '',
    ]);
    expect(readFileSync(join(dir, 'checkout/clusters/prod/root.yaml'), 'utf8')).toContain('    targetRevision: live\n');
  });

  test('fails with exit code 2 if the repo URL is scp-like for Flux', () => {
    expect(cli(['agent', 'flux', '--repo-url', 'git@github.com:acme/gitops.git'])).toEqual({
      status: 2,
      stdout: '',
      stderr: "error: 'repoUrl' must be an http, https or ssh URL for Flux, here 'ssh://git@github.com/acme/gitops.git'; received 'git@github.com:acme/gitops.git'\n",
    });
  });

  test('fails with exit code 2 if --git-secret is given for Argo CD', () => {
    expect(cli(['agent', 'argocd', '--repo-url', 'https://github.com/acme/gitops.git', '--git-secret', 'auth'])).toEqual({
      status: 2,
      stdout: '',
      stderr: "error: '--git-secret' applies to Flux only; register the repository's credentials with Argo CD instead\n",
    });
  });

  test('fails with exit code 2 for an unknown agent or a missing --repo-url', () => {
    const unknown = cli(['agent', 'jenkins', '--repo-url', 'https://github.com/acme/gitops.git']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe("error: command-argument value 'jenkins' is invalid for argument 'agent'. Allowed choices are flux, argocd.");
    const missing = cli(['agent', 'flux']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe("error: required option '--repo-url <url>' not specified");
    expect(existsSync(join(dir, 'clusters'))).toBe(false);
  });
});

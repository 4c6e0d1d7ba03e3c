import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../_support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-cluster-platform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dokku-gitops cluster platform', () => {
  it('fails with exit code 2 unless exactly one of --out and --repo is given', () => {
    const neither = runCli(['cluster', 'platform']);
    const both = runCli(['cluster', 'platform', '--out', join(dir, 'o'), '--repo', join(dir, 'r')]);
    for (const result of [neither, both]) expect(result).toEqual({ status: 2, stdout: '', stderr: "error: give exactly one of '--out <dir>' and '--repo <url|path>'\n" });
  });

  it('--repo commits and pushes platform/charts/ with its index', () => {
    // GIVEN
    const remote = join(dir, 'remote.git');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    // WHEN
    const result = runCli(['cluster', 'platform', '--repo', remote, '--ingress-class', 'traefik'], { env: { DOKKU_GITOPS_HOME: join(dir, 'home') } });
    // THEN
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^pushed [0-9a-f]{12} to .*remote\.git: deploy platform\/charts/);
    const files = execFileSync('git', ['-C', remote, 'ls-tree', '-r', '--name-only', 'main'], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toContain('platform/kustomization.yaml');
    expect(files).toContain('platform/charts/helmchartconfig-traefik.yaml');
  });

  it('--out writes the folder and the index', () => {
    const out = join(dir, 'out');
    const result = runCli(['cluster', 'platform', '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('wrote platform/kustomization.yaml\n');
    expect(execFileSync('kubectl', ['kustomize', join(out, 'platform')], { encoding: 'utf8' })).toContain('name: ingress-nginx');
  });
});

describe('dokku-gitops cluster agent', () => {
  it('fails with exit code 2 for an unknown agent, or Flux-only flags with Argo CD', () => {
    expect(runCli(['cluster', 'agent', 'helm', '--repo-url', 'ssh://git@example.com/x.git'])).toEqual({ status: 2, stdout: '', stderr: 'error: agent "helm" is not supported; allowed values: flux, argocd\n' });
    expect(runCli(['cluster', 'agent', 'argocd', '--repo-url', 'https://example.com/x.git', '--age-key', '/nope'])).toEqual({
      status: 2,
      stdout: '',
      stderr: "error: '--age-key' and '--git-secret' are for Flux; Argo CD reads Sealed Secrets, and its repository credentials are registered with 'argocd repo add'\n",
    });
  });

  it('has help with examples', () => {
    const help = runCli(['cluster', 'agent', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});

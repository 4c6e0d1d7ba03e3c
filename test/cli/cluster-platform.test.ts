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
    expect(result.stdout).toMatch(/^pushed [0-9a-f]{12} to .*remote\.git: deploy platform/);
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

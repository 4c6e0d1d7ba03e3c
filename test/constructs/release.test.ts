import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { releaseHash } from '../../src/dokku/release.js';
import { app, compileText, filesOf, find, objectsOf, problemsOf } from '../_support/compile.js';
import { validateObject } from '../_support/validate.js';

const releaseApp = (spec: string, name = 'a') =>
  app(name, `image: r/a:1\nprocfile: "web: ./web\\nrelease: ./manage migrate --to $TARGET"\nconfig: {TARGET: head}\n${spec}`);

const resources = (files: Record<string, string>, path: string): string[] =>
  (parseAllDocuments(files[path]!)[0]!.toJS() as { resources: string[] }).resources;

describe('release Jobs: layout', () => {
  it('puts the release Job in apps/<app>/release/ with its own kustomization, never in the app\'s', () => {
    // GIVEN an app with a Procfile release command and a postdeploy script
    const files = filesOf(compileText(releaseApp('appJson: {scripts: {dokku: {postdeploy: ./notify}}}')));
    const job = Object.keys(files).find((p) => p.startsWith('apps/a/release/job-'))!;
    // THEN
    expect(resources(files, 'apps/a/release/kustomization.yaml')).toEqual([
      'serviceaccount-a-release.yaml',
      'secret-config-a-release.yaml',
      job.slice('apps/a/release/'.length),
    ]);
    expect(resources(files, 'apps/a/postdeploy/kustomization.yaml')).toEqual([Object.keys(files).find((p) => p.startsWith('apps/a/postdeploy/job-'))!.slice('apps/a/postdeploy/'.length)]);
    expect(resources(files, 'apps/a/kustomization.yaml').filter((r) => r.includes('release') || r.includes('postdeploy') || r.startsWith('job-'))).toEqual([]);
  });

  it('renders nothing for an app without release tasks', () => {
    const files = filesOf(compileText(app('a', 'image: r/a:1')));
    expect(Object.keys(files).filter((p) => p.includes('/release/') || p.includes('/postdeploy/'))).toEqual([]);
  });

  it('moves the app\'s Namespace into the release folder, never a hook (Argo CD deletes hooks before each sync) and never pruned', () => {
    // GIVEN two apps in their own namespace, one with a release command
    const result = compileText(releaseApp('properties: {namespace: shop}'), app('b', 'image: r/b:1\nproperties: {namespace: other}'));
    const files = filesOf(result);
    // THEN
    expect(Object.keys(files).filter((p) => p.includes('namespace-'))).toEqual(['apps/a/release/namespace-shop.yaml', 'apps/b/namespace-other.yaml']);
    expect(find(result, 'Namespace', 'shop').metadata.annotations).toEqual({
      'dokku.com/managed': 'true',
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
    expect(resources(files, 'apps/a/release/kustomization.yaml')[0]).toBe('namespace-shop.yaml');
  });
});

describe('release Jobs: the Job', () => {
  it('runs predeploy as an init container before the Procfile release command, as PreSync hook', async () => {
    // GIVEN predeploy and release
    const result = compileText(releaseApp('appJson: {scripts: {dokku: {predeploy: "./assets check"}}}'));
    const hash = releaseHash('r/a:1', ['./assets check', './manage migrate --to $TARGET']);
    // WHEN
    const job = find(result, 'Job', `a-release-${hash}`);
    // THEN
    expect(job.metadata.annotations).toEqual({
      'dokku.com/managed': 'true',
      'dokku.com/builder-type': 'dockerfile',
      'kubectl.kubernetes.io/default-container': 'a-release',
      'argocd.argoproj.io/hook': 'PreSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'a-release',
      'app.kubernetes.io/name': 'release',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
    });
    expect([job.spec.backoffLimit, job.spec.activeDeadlineSeconds, job.spec.ttlSecondsAfterFinished]).toEqual([0, 86400, undefined]);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe('a-release');
    expect(pod.initContainers.map((c: { name: string; args: string[] }) => [c.name, c.args])).toEqual([['a-predeploy', ['./assets', 'check']]]);
    expect(pod.containers.map((c: { name: string; args: string[] }) => [c.name, c.args])).toEqual([['a-release', ['./manage', 'migrate', '--to', '$(TARGET)']]]);
    expect(pod.containers[0].envFrom).toEqual([{ secretRef: { name: 'config-a-release', optional: false } }]);
    expect(pod.initContainers[0].envFrom).toEqual([{ secretRef: { name: 'config-a-release', optional: false } }]);
    expect(await validateObject(job)).toBe(true);
  });

  it('gives the release Job its own env Secret, pull Secret and ServiceAccount, PreSync hooks of an earlier wave', () => {
    // GIVEN registry auth and a ServiceAccount annotation (workload identity)
    const result = compileText(releaseApp('registryAuth: {auths: {r: {auth: eA==}}}\nannotations: {--global: {serviceaccount: {iam.example.com/role: migrator}}}'));
    // THEN
    const env = find(result, 'Secret', 'config-a-release');
    expect(env.data).toEqual(find(result, 'Secret', 'config-a').data);
    expect(find(result, 'Secret', 'pull-secret-a-release').data).toEqual(find(result, 'Secret', 'pull-secret-a').data);
    const sa = find(result, 'ServiceAccount', 'a-release');
    expect(sa.metadata.annotations).toEqual({
      'dokku.com/managed': 'true',
      'argocd.argoproj.io/hook': 'PreSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      'argocd.argoproj.io/sync-wave': '-1',
      'iam.example.com/role': 'migrator',
    });
    expect(env.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    const job = objectsOf(result).find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.imagePullSecrets).toEqual([{ name: 'pull-secret-a-release' }]);
    const release = result.apps[0]!.manifests.filter((m) => m.path.startsWith('apps/a/release/secret-'));
    expect(release.map((m) => [m.path, m.secret])).toEqual([
      ['apps/a/release/secret-config-a-release.yaml', true],
      ['apps/a/release/secret-pull-secret-a-release.yaml', true],
    ]);
  });

  it('leaves storage out of the release Job (the claims may not exist yet) and keeps it in postdeploy', () => {
    const result = compileText(releaseApp('appJson: {scripts: {dokku: {postdeploy: ./notify}}}\nstorage: [{name: media, mountPath: /media, size: 1Gi}]\nproperties: {shm-size: 64Mi}'));
    const [release, postdeploy] = ['release', 'postdeploy'].map((phase) => objectsOf(result).find((o) => o.kind === 'Job' && o.metadata.name.startsWith(`a-${phase}-`))!.spec.template.spec);
    expect(release!.volumes.map((v: { name: string }) => v.name)).toEqual(['shmem']);
    expect(postdeploy!.volumes.map((v: { name: string }) => v.name)).toEqual(['shmem', 'media']);
  });

  it('runs postdeploy after the rollout, as PostSync hook, with the app\'s own ServiceAccount and env Secret', () => {
    // GIVEN
    const result = compileText(app('a', 'image: r/a:1\nappJson: {scripts: {dokku: {postdeploy: "./notify --channel ops"}}}'));
    const job = find(result, 'Job', `a-postdeploy-${releaseHash('r/a:1', ['./notify --channel ops'])}`);
    // THEN
    expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PostSync');
    expect(job.metadata.annotations['argocd.argoproj.io/hook-delete-policy']).toBe('BeforeHookCreation');
    expect(job.spec.template.spec.serviceAccountName).toBe('a');
    expect(job.spec.template.spec.containers).toMatchObject([{ name: 'a-postdeploy', args: ['./notify', '--channel', 'ops'], envFrom: [{ secretRef: { name: 'config-a', optional: true } }] }]);
    expect(objectsOf(result).some((o) => o.metadata.name === 'config-a-release')).toBe(false);
  });

  it.each([
    ['herokuish', ['/exec']],
    ['pack', ['launcher']],
    ['dockerfile', undefined],
  ])('runs the command through the %s entrypoint Dokku\'s run Jobs use', (builder, command) => {
    const job = objectsOf(compileText(releaseApp(`builder: ${builder}`))).find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].command).toEqual(command);
  });

  it('names the Job after a short hash of the image and the commands, so that a new release gets a new Job', () => {
    // GIVEN the same app with another image, another command, and unchanged
    const name = (spec: string) => objectsOf(compileText(spec)).find((o) => o.kind === 'Job')!.metadata.name;
    const base = name(releaseApp(''));
    // THEN
    expect(base).toBe(`a-release-${releaseHash('r/a:1', ['./manage migrate --to $TARGET'])}`);
    expect(base).toMatch(/^a-release-[0-9a-f]{10}$/);
    expect(name(releaseApp(''))).toBe(base);
    expect(name(releaseApp('').replace('TARGET: head', 'TARGET: other'))).toBe(base);
    expect(name(releaseApp('').replace('image: r/a:1', 'image: r/a:2'))).not.toBe(base);
    expect(name(releaseApp('').replace('migrate --to', 'migrate --fake --to'))).not.toBe(base);
  });

  it('keeps Job names within 63 characters by cutting the app name', () => {
    // the longest app name whose generated names (config-<app>) fit a label value
    const long = 'a'.repeat(56);
    const job = objectsOf(compileText(releaseApp('', long))).find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toMatch(new RegExp(`^${'a'.repeat(44)}-release-[0-9a-f]{10}$`));
    expect(job.metadata.name.length).toBe(63);
  });

  it('fails if a release command cannot be split into words', () => {
    expect(problemsOf(app('a', 'image: r/a:1\nappJson: {scripts: {dokku: {predeploy: "echo \\"oops"}}}'))).toEqual([
      'state-1.yaml:7: app a: spec.appJson.scripts.dokku.predeploy: the predeploy command "echo \\"oops" cannot be split into words: unterminated double quote',
    ]);
  });
});

describe('release-tasks: where predeploy, release and postdeploy run', () => {
  it('renders no Jobs with release-tasks host (Dokku runs them on its host), the app itself unchanged', () => {
    const withJobs = filesOf(compileText(releaseApp('appJson: {scripts: {dokku: {postdeploy: ./notify}}}')));
    const onHost = filesOf(compileText(releaseApp('appJson: {scripts: {dokku: {postdeploy: ./notify}}}\nproperties: {release-tasks: host}')));
    expect(Object.keys(withJobs).filter((p) => p.includes('/release/') || p.includes('/postdeploy/')).length).toBeGreaterThan(0);
    expect(Object.keys(onHost).filter((p) => p.includes('/release/') || p.includes('/postdeploy/'))).toEqual([]);
    expect(onHost['apps/a/deployment-a-web.yaml']).toBe(withJobs['apps/a/deployment-a-web.yaml']);
  });

  it('takes release-tasks from the Global document too', () => {
    const files = filesOf(compileText(releaseApp(''), 'apiVersion: dokku-gitops/v1\nkind: Global\nspec:\n  properties: {release-tasks: host}\n'));
    expect(Object.keys(files).filter((p) => p.includes('/release/'))).toEqual([]);
  });

  it('fails on another value', () => {
    expect(problemsOf(releaseApp('properties: {release-tasks: both}'))).toEqual(['state-1.yaml:9: app a: spec.properties.release-tasks: "both" is not allowed; allowed values: cluster, host']);
  });
});

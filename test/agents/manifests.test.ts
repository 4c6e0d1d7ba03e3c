import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProject, Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { afterAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { agentManifests, appAgentManifests, bootstrapSteps, detectAgent, writeAgentFiles, type AppAgentManifestsOptions } from '../../src/agents/index.js';
import { DokkuGitopsError } from '../../src/errors.js';
import { GENERATED_HEADER, parseDocuments, type FileTree, type KubeObject } from '../../src/gitops/tree.js';

const REPO = 'ssh://git@github.com/acme/gitops.git';

/** Validates an agent object with the independent model of its kind; returns the kind. */
function validate(object: KubeObject): string {
  const models: Record<string, new (data: never) => { validate(): void }> = {
    'source.toolkit.fluxcd.io/v1 GitRepository': GitRepository,
    'kustomize.toolkit.fluxcd.io/v1 Kustomization': Kustomization,
    'argoproj.io/v1alpha1 Application': Application,
    'argoproj.io/v1alpha1 AppProject': AppProject,
  };
  const key = `${String(object.apiVersion)} ${String(object.kind)}`;
  const Model = models[key];
  if (Model === undefined) throw new Error(`no model for ${key}`);
  new Model(object as never).validate();
  return String(object.kind);
}

/** Every agent object of a tree, validated; kustomize's own file is skipped. */
function objectsOf(tree: FileTree): Record<string, KubeObject[]> {
  const result: Record<string, KubeObject[]> = {};
  for (const [path, content] of Object.entries(tree)) {
    if (!path.endsWith('.yaml') || path.endsWith('kustomization.yaml')) continue;
    expect(content.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
    result[path] = parseDocuments(path, content);
    for (const object of result[path]!) validate(object);
  }
  return result;
}

function thrown(fn: () => unknown): DokkuGitopsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DokkuGitopsError);
    return error as DokkuGitopsError;
  }
  throw new Error('expected an error');
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-agents-'));
  dirs.push(dir);
  return dir;
}

const sourceRef = { kind: 'GitRepository', name: 'dokku-gitops' };
const decryption = { provider: 'sops', secretRef: { name: 'sops-age' } };

describe('Flux', () => {
  test('writes the GitRepository and the platform and apps Kustomizations', () => {
    // WHEN
    const tree = agentManifests({ agent: 'flux', repoUrl: REPO, branch: 'main', cluster: 'default' });
    // THEN
    expect(Object.keys(tree)).toEqual([
      'clusters/default/apps.yaml',
      'clusters/default/apps/.gitkeep',
      'clusters/default/gitrepository.yaml',
      'clusters/default/kustomization.yaml',
      'clusters/default/platform.yaml',
    ]);
    const objects = objectsOf(tree);
    expect(objects['clusters/default/gitrepository.yaml']).toEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'dokku-gitops', namespace: 'flux-system' },
        spec: { ignore: '/*\n!/apps/\n!/platform/\n!/clusters/\n', interval: '1m', ref: { branch: 'main' }, url: REPO },
      },
    ]);
    expect(objects['clusters/default/platform.yaml']).toEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'platform', namespace: 'flux-system' },
        spec: { decryption, interval: '10m', path: './platform', prune: true, retryInterval: '1m', sourceRef, timeout: '5m', wait: true },
      },
    ]);
    expect(objects['clusters/default/apps.yaml']).toEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: 'flux-system' },
        spec: { dependsOn: [{ name: 'platform' }], interval: '10m', path: './clusters/default/apps', prune: true, retryInterval: '1m', sourceRef, timeout: '5m' },
      },
    ]);
    expect(parseDocuments('k', tree['clusters/default/kustomization.yaml']!)).toEqual([
      { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['gitrepository.yaml', 'platform.yaml', 'apps.yaml'] },
    ]);
    expect(tree['clusters/default/apps/.gitkeep']).toBe('');
    expect(tree).toMatchSnapshot();
  });

  test('references the Git credentials Secret when one is given', () => {
    const tree = agentManifests({ agent: 'flux', repoUrl: 'https://git.example.com/ops/gitops.git', branch: 'live', cluster: 'prod', gitSecret: 'gitops-auth' });
    const [repo] = objectsOf(tree)['clusters/prod/gitrepository.yaml']!;
    expect(repo!.spec).toEqual({
      ignore: '/*\n!/apps/\n!/platform/\n!/clusters/\n',
      interval: '1m',
      ref: { branch: 'live' },
      secretRef: { name: 'gitops-auth' },
      url: 'https://git.example.com/ops/gitops.git',
    });
    expect((objectsOf(tree)['clusters/prod/apps.yaml']![0]!.spec as { path: string }).path).toBe('./clusters/prod/apps');
  });

  test('orders release Jobs, the app and postdeploy Jobs with dependsOn', () => {
    // WHEN
    const tree = appAgentManifests({ agent: 'flux', cluster: 'default', app: 'node-js-app', namespace: 'default', hasRelease: true, hasPostdeploy: true, repoUrl: REPO, branch: 'main' });
    // THEN
    expect(Object.keys(tree)).toEqual(['clusters/default/apps/node-js-app.yaml']);
    expect(objectsOf(tree)['clusters/default/apps/node-js-app.yaml']).toEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'node-js-app.release', namespace: 'flux-system' },
        spec: {
          decryption,
          dependsOn: [{ name: 'platform' }],
          force: true,
          interval: '10m',
          path: './apps/node-js-app/release',
          prune: true,
          retryInterval: '1m',
          sourceRef,
          timeout: '15m',
          wait: true,
        },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'node-js-app', namespace: 'flux-system' },
        spec: {
          decryption,
          dependsOn: [{ name: 'platform' }, { name: 'node-js-app.release' }],
          interval: '10m',
          path: './apps/node-js-app',
          prune: true,
          retryInterval: '1m',
          sourceRef,
          timeout: '5m',
          wait: true,
        },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'node-js-app.postdeploy', namespace: 'flux-system' },
        spec: {
          decryption,
          dependsOn: [{ name: 'node-js-app' }],
          force: true,
          interval: '10m',
          path: './apps/node-js-app/postdeploy',
          prune: true,
          retryInterval: '1m',
          sourceRef,
          timeout: '15m',
          wait: true,
        },
      },
    ]);
    expect(tree).toMatchSnapshot();
  });

  test('writes only the app Kustomization for an app without release tasks', () => {
    const tree = appAgentManifests({ agent: 'flux', cluster: 'default', app: 'api', namespace: 'apps', hasRelease: false, hasPostdeploy: false, repoUrl: REPO, branch: 'main' });
    const objects = objectsOf(tree)['clusters/default/apps/api.yaml']!;
    expect(objects.map((o) => (o.metadata as { name: string }).name)).toEqual(['api']);
    expect(objects[0]!.spec).toEqual({
      decryption,
      dependsOn: [{ name: 'platform' }],
      interval: '10m',
      path: './apps/api',
      prune: true,
      retryInterval: '1m',
      sourceRef,
      timeout: '5m',
      wait: true,
    });
    expect((objects[0]!.spec as Record<string, unknown>).targetNamespace).toBeUndefined();
  });

  test('runs postdeploy Jobs after the app without a release Kustomization', () => {
    const tree = appAgentManifests({ agent: 'flux', cluster: 'default', app: 'api', namespace: 'apps', hasRelease: false, hasPostdeploy: true, repoUrl: REPO, branch: 'main' });
    const objects = objectsOf(tree)['clusters/default/apps/api.yaml']!;
    expect(objects.map((o) => [(o.metadata as { name: string }).name, (o.spec as { dependsOn: unknown }).dependsOn])).toEqual([
      ['api', [{ name: 'platform' }]],
      ['api.postdeploy', [{ name: 'api' }]],
    ]);
  });

  test('fails if the app takes the name of a cluster Kustomization', () => {
    const options: AppAgentManifestsOptions = { agent: 'flux', cluster: 'default', app: 'apps', namespace: 'default', hasRelease: false, hasPostdeploy: false, repoUrl: REPO, branch: 'main' };
    expect(thrown(() => appAgentManifests(options)).message).toBe("app name 'apps' is taken by the Flux Kustomization in 'clusters/default/apps.yaml'; rename the app");
    expect(thrown(() => appAgentManifests({ ...options, app: 'platform' })).message).toBe(
      "app name 'platform' is taken by the Flux Kustomization in 'clusters/default/platform.yaml'; rename the app",
    );
  });

  test('fails if the app name is too long for its postdeploy Kustomization', () => {
    const app = `a${'b'.repeat(52)}`;
    const error = thrown(() => appAgentManifests({ agent: 'flux', cluster: 'default', app, namespace: 'default', hasRelease: false, hasPostdeploy: true, repoUrl: REPO, branch: 'main' }));
    expect(error.message).toBe(`app name '${app}' is too long for its Flux Kustomization '${app}.postdeploy': the name must be at most 63 characters, so the app name at most 52`);
    expect(error.kind).toBe('input');
    // the same name is fine without postdeploy Jobs
    expect(Object.keys(appAgentManifests({ agent: 'flux', cluster: 'default', app, namespace: 'default', hasRelease: true, hasPostdeploy: false, repoUrl: REPO, branch: 'main' }))).toEqual([
      `clusters/default/apps/${app}.yaml`,
    ]);
  });

  test('fails if the repo URL is scp-like, showing the ssh:// form', () => {
    const error = thrown(() => agentManifests({ agent: 'flux', repoUrl: 'git@github.com:acme/gitops.git', branch: 'main', cluster: 'default' }));
    expect(error.message).toBe("'repoUrl' must be an http, https or ssh URL for Flux, here 'ssh://git@github.com/acme/gitops.git'; received 'git@github.com:acme/gitops.git'");
    expect(error.kind).toBe('input');
  });

  test('fails if the repo URL is a local path', () => {
    const error = thrown(() => agentManifests({ agent: 'flux', repoUrl: '/srv/gitops.git', branch: 'main', cluster: 'default' }));
    expect(error.message).toBe("'repoUrl' must be an http, https or ssh URL for Flux, such as 'ssh://git@github.com/acme/gitops.git'; received '/srv/gitops.git'");
  });
});

describe('Argo CD', () => {
  const automated = { prune: true, selfHeal: true };
  const retry = { backoff: { duration: '10s', factor: 2, maxDuration: '3m' }, limit: 5 };

  test('writes the AppProject, the root Application and the platform Application', () => {
    // WHEN
    const tree = agentManifests({ agent: 'argocd', repoUrl: 'git@github.com:acme/gitops.git', branch: 'main', cluster: 'default' });
    // THEN
    expect(Object.keys(tree)).toEqual([
      'clusters/default/appproject.yaml',
      'clusters/default/apps/.gitkeep',
      'clusters/default/kustomization.yaml',
      'clusters/default/platform.yaml',
      'clusters/default/root.yaml',
    ]);
    const objects = objectsOf(tree);
    expect(objects['clusters/default/appproject.yaml']).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'dokku', namespace: 'argocd' },
        spec: {
          clusterResourceWhitelist: [
            { group: '', kind: 'Namespace' },
            { group: '', kind: 'PersistentVolume' },
            { group: 'cert-manager.io', kind: 'ClusterIssuer' },
            { group: 'keda.sh', kind: 'ClusterTriggerAuthentication' },
          ],
          description: 'Dokku apps delivered by dokku-gitops',
          destinations: [{ namespace: '*', server: 'https://kubernetes.default.svc' }],
          sourceRepos: ['git@github.com:acme/gitops.git'],
        },
      },
    ]);
    expect(objects['clusters/default/root.yaml']).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'dokku-apps', namespace: 'argocd' },
        spec: {
          destination: { namespace: 'argocd', server: 'https://kubernetes.default.svc' },
          project: 'dokku',
          source: { directory: { recurse: true }, path: 'clusters/default/apps', repoURL: 'git@github.com:acme/gitops.git', targetRevision: 'main' },
          syncPolicy: { automated, retry },
        },
      },
    ]);
    expect(objects['clusters/default/platform.yaml']).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { finalizers: ['resources-finalizer.argocd.argoproj.io'], name: 'dokku-platform', namespace: 'argocd' },
        spec: {
          destination: { server: 'https://kubernetes.default.svc' },
          project: 'dokku',
          source: { path: 'platform', repoURL: 'git@github.com:acme/gitops.git', targetRevision: 'main' },
          syncPolicy: { automated, retry },
        },
      },
    ]);
    expect(tree).toMatchSnapshot();
  });

  test('writes one Application per app, into its namespace', () => {
    // WHEN
    const tree = appAgentManifests({ agent: 'argocd', cluster: 'default', app: 'node-js-app', namespace: 'shop', hasRelease: false, hasPostdeploy: false, repoUrl: REPO, branch: 'main' });
    // THEN
    expect(objectsOf(tree)).toEqual({
      'clusters/default/apps/node-js-app.yaml': [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { finalizers: ['resources-finalizer.argocd.argoproj.io'], name: 'node-js-app', namespace: 'argocd' },
          spec: {
            destination: { namespace: 'shop', server: 'https://kubernetes.default.svc' },
            project: 'dokku',
            source: { path: 'apps/node-js-app', repoURL: REPO, targetRevision: 'main' },
            syncPolicy: { automated, retry, syncOptions: ['CreateNamespace=true'] },
          },
        },
      ],
    });
  });

  test('adds the release and postdeploy folders as sources, so their hook Jobs are synced', () => {
    // WHEN
    const tree = appAgentManifests({ agent: 'argocd', cluster: 'default', app: 'node-js-app', namespace: 'default', hasRelease: true, hasPostdeploy: true, repoUrl: REPO, branch: 'main' });
    // THEN
    const [application] = objectsOf(tree)['clusters/default/apps/node-js-app.yaml']!;
    expect((application!.spec as { source?: unknown }).source).toBeUndefined();
    expect((application!.spec as { sources: unknown }).sources).toEqual([
      { path: 'apps/node-js-app/release', repoURL: REPO, targetRevision: 'main' },
      { path: 'apps/node-js-app', repoURL: REPO, targetRevision: 'main' },
      { path: 'apps/node-js-app/postdeploy', repoURL: REPO, targetRevision: 'main' },
    ]);
    expect(tree).toMatchSnapshot();
  });

  test('fails if the app takes the name of a cluster Application', () => {
    const error = thrown(() =>
      appAgentManifests({ agent: 'argocd', cluster: 'default', app: 'dokku-apps', namespace: 'default', hasRelease: false, hasPostdeploy: false, repoUrl: REPO, branch: 'main' }),
    );
    expect(error.message).toBe("app name 'dokku-apps' is taken by an Argo CD Application in 'clusters/default/'; rename the app");
  });

  test('fails if the repo URL is not one Argo CD can clone', () => {
    const error = thrown(() => agentManifests({ agent: 'argocd', repoUrl: 'github.com/acme/gitops', branch: 'main', cluster: 'default' }));
    expect(error.message).toBe(
      "'repoUrl' must be a URL Argo CD can clone, such as 'https://github.com/acme/gitops.git' or 'git@github.com:acme/gitops.git'; received 'github.com/acme/gitops'",
    );
  });
});

describe('validation', () => {
  test('the models reject a malformed agent object', () => {
    // GIVEN a Kustomization whose prune is a string: proves the validation used above is not a no-op
    const tree = appAgentManifests({ agent: 'flux', cluster: 'default', app: 'api', namespace: 'default', hasRelease: false, hasPostdeploy: false, repoUrl: REPO, branch: 'main' });
    const [object] = parseDocuments('x', tree['clusters/default/apps/api.yaml']!);
    (object!.spec as Record<string, unknown>).prune = 'yes';
    // THEN
    expect(() => validate(object!)).toThrow(/prune/);
  });

  test.each([
    [{ cluster: 'Prod' }, "'cluster' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received 'Prod'"],
    [{ cluster: '../x' }, "'cluster' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received '../x'"],
    [{ branch: 'a b' }, "'branch' must be a valid git branch name, such as 'main'; received 'a b'"],
    [{ branch: 'feature..x' }, "'branch' must be a valid git branch name, such as 'main'; received 'feature..x'"],
    [{ branch: '-main' }, "'branch' must be a valid git branch name, such as 'main'; received '-main'"],
    [{ branch: '' }, "'branch' must be a valid git branch name, such as 'main'; received ''"],
    [{ repoUrl: '' }, "'repoUrl' must be the URL the cluster clones, such as 'https://github.com/acme/gitops.git'; received ''"],
    [{ agent: 'jenkins' }, "'agent' must be one of flux, argocd; received 'jenkins'"],
    [{ gitSecret: 'Git_Auth' }, "'gitSecret' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received 'Git_Auth'"],
  ])('fails if the options have %j', (override, message) => {
    const error = thrown(() => agentManifests({ agent: 'flux', repoUrl: REPO, branch: 'main', cluster: 'default', ...override } as never));
    expect(error.message).toBe(message);
    expect(error.kind).toBe('input');
  });

  test.each([
    [{ app: '../etc' }, "'app' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received '../etc'"],
    [{ app: 'apps/x' }, "'app' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received 'apps/x'"],
    [{ namespace: 'Shop' }, "'namespace' must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters); received 'Shop'"],
  ])('fails if the app options have %j', (override, message) => {
    const base: AppAgentManifestsOptions = { agent: 'argocd', cluster: 'default', app: 'api', namespace: 'default', hasRelease: false, hasPostdeploy: false, repoUrl: REPO, branch: 'main' };
    expect(thrown(() => appAgentManifests({ ...base, ...override })).message).toBe(message);
  });

  test('gives byte-identical files for the same options', () => {
    const options = { agent: 'flux', repoUrl: REPO, branch: 'main', cluster: 'default' } as const;
    expect(agentManifests(options)).toEqual(agentManifests(options));
  });
});

describe('detectAgent', () => {
  const read = (tree: FileTree) => (path: string) => tree[path];

  test('finds Flux, Argo CD or nothing from the cluster files', () => {
    const flux = agentManifests({ agent: 'flux', repoUrl: REPO, branch: 'main', cluster: 'default' });
    const argo = agentManifests({ agent: 'argocd', repoUrl: REPO, branch: 'main', cluster: 'prod' });
    const repo = { ...flux, ...argo };
    expect(detectAgent(read(repo), 'default')).toBe('flux');
    expect(detectAgent(read(repo), 'prod')).toBe('argocd');
    expect(detectAgent(read(repo), 'staging')).toBeUndefined();
  });

  test('does not take a look-alike file for an agent', () => {
    const tree = { 'clusters/default/gitrepository.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gitrepository\n' };
    expect(detectAgent(read(tree), 'default')).toBeUndefined();
  });

  test('fails if the cluster folder holds both agents', () => {
    const flux = agentManifests({ agent: 'flux', repoUrl: REPO, branch: 'main', cluster: 'default' });
    const argo = agentManifests({ agent: 'argocd', repoUrl: REPO, branch: 'main', cluster: 'default' });
    const error = thrown(() => detectAgent(read({ ...argo, ...flux }), 'default'));
    expect(error.message).toBe(
      "'clusters/default/' holds both Flux ('gitrepository.yaml') and Argo CD ('root.yaml') agent files; remove the files of the agent the cluster does not run",
    );
  });
});

describe('writeAgentFiles', () => {
  test('writes the files once, and kubectl kustomize builds the cluster folder', async () => {
    // GIVEN
    const out = tempDir();
    const options = { agent: 'flux', repoUrl: REPO, branch: 'main', cluster: 'default', out } as const;
    // WHEN
    const first = await writeAgentFiles(options);
    const second = await writeAgentFiles(options);
    // THEN
    expect(first).toEqual({
      written: ['clusters/default/apps.yaml', 'clusters/default/apps/.gitkeep', 'clusters/default/gitrepository.yaml', 'clusters/default/kustomization.yaml', 'clusters/default/platform.yaml'],
      unchanged: [],
    });
    expect(second).toEqual({ written: [], unchanged: first.written });
    expect(readFileSync(join(out, 'clusters/default/platform.yaml'), 'utf8')).toBe(agentManifests(options)['clusters/default/platform.yaml']);
    const built = execFileSync('kubectl', ['kustomize', join(out, 'clusters/default')], { encoding: 'utf8' });
    // kustomize orders the output by kind and name itself
    expect(parseDocuments('built', built).map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`).sort()).toEqual([
      'GitRepository/dokku-gitops',
      'Kustomization/apps',
      'Kustomization/platform',
    ]);
  });

  test('kubectl kustomize builds the Argo CD cluster folder', async () => {
    const out = tempDir();
    await writeAgentFiles({ agent: 'argocd', repoUrl: REPO, branch: 'main', cluster: 'default', out });
    const built = execFileSync('kubectl', ['kustomize', join(out, 'clusters/default')], { encoding: 'utf8' });
    // kustomize orders the output by kind and name itself
    expect(parseDocuments('built', built).map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`).sort()).toEqual([
      'AppProject/dokku',
      'Application/dokku-apps',
      'Application/dokku-platform',
    ]);
  });
});

describe('bootstrapSteps', () => {
  test('tells a Flux cluster to create the age key Secret and apply the cluster folder', () => {
    expect(bootstrapSteps({ agent: 'flux', cluster: 'prod', branch: 'main', identityPath: '/root/.dokku-gitops/age.key' })).toEqual([
      "# 1. commit and push clusters/prod/ to the 'main' branch",
      '# 2. install Flux (once per cluster): flux install, or kubectl apply -f https://github.com/fluxcd/flux2/releases/latest/download/install.yaml',
      "# 3. give Flux the age private key that decrypts the repo's Secrets",
      'kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=/root/.dokku-gitops/age.key',
      '# 4. apply the GitRepository and the platform and apps Kustomizations',
      'kubectl apply -k clusters/prod',
    ]);
  });

  test('tells an Argo CD cluster to apply the cluster folder and how to handle secrets', () => {
    expect(bootstrapSteps({ agent: 'argocd', cluster: 'default', branch: 'main' })).toEqual([
      "# 1. commit and push clusters/default/ to the 'main' branch",
      '# 2. install Argo CD in the argocd namespace (once per cluster), and register the repo if it is private',
      '# 3. apply the AppProject and the dokku-apps and dokku-platform Applications',
      'kubectl apply -k clusters/default',
      '# Argo CD cannot decrypt SOPS files by itself: deploy with --secrets sealed-secrets, or install a SOPS plugin such as KSOPS',
    ]);
  });
});

describe('Flux Kustomization names never clash between apps', () => {
  test('names release and postdeploy Kustomizations with a dot, which no app name has', () => {
    // GIVEN an app with release and postdeploy Jobs, and another app named like its release Kustomization would be with a dash
    const base = { agent: 'flux' as const, cluster: 'default', namespace: 'default', repoUrl: 'ssh://git@example.com/x.git', branch: 'main' };
    const shop = appAgentManifests({ ...base, app: 'shop', hasRelease: true, hasPostdeploy: true });
    const other = appAgentManifests({ ...base, app: 'shop-release', hasRelease: false, hasPostdeploy: false });
    // WHEN
    const names = [...Object.values(shop), ...Object.values(other)].flatMap((text) => parseAllDocuments(text).map((d) => d.toJS()?.metadata?.name)).filter(Boolean);
    // THEN
    expect(names.sort()).toEqual(['shop', 'shop-release', 'shop.postdeploy', 'shop.release']);
    expect(new Set(names).size).toBe(names.length);
  });

  test('fails if an app is named flux-system', () => {
    expect(() => appAgentManifests({ agent: 'flux', cluster: 'default', app: 'flux-system', namespace: 'default', hasRelease: false, hasPostdeploy: false, repoUrl: 'ssh://git@example.com/x.git', branch: 'main' })).toThrow(
      "app name 'flux-system' is taken by Flux's own Kustomization (flux bootstrap); rename the app",
    );
  });
});

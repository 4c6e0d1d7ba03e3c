/**
 * Test fixtures for the git writer: temporary folders, bare remotes, reading a remote's history
 * and trees with plain git, and synthetic compiled apps built with the compiler's own
 * `folderManifests` (so the layout is the real one).
 */
import { afterAll, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderManifests, type CompiledApp, type CompileResult } from '../../src/compile.js';

/** A fixed HMAC key, so sealed files and digests are deterministic. */
export const HMAC_KEY_HEX = '0f'.repeat(32);

/** Folders to remove after the test file. */
const made: string[] = [];

/** A new temporary folder, removed by {@link cleanup}. */
export function tempDir(prefix = 'dokku-gitops-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Remove every folder made by {@link tempDir}. */
export function cleanup(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Run git and return stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', LC_ALL: 'C' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** An empty bare repository whose default branch is `main`. */
export function bareRemote(parent = tempDir()): string {
  const dir = join(parent, 'remote.git');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  return dir;
}

/** Commit files to a branch of a remote with plain git (someone else's push). */
export function pushFiles(remote: string, files: Record<string, string | null>, message = 'seed', branch = 'main'): string {
  const work = tempDir('dokku-gitops-seed-');
  git(work, 'init', '--quiet', `--initial-branch=${branch}`);
  git(work, 'remote', 'add', 'origin', remote);
  const has = git(remote, 'for-each-ref', '--format=%(refname)', `refs/heads/${branch}`).trim() !== '';
  if (has) {
    git(work, 'fetch', '--quiet', 'origin', branch);
    git(work, 'checkout', '--quiet', '-B', branch, 'FETCH_HEAD');
  }
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      git(work, 'rm', '-r', '--quiet', '--', path);
      continue;
    }
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
  git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  return git(work, 'rev-parse', 'HEAD').trim();
}

/** The files of a commit of a remote: path -> content. */
export function treeAt(remote: string, ref = 'main'): Record<string, string> {
  const out: Record<string, string> = {};
  const paths = git(remote, 'ls-tree', '-r', '--name-only', '-z', ref).split('\0').filter(Boolean);
  for (const p of paths) out[p] = git(remote, 'show', `${ref}:${p}`);
  return out;
}

/** The paths of a commit of a remote. */
export function pathsAt(remote: string, ref = 'main'): string[] {
  return git(remote, 'ls-tree', '-r', '--name-only', '-z', ref).split('\0').filter(Boolean).sort();
}

/** Commits of a branch of a remote, newest first: sha, parents, subject, full message. */
export function history(remote: string, ref = 'main'): { sha: string; parents: string[]; subject: string; message: string }[] {
  const out = git(remote, 'log', '--format=%H%x1f%P%x1f%s%x1f%B%x1e', ref);
  return out
    .split('\x1e')
    .map((c) => c.replace(/^\n/, ''))
    .filter((c) => c.trim() !== '')
    .map((c) => {
      const [sha = '', parents = '', subject = '', message = ''] = c.split('\x1f');
      return { sha, parents: parents.split(' ').filter(Boolean), subject, message };
    });
}

/** Options of {@link syntheticApp}. */
export interface SyntheticAppOptions {
  readonly image?: string;
  readonly replicas?: number;
  /** Env Secret data (plaintext values); no Secret when absent. */
  readonly secret?: Record<string, string>;
  /** Extra ConfigMaps, by name. */
  readonly configMaps?: readonly string[];
  readonly namespace?: string;
}

/** A compiled app as the compiler would produce it: Deployment, Service, optional Secret and ConfigMaps. */
export function syntheticApp(name: string, o: SyntheticAppOptions = {}): CompiledApp {
  const ns = o.namespace ?? 'default';
  const labels = { 'app.kubernetes.io/name': name };
  const objects: Record<string, unknown>[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${name}-web`, namespace: ns, labels },
      spec: {
        replicas: o.replicas ?? 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: `${name}-web`,
                image: o.image ?? `registry.example.com/${name}:1`,
                ports: [{ containerPort: 5000 }],
                ...(o.secret ? { envFrom: [{ secretRef: { name: `${name}-env` } }] } : {}),
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-web`, namespace: ns, labels },
      spec: { selector: labels, ports: [{ name: 'http', port: 5000, targetPort: 5000 }] },
    },
    ...(o.configMaps ?? []).map((cm) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm, namespace: ns }, data: { k: cm } })),
  ];
  if (o.secret) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-env`, namespace: ns },
      type: 'Opaque',
      stringData: o.secret,
    });
  }
  return { name, dir: `apps/${name}`, manifests: folderManifests(`apps/${name}`, objects), stateDigestInput: JSON.stringify({ name, ...o }) };
}

/** A compile result of synthetic apps. */
export function compiled(...apps: CompiledApp[]): CompileResult {
  return { apps, platform: [], global: false };
}

/**
 * For the tests of one file: sets `DOKKU_GITOPS_HMAC_KEY` to {@link HMAC_KEY_HEX} (deploy reads the
 * host key from it), restores it afterwards, and removes the temporary directories.
 */
export function useTestHmacKey(): void {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.DOKKU_GITOPS_HMAC_KEY;
    process.env.DOKKU_GITOPS_HMAC_KEY = HMAC_KEY_HEX;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.DOKKU_GITOPS_HMAC_KEY;
    else process.env.DOKKU_GITOPS_HMAC_KEY = saved;
    cleanup();
  });
}

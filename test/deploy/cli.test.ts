/**
 * The built CLI (`node bin/dokku-gitops.cjs`) against bare remotes on disk: exit codes and exact
 * messages, concurrent processes, processes killed with SIGKILL, and a remote that goes away.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateFiles } from '../_support/validate.js';
import { HMAC_KEY_HEX, bareRemote, cleanup, git, history, pathsAt, tempDir, treeAt } from './_repo-fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
let CLI: string;
let home: string;

beforeAll(() => {
  // `npm test` builds first; rebuilding here would delete dist/ under the other test files.
  // Run a copy of the build (bin/ and the self-contained bundle in dist/): a rebuild in the shared
  // checkout while these tests run would otherwise swap the CLI under the running processes
  const copy = tempDir('dokku-gitops-cli-');
  execFileSync('flock', ['/tmp/dokku-gitops-build.lock', 'cp', '-r', join(ROOT, 'bin'), join(ROOT, 'dist'), copy]);
  CLI = join(copy, 'bin', 'dokku-gitops.cjs');
  home = tempDir();
  execFileSync('node', [CLI, 'keys', 'init'], { env: env(), stdio: 'pipe' });
}, 180_000);
afterAll(cleanup);

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, DOKKU_GITOPS_HOME: home, DOKKU_GITOPS_HMAC_KEY: HMAC_KEY_HEX, ...extra };
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Start the CLI; `done` resolves when it exits. */
function start(args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn('node', [CLI, ...args], { env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

function run(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return start(args, extraEnv).done;
}

/** A state file of one app, with a secret value that must never reach Git in plain text. */
function stateFile(dir: string, app: string, version: number, replicas = 1): { path: string; secret: string } {
  const secret = `secret-${app}-v${version}-${Math.random().toString(36).slice(2)}`;
  const path = join(dir, `${app}-v${version}.yaml`);
  writeFileSync(
    path,
    [
      'apiVersion: dokku-gitops/v1',
      'kind: App',
      'metadata:',
      `  name: ${app}`,
      'spec:',
      `  image: registry.example.com/dokku/${app}:${version}`,
      '  procfile: |',
      '    web: npm start',
      '    worker: node worker.js',
      `  scale: {web: ${replicas}, worker: 1}`,
      `  config: {SECRET_TOKEN: ${secret}, VERSION: "${version}"}`,
      '',
    ].join('\n'),
  );
  return { path, secret };
}

/** Every commit of a remote branch has complete app folders: `kubectl kustomize` builds each, and its objects validate. */
async function checkEveryCommit(remote: string): Promise<number> {
  const seen = new Set<string>();
  let checked = 0;
  for (const commit of history(remote)) {
    const folders = git(remote, 'ls-tree', '--format=%(objectname) %(path)', `${commit.sha}:apps`)
      .trim()
      .split('\n')
      .filter(Boolean);
    for (const line of folders) {
      const [tree, app] = line.split(' ') as [string, string];
      if (seen.has(tree)) continue;
      seen.add(tree);
      const dir = join(tempDir('dokku-gitops-folder-'), app);
      mkdirSync(dir);
      execFileSync('sh', ['-c', `git archive --format=tar ${tree} | tar -x -C '${dir}'`], { cwd: remote });
      const built = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      const objects = parseAllDocuments(built).map((d) => d.toJS() as Record<string, unknown>);
      const plain = objects.filter((o) => !('sops' in o));
      expect(plain.length).toBeGreaterThan(0);
      expect(await validateFiles(Object.fromEntries(plain.map((o, i) => [`${i}.yaml`, JSON.stringify(o)])))).toBe(plain.length);
      checked += 1;
    }
  }
  return checked;
}

/** Every blob ever pushed, as text. */
function allBlobs(remote: string): string {
  return execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: remote, maxBuffer: 1 << 28 }).toString('latin1');
}

describe('dokku-gitops deploy (CLI)', () => {
  test('deploys, prints up to date the second time; diff exits 1 with changes and 0 without', async () => {
    // GIVEN
    const dir = tempDir();
    const remote = bareRemote(dir);
    const v1 = stateFile(dir, 'shop', 1);
    const v2 = stateFile(dir, 'shop', 2);
    // WHEN
    const first = await run(['deploy', v1.path, '--repo', remote]);
    const second = await run(['deploy', v1.path, '--repo', remote]);
    const changed = await run(['diff', v2.path, '--repo', remote]);
    const same = await run(['diff', v1.path, '--repo', remote]);
    // THEN
    expect([first.code, first.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^pushed [0-9a-f]{12} to ${remote}: deploy shop: new app, image registry.example.com/dokku/shop:1, web replicas 1, worker replicas 1\n$`))]);
    expect([second.code, second.stdout]).toEqual([0, 'up to date\n']);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('| Image | `registry.example.com/dokku/shop:1` → `registry.example.com/dokku/shop:2`');
    expect(changed.stdout).not.toContain(v2.secret);
    expect([same.code, same.stdout]).toEqual([0, 'up to date\n']);
    expect(history(remote)).toHaveLength(1);
    expect(allBlobs(remote).includes(v1.secret)).toBe(false);
  });

  test('diff exits 3, not 1 ("changes"), when the comparison cannot be made', async () => {
    // GIVEN a remote nobody listens for (a closed loopback port)
    const dir = tempDir();
    // WHEN
    const result = await run(['diff', stateFile(dir, 'shop', 1).path, '--repo', 'git://127.0.0.1:1/gitops.git']);
    // THEN
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: cannot reach the remote 'git:\/\/127\.0\.0\.1:1\/gitops\.git'/m);
  });

  test('bad input: exact messages, exit code 2', async () => {
    // GIVEN
    const dir = tempDir();
    const remote = bareRemote(dir);
    const state = stateFile(dir, 'shop', 1);
    const missing = join(dir, 'missing.git');
    git(dir, 'clone', '--quiet', remote, 'seed');
    writeFileSync(join(dir, 'seed', 'README.md'), 'x\n');
    git(join(dir, 'seed'), 'add', 'README.md');
    git(join(dir, 'seed'), 'commit', '--quiet', '-m', 'seed');
    git(join(dir, 'seed'), 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    const noKeys = tempDir();
    // WHEN
    const results = await Promise.all([
      run(['deploy', state.path, '--repo', missing]),
      run(['deploy', state.path, '--repo', remote, '--branch', 'live']),
      run(['deploy', state.path, '--repo', remote, '--workdir', join(dir, 'w1')], { DOKKU_GITOPS_HOME: noKeys }),
      run(['destroy', '../../etc', '--repo', remote]),
      run(['deploy', state.path, '--repo', remote, '--secrets', 'plaintext', '--workdir', join(dir, 'w2')]),
      run(['deploy', state.path, '--repo', remote, '--forge', 'github']),
    ]);
    // THEN
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [2, `error: '--repo' '${missing}' does not exist or is not a git repository\n`],
      [2, `error: '--branch' 'live' does not exist in '${remote}' (branches: main)\n`],
      [2, "error: no age recipient configured: run 'dokku-gitops keys init' or pass --age-recipient, or add one to .sops.yaml\n"],
      [
        2,
        "error: app name '../../etc' would escape 'apps/' or is not a valid app name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters\n",
      ],
      [
        2,
        "error: refusing to commit plaintext Secrets (apps/shop/secret-config-shop.yaml): use '--secrets sops' or '--secrets sealed-secrets', or pass '--allow-plaintext-secrets' for a throwaway demo\n",
      ],
      [2, "error: '--forge github' needs '--mode pr', got '--mode direct'\n"],
    ]);
    expect(pathsAt(remote)).toEqual(['README.md']);
  });

  test.each([
    ['a shared working clone', false],
    ['separate working clones', true],
  ])('20 deploys of 20 apps started at once, %s: all exit 0, all 20 commits reach the remote, linear history', async (_name, separate) => {
    // GIVEN
    const dir = tempDir();
    const remote = bareRemote(dir);
    const states = Array.from({ length: 20 }, (_, i) => stateFile(dir, `app-${String(i).padStart(2, '0')}`, 1));
    // WHEN
    const runs = await Promise.all(
      states.map((s, i) => run(['deploy', s.path, '--repo', remote, ...(separate ? ['--workdir', join(dir, `w${i}`)] : [])])),
    );
    // THEN
    // a failing run shows its stderr in the assertion
    expect(runs.map((r) => (r.code === 0 && !r.stderr.includes('error') ? 'ok' : `exit ${r.code}: ${r.stderr}`))).toEqual(runs.map(() => 'ok'));
    const log = history(remote);
    expect(log).toHaveLength(20);
    expect(log.every((c) => c.parents.length <= 1)).toBe(true);
    expect(log.map((c) => c.subject.split(':')[0]).sort()).toEqual(states.map((_, i) => `deploy app-${String(i).padStart(2, '0')}`));
    // each commit changes exactly its own app folder
    for (const c of log) {
      const app = c.subject.split(':')[0]!.slice('deploy '.length);
      const paths = git(remote, 'diff-tree', '--no-commit-id', '--name-only', '-r', '--root', c.sha).trim().split('\n');
      expect(paths.filter((p) => !['.sops.yaml', 'platform/dokku/kustomization.yaml', 'platform/kustomization.yaml'].includes(p)).every((p) => p.startsWith(`apps/${app}/`))).toBe(true);
    }
    const apps = new Set(pathsAt(remote).filter((p) => p.startsWith('apps/')).map((p) => p.split('/')[1]));
    expect(apps.size).toBe(20);
    const blobs = allBlobs(remote);
    expect(states.filter((s) => blobs.includes(s.secret))).toEqual([]);
  }, 240_000);

  test.each([
    ['a shared working clone', false],
    ['separate working clones', true],
  ])('2 concurrent deploys of the same app end with the newer state on the remote (%s)', async (_name, separate) => {
    // GIVEN
    const dir = tempDir();
    const remote = bareRemote(dir);
    await run(['deploy', stateFile(dir, 'shop', 1).path, '--repo', remote]);
    const older = stateFile(dir, 'shop', 2, 2);
    const newer = stateFile(dir, 'shop', 3, 3);
    // WHEN the newer deploy starts 100 ms after the older one
    const a = start(['deploy', older.path, '--repo', remote, ...(separate ? ['--workdir', join(dir, 'wa')] : [])]);
    await new Promise((r) => setTimeout(r, 100));
    const b = start(['deploy', newer.path, '--repo', remote, ...(separate ? ['--workdir', join(dir, 'wb')] : [])]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    // THEN
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const deployment = treeAt(remote)['apps/shop/deployment-shop-web.yaml']!;
    expect(deployment).toContain('image: registry.example.com/dokku/shop:3');
    expect(deployment).toContain('replicas: 3');
    expect(history(remote).every((c) => c.parents.length <= 1)).toBe(true);
  }, 120_000);

  test('SIGKILL at random points, 10 trials: the next deploy succeeds and every commit on the remote has complete app folders', async () => {
    // GIVEN a repository with three apps
    const dir = tempDir();
    const remote = bareRemote(dir);
    const apps = ['alpha', 'bravo', 'charlie'];
    // the fastest of these deploys reuses the working clone the first one made: a deploy of a
    // change takes about that long, so kills within it land before the process ends
    let duration = Number.POSITIVE_INFINITY;
    for (const app of apps) {
      const t = Date.now();
      expect((await run(['deploy', stateFile(dir, app, 0).path, '--repo', remote])).code).toBe(0);
      duration = Math.min(duration, Date.now() - t);
    }
    const secrets: string[] = [];
    const outcomes: string[] = [];
    for (let trial = 1; trial <= 10; trial++) {
      const app = apps[trial % apps.length]!;
      const state = stateFile(dir, app, trial, 1 + (trial % 3));
      secrets.push(state.secret);
      // WHEN a deploy is killed somewhere between start-up and push
      const victim = start(['deploy', state.path, '--repo', remote]);
      // anywhere from start-up to the push
      const delay = Math.floor(Math.random() * 0.8 * duration);
      await new Promise((r) => setTimeout(r, delay));
      victim.child.kill('SIGKILL');
      const killed = await victim.done;
      outcomes.push(killed.signal === 'SIGKILL' ? 'killed' : `exited ${killed.code}`);
      // THEN the next deploy of the same state succeeds and leaves the remote at that state
      const next = await run(['deploy', state.path, '--repo', remote]);
      expect([trial, delay, next.code, next.stderr.replace(/^(recovering|waiting).*\n/gm, '')]).toEqual([trial, delay, 0, expect.not.stringContaining('error')]);
      expect(treeAt(remote)[`apps/${app}/deployment-${app}-web.yaml`]).toContain(`image: registry.example.com/dokku/${app}:${trial}`);
    }
    expect(outcomes.filter((o) => o === 'killed').length).toBeGreaterThan(3);
    expect(history(remote).every((c) => c.parents.length <= 1)).toBe(true);
    expect(await checkEveryCommit(remote)).toBeGreaterThanOrEqual(13);
    const blobs = allBlobs(remote);
    expect(secrets.filter((s) => blobs.includes(s))).toEqual([]);
  }, 240_000);

  test('a remote that is unreachable and then back: the deploy exits 1 naming it, the queued commit arrives with push', async () => {
    // GIVEN a git daemon serving the remote on loopback
    const dir = tempDir();
    const remote = bareRemote(dir);
    const port = await freePort();
    const url = `git://127.0.0.1:${port}/remote.git`;
    let daemon = startDaemon(dir, port);
    await waitForDaemon(url);
    const v1 = stateFile(dir, 'shop', 1);
    const v2 = stateFile(dir, 'shop', 2);
    try {
      expect((await run(['deploy', v1.path, '--repo', url])).code).toBe(0);
      // WHEN the daemon goes away
      daemon.kill('SIGKILL');
      await new Promise((r) => daemon.once('close', r));
      const down = await run(['deploy', v2.path, '--repo', url]);
      const stillDown = await run(['push', '--repo', url]);
      // THEN
      expect(down.code).toBe(1);
      const refused = 'unable to connect to 127.0.0.1: 127.0.0.1[0: 127.0.0.1]: errno=Connection refused';
      const workdir = down.stderr.match(/queued in '([^']+)'/)?.[1] ?? '';
      expect(down.stderr.replace(/committed [0-9a-f]{12}/, 'committed <sha>')).toBe(
        [
          `warning: cannot reach '${url}' (${refused}); working from the last fetched state`,
          'committed <sha> deploy shop: image :1 -> :2, env ~SECRET_TOKEN ~VERSION',
          `error: could not push to '${url}' (branch 'main'): cannot reach the remote: ${refused}; ` +
            `1 commit is queued in '${workdir}' and will be delivered by the next 'dokku-gitops deploy' or 'dokku-gitops push'`,
          '',
        ].join('\n'),
      );
      expect(workdir.startsWith(join(home, 'work', 'git-127.0.0.1-'))).toBe(true);
      expect(stillDown.code).toBe(1);
      expect(history(remote)).toHaveLength(1);
      // WHEN it is back
      daemon = startDaemon(dir, port);
      await waitForDaemon(url);
      const pushed = await run(['push', '--repo', url]);
      // THEN
      expect([pushed.code, pushed.stdout]).toEqual([0, `pushed 1 queued commit to ${url}\n`]);
      expect(history(remote).map((c) => c.subject)).toEqual(['deploy shop: image :1 -> :2, env ~SECRET_TOKEN ~VERSION', expect.stringMatching(/^deploy shop: new app/)]);
      expect((await run(['deploy', v2.path, '--repo', url])).stdout).toBe('up to date\n');
    } finally {
      daemon.kill('SIGKILL');
    }
  }, 120_000);
});

function startDaemon(base: string, port: number): ChildProcess {
  // the git-daemon binary itself: `git daemon` would run it as a child that survives a kill of `git`
  const daemon = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-daemon');
  return spawn(
    daemon,
    ['--reuseaddr', '--export-all', '--enable=receive-pack', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${base}`, base],
    { stdio: 'ignore' },
  );
}

async function waitForDaemon(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('git', ['ls-remote', url], { stdio: 'pipe' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`git daemon at ${url} did not start`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `dokku gitops:*` subcommands, run as Dokku runs a plugin's subcommands:
 * `$PLUGIN_ENABLED_PATH/gitops/subcommands/<name> gitops:<name> <args>`.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { PluginHost } from './_host.js';

// each test runs several deploys (node, git, SOPS); under a full parallel run they take a while
vi.setConfig({ testTimeout: 180_000 });

const APP = 'node-js-app';

describe('gitops:set and gitops:report', () => {
  let host: PluginHost;
  beforeAll(() => {
    host = new PluginHost('herokuish-app');
  });
  afterAll(() => host.cleanup());

  test('stores properties the Dokku way, app over global over default', () => {
    // GIVEN / WHEN
    const runs = [
      host.subcommand('set', ['--global', 'repo', 'git@github.com:acme/gitops.git']),
      host.subcommand('set', ['--global', 'mode', 'pr']),
      host.subcommand('set', [APP, 'mode', 'direct']),
      host.subcommand('set', [APP, 'forge', 'gitea']),
      host.subcommand('set', [APP, 'age-recipients', 'age1abc, age1def']),
    ];

    // THEN
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0, 0]);
    expect(runs[0]!.stdout).toBe('=====> Setting repo to git@github.com:acme/gitops.git\n');
    expect(host.property('gitops', '--global', 'repo')).toBe('git@github.com:acme/gitops.git');
    expect(host.property('gitops', APP, 'mode')).toBe('direct');
    const report = JSON.parse(host.subcommand('report', [APP, '--format', 'json']).stdout) as Record<string, string>;
    expect(report).toEqual(
      expect.objectContaining({
        repo: '',
        'global-repo': 'git@github.com:acme/gitops.git',
        'computed-repo': 'git@github.com:acme/gitops.git',
        mode: 'direct',
        'global-mode': 'pr',
        'computed-mode': 'direct',
        'computed-branch': 'main',
        'computed-cluster': 'default',
        'computed-secrets': 'sops',
        'computed-forge': 'gitea',
        'age-recipients': 'age1abc, age1def',
        'image-tag': '',
        stopped: '',
      }),
    );
    expect(host.subcommand('report', [APP, '--gitops-computed-mode']).stdout).toBe('direct\n');
    expect(host.subcommand('report', ['--global', '--gitops-global-mode']).stdout).toBe('pr\n');
  });

  test('an empty value unsets the property', () => {
    // GIVEN
    expect(host.subcommand('set', [APP, 'branch', 'live']).status).toBe(0);

    // WHEN
    const run = host.subcommand('set', [APP, 'branch']);

    // THEN
    expect(run).toEqual({ status: 0, stdout: '=====> Unsetting branch\n', stderr: '' });
    expect(host.property('gitops', APP, 'branch')).toBeUndefined();
  });

  test('the report prints like Dokku reports', () => {
    // GIVEN / WHEN
    const run = host.subcommand('report', [APP]);

    // THEN
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('=====> node-js-app gitops information');
    expect(lines).toContain('       Gitops computed repo:                git@github.com:acme/gitops.git');
    expect(run.status).toBe(0);
  });

  test.each([
    [[APP, 'colour', 'blue'], " !     Invalid key 'colour', valid keys: repo branch mode cluster forge forge-url forge-repo forge-token-env secrets sealed-secrets-cert age-recipients author committer agent-repo-url home release-tasks\n"],
    [[APP, 'release-tasks', 'both'], " !     Invalid release-tasks 'both', valid values: cluster, host\n"],
    [[APP, 'mode', 'yolo'], " !     Invalid mode 'yolo', valid values: direct, pr\n"],
    [[APP, 'forge', 'bitbucket'], " !     Invalid forge 'bitbucket', valid values: github, gitlab, gitea\n"],
    [[APP, 'secrets', 'plaintext'], " !     Invalid secrets 'plaintext', valid values: sops, sealed-secrets\n"],
    [[APP, 'forge-token-env', 'MY-TOKEN'], " !     Invalid forge-token-env 'MY-TOKEN': the name of an environment variable\n"],
    [[APP, 'home', '/srv/gitops'], " !     'home' is global only: dokku gitops:set --global home <dir>\n"],
    [['nosuch-app', 'repo', '/srv/gitops.git'], ' !     App nosuch-app does not exist\n'],
  ])('fails if gitops:set %j', (args, message) => {
    // GIVEN / WHEN
    const run = host.subcommand('set', args);

    // THEN
    expect(run.stderr).toBe(message);
    expect(run.status).not.toBe(0);
  });

  test('gitops:help lists the subcommands', () => {
    // GIVEN / WHEN
    const run = host.subcommand('help', []);

    // THEN
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('gitops:set <app>|--global <key> (<value>)');
    expect(run.stdout).toContain('gitops:sync <app>');
  });

  test('the commands file leaves other commands to other plugins', () => {
    // GIVEN / WHEN
    const run = host.run(`${host.enabled}/commands`, ['apps:list']);

    // THEN
    expect(run.status).toBe(10);
  });
});

describe('gitops:sync, gitops:diff and gitops:push', () => {
  let host: PluginHost;
  beforeAll(() => {
    host = new PluginHost('herokuish-app');
    host.selectScheduler(APP, 'gitops');
    expect(host.subcommand('set', ['--global', 'repo', host.remote]).status).toBe(0);
  });
  afterAll(() => host.cleanup());

  test('fails if the app was never deployed', () => {
    // GIVEN / WHEN
    const run = host.subcommand('sync', [APP]);

    // THEN
    expect(run.stderr).toBe(' !     node-js-app has not been deployed with the gitops scheduler yet: deploy it first (git push, or dokku ps:rebuild node-js-app)\n');
    expect(run.status).toBe(1);
  });

  test('diff shows the changes of a settings change, sync commits them, diff is then clean', () => {
    // GIVEN a deployed app
    expect(host.trigger('scheduler-deploy', ['gitops', APP, 'latest', ''], { DOKKU_PID: '4242' }).status).toBe(0);
    host.corePostDeploy(APP, '4242');
    const clean = host.subcommand('diff', [APP]);
    expect(clean.stdout).toBe('up to date\n');
    expect(clean.status).toBe(0);

    // WHEN ps:scale web=3 was set with --skip-deploy
    host.record(`ps:scale ${APP} --format json`, '[{"process_type":"web","quantity":3},{"process_type":"worker","quantity":1}]\n');
    const diff = host.subcommand('diff', [APP]);
    const sync = host.subcommand('sync', [APP]);

    // THEN
    expect(diff.status).toBe(1);
    expect(diff.stdout).toContain('| Replicas | `node-js-app-web`: 2 → 3 |');
    expect(sync.status).toBe(0);
    expect(host.commits()[0]).toBe('deploy node-js-app: web replicas 2 -> 3');
    expect(host.subcommand('diff', [APP]).status).toBe(0);
    expect(host.subcommand('push', []).stdout).toBe('up to date\n');
  });

  test('gitops:set release-tasks host leaves predeploy to Dokku on its host: sync removes the release Jobs', () => {
    // GIVEN a deployed app whose app.json has a predeploy script
    expect(host.trigger('scheduler-deploy', ['gitops', APP, 'latest', ''], { DOKKU_PID: '4242' }).status).toBe(0);
    host.corePostDeploy(APP, '4242');
    expect(host.files(`apps/${APP}/release`).length).toBeGreaterThan(0);
    // WHEN
    expect(host.subcommand('set', [APP, 'release-tasks', 'host']).status).toBe(0);
    const sync = host.subcommand('sync', [APP]);
    // THEN
    expect(sync.status).toBe(0);
    expect(host.files(`apps/${APP}/release`)).toEqual([]);
  });

  test('fails if the app is not on the gitops scheduler', () => {
    // GIVEN
    host.selectScheduler(APP, 'k3s');

    // WHEN
    const run = host.subcommand('sync', [APP]);

    // THEN
    expect(run.stderr).toBe(' !     node-js-app does not use the gitops scheduler: dokku scheduler:set node-js-app selected gitops\n');
    expect(run.status).toBe(1);
    host.selectScheduler(APP, 'gitops');
  });
});

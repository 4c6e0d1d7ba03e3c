/**
 * The plugin's trigger scripts, each run the way Dokku runs it (argument order and
 * environment of the real trigger), against a stand-in Dokku host and a real bare Git remote.
 *
 * Argument orders, from dokku/dokku:
 * - scheduler-deploy <scheduler> <app> <image tag> <process type>: plugins/common/functions cmd-deploy
 * - scheduler-stop <scheduler> <app> [<remove containers>]: plugins/ps/ps.go Stop; "true" from
 *   plugins/apps/functions.go destroyApp
 * - scheduler-post-delete <scheduler> <app> <image tag>, then post-delete <app> <image tag>:
 *   plugins/apps/functions.go destroyApp
 * - post-app-rename-setup / post-app-clone-setup <old app> <new app>: plugins/apps/subcommands.go
 * - scheduler-is-deployed / scheduler-app-status <scheduler> <app>: plugins/common/common.go
 *   IsDeployed, plugins/ps/functions.go getProcessCount
 * - post-domains-update <app> <action> <domains...>: plugins/domains/functions
 * - scheduler-cron-write <scheduler> [<app>]: plugins/cron/subcommands.go CommandSet
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { PluginHost } from './_host.js';

// each test runs several deploys (node, git, SOPS); under a full parallel run they take a while
vi.setConfig({ testTimeout: 180_000 });

const APP = 'node-js-app';
/** $DOKKU_PID of the deploy in progress; the fixture holds its Procfile.4242. */
const PID = '4242';

let host: PluginHost;

/** `git push` of node-js-app: the deploy's scheduler-deploy, then Dokku's core-post-deploy. */
function deploy(h: PluginHost, app = APP) {
  const run = h.trigger('scheduler-deploy', ['gitops', app, 'latest', ''], { DOKKU_PID: PID });
  h.corePostDeploy(app, PID);
  return run;
}

describe('an app on the gitops scheduler', () => {
  beforeEach(() => {
    host = new PluginHost('herokuish-app');
    host.selectScheduler(APP, 'gitops');
    const set = host.subcommand('set', ['--global', 'repo', host.remote]);
    expect(set.status).toBe(0);
  });
  afterEach(() => host.cleanup());

  test('scheduler-deploy adds a commit with the app folder, then fires core-post-deploy and post-deploy', () => {
    // GIVEN a repository holding only its first commit
    expect(host.commits()).toEqual(['init']);

    // WHEN Dokku deploys the app
    const run = deploy(host);

    // THEN
    expect(run.stderr).toContain("warning: resource 'web.limit.memory-swap' (1g) has no Kubernetes equivalent and is left out");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('-----> Committing node-js-app to the GitOps repository\n');
    expect(host.commits()).toEqual(['deploy 1 app and platform/dokku: node-js-app', 'init']);
    expect(host.appFolders()).toEqual([APP]);
    expect(host.file('apps/node-js-app/deployment-node-js-app-worker.yaml')).toContain('image: registry.example.com/dokku/node-js-app:7');
    expect(host.file('apps/node-js-app/secret-config-node-js-app.yaml')).toContain('ENC[AES256_GCM,');
    expect(host.file('apps/node-js-app/secret-config-node-js-app.yaml')).not.toContain('s3cret');
    expect(host.plugnCalls()).toEqual([
      ['core-post-deploy', APP, '', '', 'latest'],
      ['post-deploy', APP, '', '', 'latest'],
    ]);
    expect(host.property('gitops', APP, 'image-tag')).toBe('latest');
  });

  test('DOKKU_TRACE does not print the collected state, which holds the secrets', () => {
    // GIVEN / WHEN a deploy with Dokku's trace mode on
    const run = host.trigger('scheduler-deploy', ['gitops', APP, 'latest', ''], { DOKKU_PID: PID, DOKKU_TRACE: '1' });

    // THEN the script is traced, the state is not
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('+ trigger-gitops-scheduler-deploy gitops node-js-app latest');
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stdout).not.toContain('s3cret');
  });

  test('a second deploy of the same state adds nothing', () => {
    // GIVEN a deployed app
    expect(deploy(host).status).toBe(0);
    const before = host.commits();

    // WHEN Dokku deploys it again (ps:rebuild, or a push of the same code)
    const run = deploy(host);

    // THEN
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('up to date');
    expect(host.commits()).toEqual(before);
  });

  test('scheduler-stop commits replicas 0 and suspended CronJobs; ps:start commits them back', () => {
    // GIVEN a deployed app with web 2, worker 1 and a cron task
    expect(deploy(host).status).toBe(0);
    expect(host.file('apps/node-js-app/deployment-node-js-app-web.yaml')).toMatch(/^ {2}replicas: 2$/m);

    // WHEN ps:stop runs
    const run = host.trigger('scheduler-stop', ['gitops', APP]);

    // THEN
    expect(run.status).toBe(0);
    expect(host.commits()[0]).toMatch(/^stop node-js-app: web replicas 2 -> 0, worker replicas 1 -> 0/);
    expect(host.file('apps/node-js-app/deployment-node-js-app-web.yaml')).toMatch(/^ {2}replicas: 0$/m);
    expect(host.file('apps/node-js-app/deployment-node-js-app-worker.yaml')).toMatch(/^ {2}replicas: 0$/m);
    const cronjob = host.files('apps/node-js-app').find((f) => f.includes('/cronjob-'))!;
    expect(host.file(cronjob)).toMatch(/^ {2}suspend: true$/m);
    expect(host.property('gitops', APP, 'stopped')).toBe('true');
    expect(host.trigger('scheduler-app-status', ['gitops', APP]).stdout).toBe('0 false\n');

    // AND WHEN ps:start deploys it again
    expect(deploy(host).status).toBe(0);

    // THEN
    expect(host.file('apps/node-js-app/deployment-node-js-app-web.yaml')).toMatch(/^ {2}replicas: 2$/m);
    expect(host.file(cronjob)).toMatch(/^ {2}suspend: false$/m);
    expect(host.property('gitops', APP, 'stopped')).toBeUndefined();
  });

  test('apps:destroy (scheduler-stop with containers removed, scheduler-post-delete, post-delete) removes the folder in one commit', () => {
    // GIVEN a deployed app
    expect(deploy(host).status).toBe(0);
    const before = host.commits();

    // WHEN apps:destroy fires its triggers
    const stop = host.trigger('scheduler-stop', ['gitops', APP, 'true']);
    const schedulerPostDelete = host.trigger('scheduler-post-delete', ['gitops', APP, 'latest']);
    const postDelete = host.trigger('post-delete', [APP, 'latest']);

    // THEN
    expect([stop.status, schedulerPostDelete.status, postDelete.status]).toEqual([0, 0, 0]);
    expect(host.commits()).toEqual(['destroy node-js-app: remove 14 resources', ...before]);
    expect(host.appFolders()).toEqual([]);
    expect(host.property('gitops', APP, 'image-tag')).toBeUndefined();
  });

  test('post-delete alone removes the folder', () => {
    // GIVEN a deployed app
    expect(deploy(host).status).toBe(0);

    // WHEN
    const run = host.trigger('post-delete', [APP, 'latest']);

    // THEN
    expect(run.status).toBe(0);
    expect(host.commits()[0]).toBe('destroy node-js-app: remove 14 resources');
    expect(host.appFolders()).toEqual([]);
  });

  test('apps:rename moves the folder: the new one is written, the old one removed', () => {
    // GIVEN a deployed app
    expect(deploy(host).status).toBe(0);
    const before = host.commits();

    // WHEN apps:rename runs post-app-rename-setup, then destroys the old app
    const run = host.trigger('post-app-rename-setup', [APP, 'node-js-app-2']);
    const stop = host.trigger('scheduler-stop', ['gitops', APP, 'true']);
    const schedulerPostDelete = host.trigger('scheduler-post-delete', ['gitops', APP, 'latest']);
    const postDelete = host.trigger('post-delete', [APP, 'latest']);

    // THEN
    expect([run.status, stop.status, schedulerPostDelete.status, postDelete.status]).toEqual([0, 0, 0, 0]);
    expect(host.commits()).toEqual([
      'destroy node-js-app: remove 14 resources',
      expect.stringMatching(/^deploy node-js-app-2: new app, image registry.example.com\/dokku\/node-js-app:7/),
      ...before,
    ]);
    expect(host.appFolders()).toEqual(['node-js-app-2']);
    expect(host.files('apps/node-js-app-2')).toContain('apps/node-js-app-2/ingress-node-js-app-2-web-node-js-app-2-dokku-me.yaml');
    expect(host.property('gitops', 'node-js-app-2', 'image-tag')).toBe('latest');
  });

  test('apps:clone writes the clone with its own domains and keeps the original', () => {
    // GIVEN a deployed app, and the clone's domains as Dokku's domains plugin set them up
    expect(deploy(host).status).toBe(0);
    host.record('domains:report node-js-app-copy --format json', '{"app-enabled":"true","app-vhosts":"node-js-app-copy.dokku.me","global-enabled":"true","global-vhosts":"dokku.me"}\n');

    // WHEN
    const run = host.trigger('post-app-clone-setup', [APP, 'node-js-app-copy']);

    // THEN
    expect(run.status).toBe(0);
    expect(host.appFolders()).toEqual([APP, 'node-js-app-copy']);
    const ingresses = host.files('apps/node-js-app-copy').filter((f) => f.includes('/ingress-'));
    expect(ingresses).toEqual(['apps/node-js-app-copy/ingress-node-js-app-copy-web-node-js-app-copy-dokku-me.yaml']);
  });

  test('domains:add commits the new domain (post-domains-update)', () => {
    // GIVEN a deployed app, then domains:add node-js-app api.example.com
    expect(deploy(host).status).toBe(0);
    host.record(`domains:report ${APP} --format json`, '{"app-enabled":"true","app-vhosts":"api.example.com node-js-app.dokku.me www.example.com","global-enabled":"true","global-vhosts":"dokku.me"}\n');

    // WHEN
    const run = host.trigger('post-domains-update', [APP, 'add', 'api.example.com']);

    // THEN
    expect(run.status).toBe(0);
    expect(host.files('apps/node-js-app')).toContain('apps/node-js-app/ingress-node-js-app-web-api-example-com.yaml');
  });

  test('cron:suspend commits the CronJob suspended (scheduler-cron-write <scheduler> <app>)', () => {
    // GIVEN a deployed app whose cron task Dokku then puts in maintenance
    expect(deploy(host).status).toBe(0);
    const cronJob = () => host.files('apps/node-js-app').find((p) => p.includes('/cronjob-'))!;
    expect(host.file(cronJob())).not.toContain('suspend: true');
    host.record(
      `cron:list ${APP} --format json`,
      '[{"id":"k2lrw3xq0g1kqchnm7n8fjfnd","app":"node-js-app","command":"node scripts/cleanup.js","schedule":"@daily","concurrency_policy":"allow","app-in-maintenance":false,"task-in-maintenance":true,"maintenance":true}]\n',
    );
    // WHEN Dokku's cron:set fires the trigger as it does (plugins/cron/subcommands.go CommandSet)
    const run = host.trigger('scheduler-cron-write', ['gitops', APP]);
    // THEN
    expect(run.status).toBe(0);
    expect(host.file(cronJob())).toContain('suspend: true');
  });

  test('scheduler-is-deployed answers from the remote branch; scheduler-app-status from the committed scale', () => {
    // GIVEN / WHEN / THEN: not yet deployed
    expect(host.trigger('scheduler-is-deployed', ['gitops', APP]).status).toBe(1);
    expect(host.trigger('scheduler-app-status', ['gitops', APP]).stdout).toBe('0 false\n');

    // WHEN deployed
    expect(deploy(host).status).toBe(0);

    // THEN
    expect(host.trigger('scheduler-is-deployed', ['gitops', APP]).status).toBe(0);
    expect(host.trigger('scheduler-app-status', ['gitops', APP]).stdout).toBe('3 true\n');
  });

  test('scheduler-uses-host-cron prints false', () => {
    // GIVEN / WHEN
    const run = host.trigger('scheduler-uses-host-cron', ['gitops']);

    // THEN
    expect(run).toEqual({ status: 0, stdout: 'false\n', stderr: '' });
  });

  test('enter, logs and run say they are not supported', () => {
    // GIVEN / WHEN
    const enter = host.trigger('scheduler-enter', ['gitops', APP, 'web']);
    const runList = host.trigger('scheduler-run-list', ['gitops', APP, 'json']);

    // THEN
    expect(enter.status).toBe(1);
    expect(enter.stderr).toBe(" !     'dokku enter' is not supported by the gitops scheduler: the app runs in the cluster; use 'kubectl exec -it deploy/node-js-app-<process> -n <namespace> -- /bin/sh'\n");
    expect(runList).toEqual({ status: 0, stdout: '[]\n', stderr: '' });
  });

  test('fails if the repository is not configured, naming the setting', () => {
    // GIVEN no repo
    expect(host.subcommand('set', ['--global', 'repo']).status).toBe(0);

    // WHEN
    const run = deploy(host);

    // THEN
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(" !     No GitOps repository for node-js-app: set one with 'dokku gitops:set node-js-app repo <url|path>' (or 'dokku gitops:set --global repo <url|path>')\n");
    expect(host.plugnCalls()).toEqual([]);
  });
});

describe('an app on another scheduler', () => {
  beforeEach(() => {
    host = new PluginHost('herokuish-app');
    host.selectScheduler(APP, 'docker-local');
    expect(host.subcommand('set', ['--global', 'repo', host.remote]).status).toBe(0);
  });
  afterEach(() => host.cleanup());

  test('is untouched by every trigger', () => {
    // GIVEN an app of docker-local
    const calls = host.dokkuCalls().length;

    // WHEN Dokku fires the triggers with its scheduler, or without one
    const runs = [
      host.trigger('scheduler-deploy', ['docker-local', APP, 'latest', ''], { DOKKU_PID: PID }),
      host.trigger('scheduler-stop', ['docker-local', APP]),
      host.trigger('scheduler-post-delete', ['docker-local', APP, 'latest']),
      host.trigger('scheduler-is-deployed', ['docker-local', APP]),
      host.trigger('scheduler-app-status', ['docker-local', APP]),
      host.trigger('scheduler-uses-host-cron', ['docker-local']),
      host.trigger('scheduler-enter', ['docker-local', APP]),
      host.trigger('post-app-rename-setup', [APP, 'node-js-app-2']),
      host.trigger('post-domains-update', [APP, 'add', 'api.example.com']),
      host.trigger('post-certs-update', [APP]),
      host.trigger('post-delete', [APP, 'latest']),
    ];

    // THEN nothing is printed, committed, or asked of Dokku
    expect(runs).toEqual(runs.map(() => ({ status: 0, stdout: '', stderr: '' })));
    expect(host.commits()).toEqual(['init']);
    expect(host.plugnCalls()).toEqual([]);
    expect(host.dokkuCalls().slice(calls)).toEqual([]);
  });
});

describe('a failing Dokku command', () => {
  beforeEach(() => {
    host = new PluginHost('failing-command');
    host.selectScheduler('broken-app', 'gitops');
    expect(host.subcommand('set', ['--global', 'repo', host.remote]).status).toBe(0);
  });
  afterEach(() => host.cleanup());

  test('fails the deploy naming the command, and commits nothing', () => {
    // GIVEN scheduler-k3s:report fails on the host
    // WHEN
    const run = host.trigger('scheduler-deploy', ['gitops', 'broken-app', 'latest', ''], { DOKKU_PID: PID });

    // THEN
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      "error: 'dokku scheduler-k3s:report broken-app --format json' failed with exit code 1: Unable to get property list: open /var/lib/dokku/config/scheduler-k3s/--global/chart-overrides.traefik: permission denied\n",
    );
    expect(host.commits()).toEqual(['init']);
    expect(host.plugnCalls()).toEqual([]);
    expect(host.property('gitops', 'broken-app', 'image-tag')).toBeUndefined();
  });
});

/**
 * The collector against a stand-in `dokku` that replays output recorded in Dokku's real
 * formats (test/fixtures/dokku-host/<scenario>/): the exact state of each scenario, that
 * `dokku-gitops validate -` accepts it, and the failures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { collect, collectedYaml, localDokkuRunner, type CollectOptions } from '../../src/dokku-host/index.js';
import { runCli } from '../_support/cli.js';
import { copyScenario, hostEnv, scenario } from './_host.js';

/** Collects in-process from a scenario folder. */
function collectFrom(fixture: string, options: Omit<CollectOptions, 'runner'>, extraEnv: Record<string, string> = {}) {
  return collect({ ...options, runner: localDokkuRunner({ env: hostEnv(fixture, extraEnv) }) });
}

/** The scenarios that collect, with the app and options of each. */
const SCENARIOS: { name: string; app: string; options?: Omit<CollectOptions, 'runner' | 'app'>; env?: Record<string, string> }[] = [
  { name: 'herokuish-app', app: 'node-js-app', options: { imageTag: 'latest' }, env: { DOKKU_PID: '4242' } },
  { name: 'dockerfile-app', app: 'python-api', options: { imageTag: 'latest' }, env: { DOKKU_PID: '4242' } },
  { name: 'global-properties', app: 'static-site' },
  { name: 'k3s-annotations-labels', app: 'annotated-app' },
  { name: 'autoscaling-auth', app: 'queue-worker' },
  { name: 'imported-cert', app: 'secure-app' },
];

describe('each scenario', () => {
  test.each(SCENARIOS)('$name: the state it produces, which validate accepts', async ({ name, app, options, env }) => {
    // GIVEN the recorded Dokku host of the scenario
    const fixture = scenario(name);

    // WHEN the CLI collects the app and the global settings
    const run = runCli(['collect', app, '--global', ...(options?.imageTag ? ['--image-tag', options.imageTag] : [])], { env: hostEnv(fixture, env) });

    // THEN it prints the state, and validate accepts it
    expect(run.stderr).toMatchSnapshot('warnings');
    expect(run.status).toBe(0);
    await expect(run.stdout).toMatchFileSnapshot(`__snapshots__/${name}.yaml`);
    const validated = runCli(['validate', '-'], { input: run.stdout });
    expect(validated.stderr).toBe('');
    expect(validated.stdout).toBe(`valid: 1 app(s): ${app}\n`);
    expect(validated.status).toBe(0);
  });
});

describe('herokuish app', () => {
  test('reads every report into the App document', async () => {
    // GIVEN a herokuish app with a registry that pushes on release, during a deploy (DOKKU_PID)
    const fixture = scenario('herokuish-app');

    // WHEN it is collected
    const result = await collectFrom(fixture, { app: 'node-js-app', imageTag: 'latest' }, { DOKKU_PID: '4242' });

    // THEN
    const spec = result.app!.spec;
    expect(result.app!.metadata).toEqual({ name: 'node-js-app' });
    expect(spec.image).toBe('registry.example.com/dokku/node-js-app:7');
    expect(spec.builder).toBe('herokuish');
    expect(spec.procfile).toBe('web: npm start\nworker: node worker.js\nrelease: node migrate.js\n');
    expect(spec.appJson?.cron).toEqual([{ command: 'node scripts/cleanup.js', schedule: '@daily' }]);
    expect(spec.scale).toEqual({ web: 2, worker: 1 });
    expect(spec.config).toEqual({
      DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/app?sslmode=require&pool=5',
      GIT_REV: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      NODE_ENV: 'production',
    });
    expect(spec.domains).toEqual(['node-js-app.dokku.me', 'www.example.com']);
    expect(spec.ports).toEqual(['http:80:5000']);
    expect(spec.resources).toEqual({ _default_: { reserve: { memory: '256' } }, web: { limit: { cpu: '1', memory: '512' } } });
    expect(spec.dockerOptions).toEqual({ build: ['--build-arg NODE_ENV=production'], deploy: ['--cap-add=NET_ADMIN'] });
    expect(spec.nginx).toEqual({ 'client-max-body-size': '50m', 'proxy-read-timeout': '120s' });
    expect(spec.properties).toEqual({ 'deploy-timeout': '600', namespace: 'apps' });
    expect(spec.registryAuth).toEqual({ auths: { 'registry.example.com': { auth: 'ZG9ra3U6cmVnaXN0cnktcGFzc3dvcmQ=' } } });
    expect(spec.certs).toBeUndefined();
    expect(spec.stopped).toBeUndefined();
    expect(result.global).toBeUndefined();
    expect(result.warnings).toEqual(["resource 'web.limit.memory-swap' (1g) has no Kubernetes equivalent and is left out"]);
  });

  test('outside a deploy, reads the Procfile of the deployed image', async () => {
    // GIVEN no DOKKU_PID: the Procfile.<pid> of a deploy in progress is not the deployed one
    const fixture = scenario('herokuish-app');

    // WHEN
    const result = await collectFrom(fixture, { app: 'node-js-app' });

    // THEN
    expect(result.app!.spec.procfile).toBe('web: npm start\n');
  });

  test('--stopped marks the app stopped', async () => {
    // GIVEN / WHEN
    const result = await collectFrom(scenario('herokuish-app'), { app: 'node-js-app', stopped: true });

    // THEN
    expect(result.app!.spec.stopped).toBe(true);
  });

  test('--name collects a renamed app from the old one, with its default domain renamed', async () => {
    // GIVEN apps:rename node-js-app -> node-js-app-2, global vhost dokku.me
    const fixture = scenario('herokuish-app');

    // WHEN
    const result = await collectFrom(fixture, { app: 'node-js-app', name: 'node-js-app-2' });

    // THEN
    expect(result.app!.metadata).toEqual({ name: 'node-js-app-2' });
    expect(result.app!.spec.domains).toEqual(['node-js-app-2.dokku.me', 'www.example.com']);
    expect(result.app!.spec.image).toBe('registry.example.com/dokku/node-js-app:7');
    expect(result.app!.spec.config).toEqual(expect.objectContaining({ NODE_ENV: 'production' }));
  });

  test('--name with --clone takes the domains of the new app and no certificate', async () => {
    // GIVEN apps:clone set the clone up with its own domains before this plugin's trigger runs
    const host = copyScenario('herokuish-app');
    try {
      writeFileSync(
        join(host.dir, 'dokku', 'domains:report node-js-app-copy --format json.stdout'),
        '{"app-enabled":"true","app-vhosts":"node-js-app-copy.dokku.me","global-enabled":"true","global-vhosts":"dokku.me"}\n',
      );

      // WHEN
      const result = await collectFrom(host.dir, { app: 'node-js-app', name: 'node-js-app-copy', clone: true });

      // THEN
      expect(result.app!.metadata).toEqual({ name: 'node-js-app-copy' });
      expect(result.app!.spec.domains).toEqual(['node-js-app-copy.dokku.me']);
      expect(result.app!.spec.certs).toBeUndefined();
    } finally {
      host.cleanup();
    }
  });
});

describe('dockerfile app', () => {
  test('reads the builder, detected ports, registry without push, storage and the dokku user registry login', async () => {
    // GIVEN a dockerfile app whose new source has no Procfile (Procfile.<pid>.missing)
    const fixture = scenario('dockerfile-app');

    // WHEN
    const result = await collectFrom(fixture, { app: 'python-api', imageTag: 'latest' }, { DOKKU_PID: '4242' });

    // THEN
    const spec = result.app!.spec;
    expect(spec.builder).toBe('dockerfile');
    expect(spec.image).toBe('acme/python-api:latest');
    expect(spec.procfile).toBeUndefined();
    expect(spec.appJson).toBeUndefined();
    expect(spec.ports).toEqual(['http:80:8000']);
    expect(spec.storage).toEqual([{ name: 'python-api-data', mountPath: '/app/data', size: '5Gi', accessMode: 'ReadWriteOnce', storageClassName: 'longhorn' }]);
    expect(spec.dockerOptions).toEqual({ deploy: ['--sysctl net.ipv4.ip_unprivileged_port_start=0'] });
    expect(spec.registryAuth).toEqual({ auths: { 'https://index.docker.io/v1/': { auth: 'YWNtZTpodWItdG9rZW4=' } } });
    expect(result.warnings).toEqual(["docker options of process type 'worker' (--memory=1g) have no place in the state (only the default process type's); they are left out"]);
  });

  test('the deployed Procfile is ignored when the deploy in progress has none', async () => {
    // GIVEN a deployed Procfile, and Procfile.4242.missing for the deploy in progress
    const host = copyScenario('dockerfile-app');
    try {
      writeFileSync(join(host.dir, 'lib', 'data', 'ps', 'python-api', 'Procfile'), 'web: gunicorn api.wsgi\n');

      // WHEN collected during the deploy, and outside it
      const during = await collectFrom(host.dir, { app: 'python-api' }, { DOKKU_PID: '4242' });
      const after = await collectFrom(host.dir, { app: 'python-api' });

      // THEN
      expect(during.app!.spec.procfile).toBeUndefined();
      expect(after.app!.spec.procfile).toBe('web: gunicorn api.wsgi\n');
    } finally {
      host.cleanup();
    }
  });

  test('the image tag defaults to latest when the registry does not push on release', async () => {
    // GIVEN / WHEN
    const result = await collectFrom(scenario('dockerfile-app'), { app: 'python-api' });

    // THEN
    expect(result.app!.spec.image).toBe('acme/python-api:latest');
  });

  test('fails if a host-path storage entry is mounted on the app', async () => {
    // GIVEN the data entry is a docker-local (host path) entry
    const host = copyScenario('dockerfile-app');
    try {
      writeFileSync(
        join(host.dir, 'dokku', 'storage:info python-api-data --format json.stdout'),
        '{\n  "name": "python-api-data",\n  "scheduler": "docker-local",\n  "host_path": "/var/lib/dokku/data/storage/python-api-data",\n  "schema_version": 1\n}\n',
      );

      // WHEN / THEN
      await expect(collectFrom(host.dir, { app: 'python-api' })).rejects.toThrow(
        "storage entry 'python-api-data' is scheduler=docker-local (a host path) but is mounted on an app of the gitops scheduler; recreate it with 'dokku storage:create python-api-data --scheduler k3s --size <size>'",
      );
    } finally {
      host.cleanup();
    }
  });
});

describe('global properties', () => {
  test('the Global document holds the global properties that shape manifests, and no cluster credentials', async () => {
    // GIVEN global scheduler-k3s properties, a join token and chart overrides
    const fixture = scenario('global-properties');

    // WHEN
    const result = await collectFrom(fixture, { app: 'static-site', global: true });

    // THEN
    expect(result.global).toEqual({
      apiVersion: 'dokku-gitops/v1',
      kind: 'Global',
      spec: {
        properties: {
          'deploy-timeout': '900',
          'ingress-class': 'traefik',
          'letsencrypt-email-prod': 'ops@example.com',
          'letsencrypt-email-stag': 'ops@example.com',
          namespace: 'apps',
        },
      },
    });
    expect(result.app!.spec.properties).toEqual({ 'image-pull-secrets': 'regcred', 'letsencrypt-server': 'staging' });
    // image-pull-secrets replaces pull-secret-<app>: the registry login is not read
    expect(result.app!.spec.registryAuth).toBeUndefined();
    expect(collectedYaml(result)).not.toContain('K10a9b8c7d6e5');
  });

  test('--global alone prints only the Global document', async () => {
    // GIVEN / WHEN
    const run = runCli(['collect', '--global'], { env: hostEnv(scenario('global-properties')) });

    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      [
        'apiVersion: dokku-gitops/v1',
        'kind: Global',
        'spec:',
        '  properties:',
        '    deploy-timeout: "900"',
        '    ingress-class: traefik',
        '    letsencrypt-email-prod: ops@example.com',
        '    letsencrypt-email-stag: ops@example.com',
        '    namespace: apps',
        '',
      ].join('\n'),
    );
  });
});

describe('scheduler-k3s annotations and labels', () => {
  test('app annotations and labels by process type, keys with dots kept whole; global ones for every app', async () => {
    // GIVEN
    const fixture = scenario('k3s-annotations-labels');

    // WHEN
    const result = await collectFrom(fixture, { app: 'annotated-app', global: true });

    // THEN
    expect(result.app!.spec.annotations).toEqual({
      '--global': {
        deployment: { 'example.com/owner': 'team-payments' },
        pod: { 'prometheus.io/scrape': 'true' },
        serviceaccount: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/annotated-app' },
      },
      web: { deployment: { 'example.com/tier': 'frontend' }, ingress: { 'nginx.ingress.kubernetes.io/proxy-body-size': '10m' } },
      worker: { pod: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } },
    });
    expect(result.app!.spec.labels).toEqual({
      '--global': { pod: { team: 'payments' } },
      web: { service: { exposure: 'public' } },
      worker: { deployment: { tier: 'background' } },
    });
    expect(result.global!.spec).toEqual({ annotations: { ingress: { 'example.com/team': 'platform' } }, labels: { pod: { environment: 'production' } } });
    expect(result.warnings).toEqual(["global annotations for process type 'web' have no place in the Global document (only '--global' applies to every app); they are left out"]);
  });
});

describe('autoscaling auth', () => {
  test('app and global trigger authentications, unmasked', async () => {
    // GIVEN
    const fixture = scenario('autoscaling-auth');

    // WHEN
    const result = await collectFrom(fixture, { app: 'queue-worker', global: true });

    // THEN
    expect(result.app!.spec.autoscalingAuth).toEqual({ 'aws-sqs-queue': { awsAccessKeyID: 'AKIAIOSFODNN7EXAMPLE', awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } });
    expect(result.global!.spec.autoscalingAuth).toEqual({ prometheus: { bearerToken: 'prom-token-123' } });
    expect(result.app!.spec.builder).toBe('pack');
    // NO_VHOST: domains disabled
    expect(result.app!.spec.domains).toBeUndefined();
    // a legacy 'resource-' key is told from a process type by its unprefixed twin
    expect(result.app!.spec.resources).toEqual({ worker: { limit: { memory: '1024' }, reserve: { cpu: '250m', memory: '512' } } });
  });
});

describe('imported cert', () => {
  test('the certificate and key of certs:add, and the https port map Dokku adds', async () => {
    // GIVEN
    const fixture = scenario('imported-cert');

    // WHEN
    const result = await collectFrom(fixture, { app: 'secure-app' });

    // THEN
    expect(result.app!.spec.certs?.crt).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(result.app!.spec.certs?.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(result.app!.spec.ports).toEqual(['http:80:5000', 'https:443:5000']);
  });
});

describe('failures', () => {
  test('fails if the app does not exist, printing nothing on stdout', () => {
    // GIVEN / WHEN
    const run = runCli(['collect', 'nosuch-app', '--global'], { env: hostEnv(scenario('unknown-app')) });

    // THEN
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("error: app 'nosuch-app' does not exist on this Dokku host ('dokku apps:exists nosuch-app' exited 20)\n");
    expect(run.status).toBe(1);
  });

  test('fails if a dokku subcommand fails, naming it, printing nothing on stdout', () => {
    // GIVEN scheduler-k3s:report fails on the host
    // WHEN
    const run = runCli(['collect', 'broken-app'], { env: hostEnv(scenario('failing-command')) });

    // THEN
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      "error: 'dokku scheduler-k3s:report broken-app --format json' failed with exit code 1: Unable to get property list: open /var/lib/dokku/config/scheduler-k3s/--global/chart-overrides.traefik: permission denied\n",
    );
    expect(run.status).toBe(1);
  });

  test('fails if dokku is not on PATH, naming the command', () => {
    // GIVEN a PATH without dokku
    const env = { ...hostEnv(scenario('herokuish-app')), PATH: '/nonexistent' };

    // WHEN
    const run = runCli(['collect', 'node-js-app'], { env });

    // THEN
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("error: cannot run 'dokku apps:exists node-js-app': 'dokku' is not on PATH (collect runs on the Dokku host, as the dokku user)\n");
    expect(run.status).toBe(1);
  });

  test('fails if a report is not JSON, naming the command', async () => {
    // GIVEN an older Dokku that ignores --format json for ps:scale
    const host = copyScenario('herokuish-app');
    try {
      writeFileSync(join(host.dir, 'dokku', 'ps:scale node-js-app --format json.stdout'), 'proctype: qty\n--------: ---\nweb:  2\n');

      // WHEN / THEN
      await expect(collectFrom(host.dir, { app: 'node-js-app' })).rejects.toThrow(
        `'dokku ps:scale node-js-app --format json' did not print JSON: got "proctype: qty\\n--------: ---\\nweb:  2"`,
      );
    } finally {
      host.cleanup();
    }
  });

  test('fails if the stored app.json is not JSON, naming the file', async () => {
    // GIVEN
    const host = copyScenario('herokuish-app');
    try {
      const dir = join(host.dir, 'lib', 'data', 'app-json', 'node-js-app');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'app.json'), '{"cron": [');

      // WHEN / THEN
      await expect(collectFrom(host.dir, { app: 'node-js-app' })).rejects.toThrow(
        `the app.json Dokku stored for 'node-js-app' is not JSON (${join(dir, 'app.json')}): `,
      );
    } finally {
      host.cleanup();
    }
  });

  test('fails if nothing is asked for', async () => {
    // GIVEN / WHEN / THEN
    await expect(collect({})).rejects.toThrow("nothing to collect: give an app, or '--global' for the global settings");
    const run = runCli(['collect'], { env: hostEnv(scenario('herokuish-app')) });
    expect(run.stderr).toBe("error: nothing to collect: give an app, or '--global' for the global settings\n");
    expect(run.status).toBe(2);
  });

  test('fails if --clone is given without --name', async () => {
    // GIVEN / WHEN / THEN
    await expect(collect({ app: 'node-js-app', clone: true })).rejects.toThrow("'--clone' needs '--name <new app>'");
  });
});

describe('cron maintenance', () => {
  test('a task suspended with cron:suspend (or cron:set maintenance) is collected as maintenance: true', async () => {
    // GIVEN the herokuish host with its cron task in maintenance
    const host = copyScenario('herokuish-app');
    try {
      writeFileSync(
        join(host.dir, 'dokku', 'cron:list node-js-app --format json.stdout'),
        '[{"id":"k2lrw3xq0g1kqchnm7n8fjfnd","app":"node-js-app","command":"node scripts/cleanup.js","schedule":"@daily","concurrency_policy":"allow","app-in-maintenance":false,"task-in-maintenance":true,"maintenance":true}]\n',
      );
      // WHEN
      const result = await collectFrom(host.dir, { app: 'node-js-app', imageTag: 'latest' }, { DOKKU_PID: '4242' });
      // THEN
      expect(result.app!.spec.appJson!.cron).toEqual([{ command: 'node scripts/cleanup.js', schedule: '@daily', maintenance: true }]);
    } finally {
      host.cleanup();
    }
  });
});

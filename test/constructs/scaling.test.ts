import { describe, expect, it } from 'vitest';
import { interpolateTriggerValue } from '../../src/dokku/autoscaling.js';
import { app, compileText, find, objectsOf, problemsOf } from '../_support/compile.js';
import { HTTPScaledObject } from '../_support/http-keda.js';
import { validateObject } from '../_support/validate.js';

const GLOBAL = (spec: string) => `apiVersion: dokku-gitops/v1\nkind: Global\nspec:\n${spec.split('\n').map((l) => `  ${l}`).join('\n')}\n`;

/** An app with web and worker processes and the given app.json formation (YAML flow). */
const scaled = (formation: string, extra = '') =>
  app('a', `image: r/a:1\nprocfile: "web: ./web\\nworker: ./worker"\nscale: {web: 2, worker: 3}\nappJson: {formation: ${formation}}${extra ? `\n${extra}` : ''}`);

describe('KEDA ScaledObjects', () => {
  it('renders <app>-<proc> with Dokku\'s defaults, and the Deployment omits replicas', async () => {
    // GIVEN a worker with a trigger and no quantities
    const result = compileText(scaled('{worker: {autoscaling: {triggers: [{type: cpu, metricType: Utilization, metadata: {value: "60"}}]}}}'));
    // WHEN
    const so = find(result, 'ScaledObject', 'a-worker');
    // THEN min = ps scale (3), max = max(scale, min) = 3, polling 30, cooldown 300
    expect(so.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'a-worker', envSourceContainerName: 'a-worker' },
      cooldownPeriod: 300,
      pollingInterval: 30,
      minReplicaCount: 3,
      maxReplicaCount: 3,
      triggers: [{ name: 'trigger-cpu-1', type: 'cpu', metricType: 'Utilization', metadata: { value: '60' } }],
    });
    expect(so.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'a-worker',
      'app.kubernetes.io/name': 'worker',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
    });
    expect(find(result, 'Deployment', 'a-worker').spec.replicas).toBeUndefined();
    expect(find(result, 'Deployment', 'a-web').spec.replicas).toBe(2);
    expect(objectsOf(result).some((o) => o.kind === 'ScaledObject' && o.metadata.name === 'a-web')).toBe(false);
    expect(await validateObject(so)).toBe(true);
  });

  it('gives a cpu-only trigger no fallback, and a prometheus trigger a fallback to the ps scale', () => {
    // GIVEN web with cpu and memory triggers, worker with a prometheus trigger
    const result = compileText(
      scaled(
        '{web: {autoscaling: {triggers: [{type: cpu, metadata: {value: "50"}}, {type: memory, metadata: {value: "70"}}]}}, worker: {autoscaling: {max_quantity: 6, triggers: [{type: prometheus, metadata: {query: up, threshold: "1", serverAddress: "http://p:9090"}}]}}}',
      ),
    );
    // THEN
    expect(find(result, 'ScaledObject', 'a-web').spec.fallback).toBeUndefined();
    expect(find(result, 'ScaledObject', 'a-worker').spec.fallback).toEqual({ failureThreshold: 3, replicas: 3 });
  });

  it('takes min, max and polling from app.json, and the cooldown from either key', () => {
    // GIVEN Dokku's key on web, the documented key on worker
    const result = compileText(
      scaled(
        '{web: {autoscaling: {min_quantity: 1, max_quantity: 9, polling_interval_seconds: 10, cooldown_period_seconds: 60, triggers: [{type: cpu, metadata: {value: "50"}}]}}, worker: {autoscaling: {min_quantity: 0, cooldown_seconds: 45, triggers: [{type: cpu, metadata: {value: "50"}}]}}}',
      ),
    );
    // THEN
    const web = find(result, 'ScaledObject', 'a-web').spec;
    const worker = find(result, 'ScaledObject', 'a-worker').spec;
    expect([web.minReplicaCount, web.maxReplicaCount, web.pollingInterval, web.cooldownPeriod]).toEqual([1, 9, 10, 60]);
    // max defaults to max(scale 3, min 0) = 3
    expect([worker.minReplicaCount, worker.maxReplicaCount, worker.pollingInterval, worker.cooldownPeriod]).toEqual([0, 3, 30, 45]);
  });

  it('names triggers trigger-<type>-<n> unless they have a name', () => {
    const result = compileText(scaled('{worker: {autoscaling: {triggers: [{type: cpu, metadata: {value: "1"}}, {name: backlog, type: redis, metadata: {listName: q}}, {type: cpu, metadata: {value: "2"}}]}}}'));
    expect(find(result, 'ScaledObject', 'a-worker').spec.triggers.map((t: { name: string }) => t.name)).toEqual(['trigger-cpu-1', 'backlog', 'trigger-cpu-3']);
  });

  it('interpolates trigger metadata in Dokku\'s [[ .X ]] syntax and in the documented DOKKU_X syntax', () => {
    // GIVEN both syntaxes, with and without spaces, braces and a dollar sign
    const result = compileText(
      scaled(`{worker: {autoscaling: {triggers: [{type: prometheus, metadata: {
        code: "[[ .APP_NAME ]]/[[.PROCESS_TYPE]]/[[ .DEPLOYMENT_NAME ]]",
        docs: "DOKKU_APP_NAME/DOKKU_PROCESS_TYPE/DOKKU_DEPLOYMENT_NAME",
        shell: "\${DOKKU_APP_NAME}-$DOKKU_PROCESS_TYPE",
        query: 'sum(rate(http_requests_total{deployment="[[ .DEPLOYMENT_NAME ]]"}[2m]))',
        untouched: "MY_DOKKU_APP_NAME DOKKU_APP_NAMES"}}]}}}`),
    );
    // THEN
    expect(find(result, 'ScaledObject', 'a-worker').spec.triggers[0].metadata).toEqual({
      code: 'a/worker/a-worker',
      docs: 'a/worker/a-worker',
      shell: 'a-worker',
      query: 'sum(rate(http_requests_total{deployment="a-worker"}[2m]))',
      untouched: 'MY_DOKKU_APP_NAME DOKKU_APP_NAMES',
    });
  });

  it('reports a [[ ]] expression it cannot evaluate', () => {
    expect(interpolateTriggerValue('[[ .NAMESPACE ]]', 'a', 'web')).toEqual({
      problem: '"[[ .NAMESPACE ]]" has a template expression Dokku cannot evaluate; use [[ .APP_NAME ]], [[ .PROCESS_TYPE ]] or [[ .DEPLOYMENT_NAME ]]',
    });
  });

  it('renders the app\'s autoscalingAuth as Secret kta-<app>-<type> and TriggerAuthentication <app>-<type>, referenced by matching triggers', async () => {
    // GIVEN app auth for redis, cluster auth for redis and prometheus
    const result = compileText(
      scaled(
        '{worker: {autoscaling: {triggers: [{type: redis, metadata: {listName: q}}, {type: prometheus, metadata: {query: up}}, {type: cpu, metadata: {value: "50"}}]}}}',
        'autoscalingAuth: {redis: {username: u, password: "p@ss"}}',
      ),
      GLOBAL('autoscalingAuth: {redis: {password: cluster}, prometheus: {bearerToken: t0k}}'),
    );
    // THEN the app's own auth wins for redis, the cluster's is used for prometheus
    expect(find(result, 'ScaledObject', 'a-worker').spec.triggers.map((t: { authenticationRef?: unknown }) => t.authenticationRef)).toEqual([
      { name: 'a-redis', kind: 'TriggerAuthentication' },
      { name: 'prometheus', kind: 'ClusterTriggerAuthentication' },
      undefined,
    ]);
    const secret = find(result, 'Secret', 'kta-a-redis');
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ password: Buffer.from('p@ss').toString('base64'), username: Buffer.from('u').toString('base64') });
    expect(secret.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'a-redis',
      'app.kubernetes.io/name': 'redis',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
    });
    const ta = find(result, 'TriggerAuthentication', 'a-redis');
    expect(ta.metadata.namespace).toBe('default');
    expect(ta.spec).toEqual({
      secretTargetRef: [
        { key: 'password', name: 'kta-a-redis', parameter: 'password' },
        { key: 'username', name: 'kta-a-redis', parameter: 'username' },
      ],
    });
    expect(result.apps[0]!.manifests.find((m) => m.path === 'apps/a/secret-kta-a-redis.yaml')!.secret).toBe(true);
    expect(await validateObject(ta)).toBe(true);
  });

  it('renders the global autoscalingAuth as Secret ckta-<type> in namespace keda and ClusterTriggerAuthentication <type> under platform/', async () => {
    // GIVEN
    const result = compileText(app('a', 'image: r/a:1'), GLOBAL('autoscalingAuth: {prometheus: {bearerToken: t0k, customAuthHeader: X-Auth}, datadog: {}}'));
    // THEN
    const paths = result.platform.map((m) => m.path);
    expect(paths).toContain('platform/dokku/secret-ckta-prometheus.yaml');
    expect(paths).toContain('platform/dokku/clustertriggerauthentication-prometheus.yaml');
    expect(paths.some((p) => p.includes('datadog'))).toBe(false);
    const secret = find(result, 'Secret', 'ckta-prometheus');
    expect(secret.metadata.namespace).toBe('keda');
    expect(secret.data).toEqual({ bearerToken: Buffer.from('t0k').toString('base64'), customAuthHeader: Buffer.from('X-Auth').toString('base64') });
    expect(result.platform.find((m) => m.path === 'platform/dokku/secret-ckta-prometheus.yaml')!.secret).toBe(true);
    const cta = find(result, 'ClusterTriggerAuthentication', 'prometheus');
    expect(cta.metadata.namespace).toBeUndefined();
    expect(cta.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'prometheus',
      'app.kubernetes.io/name': 'prometheus',
      'app.kubernetes.io/part-of': 'cluster',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
    });
    expect(cta.spec).toEqual({
      secretTargetRef: [
        { key: 'bearerToken', name: 'ckta-prometheus', parameter: 'bearerToken' },
        { key: 'customAuthHeader', name: 'ckta-prometheus', parameter: 'customAuthHeader' },
      ],
    });
    expect(await validateObject(cta)).toBe(true);
  });

  it('renders no autoscaler for a stopped app, whose Deployments stay at 0', () => {
    const result = compileText(scaled('{worker: {autoscaling: {triggers: [{type: cpu, metadata: {value: "50"}}]}}}', 'stopped: true'));
    expect(objectsOf(result).some((o) => o.kind === 'ScaledObject')).toBe(false);
    expect(find(result, 'Deployment', 'a-worker').spec.replicas).toBe(0);
  });
});

describe('the KEDA HTTP add-on', () => {
  it('turns an http trigger into an external-push trigger, an HTTPScaledObject and the interceptor Service kip-<app>-<proc>', async () => {
    // GIVEN web with an http trigger and two domains
    const result = compileText(
      scaled('{web: {autoscaling: {min_quantity: 0, max_quantity: 5, triggers: [{type: http, metadata: {scaledown_period_seconds: "150", request_rate_target_value: "50"}}]}}}', 'domains: [b.example.com, a.example.com]'),
    );
    // THEN
    const so = find(result, 'ScaledObject', 'a-web');
    expect(so.spec.triggers).toEqual([
      { name: 'trigger-http-1', type: 'external-push', metadata: { httpScaledObject: 'a-web', scalerAddress: 'keda-add-ons-http-external-scaler.keda:9090' } },
    ]);
    expect(so.spec.fallback).toEqual({ failureThreshold: 3, replicas: 2 });
    const http = find(result, 'HTTPScaledObject', 'a-web');
    expect(http.apiVersion).toBe('http.keda.sh/v1alpha1');
    expect(http.metadata.annotations).toEqual({ 'dokku.com/managed': 'true', 'httpscaledobject.keda.sh/skip-scaledobject-creation': 'true' });
    expect(http.spec).toEqual({
      hosts: ['a.example.com', 'b.example.com'],
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'a-web', service: 'a-web', port: 80 },
      replicas: { min: 0, max: 5 },
      scaledownPeriod: 150,
      scalingMetric: { requestRate: { granularity: '1s', targetValue: 50, window: '60s' } },
    });
    expect(find(result, 'Service', 'kip-a-web').spec).toEqual({ type: 'ExternalName', externalName: 'keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local' });
    expect(await validateObject(http)).toBe(true);
  });

  it('routes the nginx Ingress of an http-scaled process to the interceptor kip-<app>-<proc>:8080, as Dokku does', () => {
    // GIVEN web scaled on HTTP traffic, and the same app without the trigger
    const scaledWeb = compileText(scaled('{web: {autoscaling: {triggers: [{type: http}]}}}', 'domains: [a.example.com]'));
    const plain = compileText(scaled('{}', 'domains: [a.example.com]'));
    // THEN
    expect(find(scaledWeb, 'Ingress', 'a-web-a-example-com').spec.rules[0].http.paths).toEqual([
      { path: '/', pathType: 'Prefix', backend: { service: { name: 'kip-a-web', port: { number: 8080 } } } },
    ]);
    expect(find(plain, 'Ingress', 'a-web-a-example-com').spec.rules[0].http.paths).toEqual([
      { path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'a-web', port: { name: 'http-80-5000' } } } },
    ]);
  });

  it('scales by concurrency when scale_by says so', () => {
    const result = compileText(scaled('{web: {autoscaling: {triggers: [{type: http, metadata: {scale_by: concurrency, concurrency_target_value: "20"}}]}}}'));
    const http = find(result, 'HTTPScaledObject', 'a-web');
    expect([http.spec.scalingMetric, http.spec.scaledownPeriod, http.spec.hosts]).toEqual([{ concurrency: { targetValue: 20 } }, 300, []]);
  });

  it('checks the HTTPScaledObject shape against the CRD: a misspelt field or a missing port fails', () => {
    // GIVEN objects the add-on would reject or silently prune
    const base = { apiVersion: 'http.keda.sh/v1alpha1', kind: 'HTTPScaledObject', metadata: { name: 'a-web' } };
    // THEN
    expect(() => new HTTPScaledObject({ ...base, spec: { scaleTargetRef: { service: 'a-web', port: 80 }, scaledownPeriods: 1 } }).validate()).toThrow(/must NOT have additional properties/);
    expect(() => new HTTPScaledObject({ ...base, spec: { scaleTargetRef: { service: 'a-web' } } }).validate()).toThrow("/spec/scaleTargetRef must define either the 'portName' or the 'port'");
    expect(() => new HTTPScaledObject({ ...base, spec: { scaleTargetRef: { service: 'a-web', port: '80' } } }).validate()).toThrow(/must be integer/);
  });
});

describe('HorizontalPodAutoscalers', () => {
  it('renders autoscaling/v2 <app>-<proc> from spec.autoscale, and the Deployment omits replicas', async () => {
    // GIVEN
    const result = compileText(
      app('a', 'image: r/a:1\nprocfile: "web: ./web\\nworker: ./worker"\nautoscale:\n  web: {min: 2, max: 6, cpu: {utilization: 75}, memory: {averageValue: "400Mi"}}\n  worker: {max: 4, cpu: {averageValue: "0.5"}}'),
    );
    // THEN
    const web = find(result, 'HorizontalPodAutoscaler', 'a-web');
    expect(web.apiVersion).toBe('autoscaling/v2');
    expect(web.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'a-web' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '400Mi' } } },
      ],
    });
    // min defaults to 1; quantities are canonical
    expect(find(result, 'HorizontalPodAutoscaler', 'a-worker').spec).toMatchObject({ minReplicas: 1, maxReplicas: 4, metrics: [{ resource: { target: { averageValue: '500m' } } }] });
    expect(find(result, 'HorizontalPodAutoscaler', 'a-worker').metadata.namespace).toBe('default');
    expect(find(result, 'Deployment', 'a-web').spec.replicas).toBeUndefined();
    expect(await validateObject(web)).toBe(true);
  });
});

describe('PodDisruptionBudgets', () => {
  it('renders policy/v1 <app>-<proc> per process type, selecting exactly that Deployment\'s pods', async () => {
    // GIVEN
    const result = compileText(app('a', 'image: r/a:1\nprocfile: "web: ./web\\nworker: ./worker"\nproperties: {pod-min-available: "1"}\nlabels: {--global: {pod: {team: x}}}'));
    // THEN
    const pdb = find(result, 'PodDisruptionBudget', 'a-worker');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toEqual({ selector: { matchLabels: find(result, 'Deployment', 'a-worker').spec.selector.matchLabels }, minAvailable: 1 });
    expect(pdb.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'a-worker', 'app.kubernetes.io/name': 'worker', 'app.kubernetes.io/part-of': 'a' });
    expect(find(result, 'PodDisruptionBudget', 'a-web').spec.minAvailable).toBe(1);
    expect(await validateObject(pdb)).toBe(true);
  });

  it('takes a percentage, and the app\'s setting wins over the global one as a pair', () => {
    // GIVEN a global min and an app max
    const result = compileText(app('a', 'image: r/a:1\nproperties: {pod-max-unavailable: "50%"}'), app('b', 'image: r/b:1'), GLOBAL('properties: {pod-min-available: "2"}'));
    // THEN
    expect(find(result, 'PodDisruptionBudget', 'a-web').spec).toEqual({ selector: { matchLabels: expect.any(Object) }, maxUnavailable: '50%' });
    expect(find(result, 'PodDisruptionBudget', 'b-web').spec.minAvailable).toBe(2);
  });

  it('renders none without the properties', () => {
    expect(objectsOf(compileText(app('a', 'image: r/a:1'))).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });
});

describe('bad scaling input', () => {
  it('fails if a trigger has no type', () => {
    expect(problemsOf(scaled('{worker: {autoscaling: {triggers: [{metadata: {value: "1"}}]}}}'))).toEqual([
      'state-1.yaml:9: app a: spec.appJson.formation.worker.autoscaling.triggers[0].type: is required: name the KEDA scaler (cpu, memory, prometheus, http, ...)',
    ]);
  });

  it('fails if min_quantity is greater than max_quantity', () => {
    expect(problemsOf(scaled('{worker: {autoscaling: {min_quantity: 5, max_quantity: 2, triggers: [{type: cpu, metadata: {value: "1"}}]}}}'))).toEqual([
      'state-1.yaml:9: app a: spec.appJson.formation.worker.autoscaling.min_quantity: min_quantity 5 is greater than max_quantity 2',
    ]);
  });

  it('fails if an HPA\'s min is greater than its max', () => {
    expect(problemsOf(app('a', 'image: r/a:1\nautoscale:\n  web: {min: 5, max: 2, cpu: {utilization: 70}}'))).toEqual([
      'state-1.yaml:8: app a: spec.autoscale.web.min: min 5 is greater than max 2',
    ]);
  });

  it('fails if a process has two http triggers', () => {
    expect(problemsOf(scaled('{web: {autoscaling: {triggers: [{type: http}, {type: cpu, metadata: {value: "1"}}, {type: http}]}}}'))).toEqual([
      'state-1.yaml:9: app a: spec.appJson.formation.web.autoscaling.triggers[2]: is a second http trigger; a process may have at most one (the first is triggers[0])',
    ]);
  });

  it('fails if pod-min-available and pod-max-unavailable are set together', () => {
    expect(problemsOf(app('a', 'image: r/a:1\nproperties: {pod-min-available: "1", pod-max-unavailable: "1"}'))).toEqual([
      'state-1.yaml:7: app a: spec.properties.pod-max-unavailable: cannot be set together with "pod-min-available": a PodDisruptionBudget takes one of them',
    ]);
    expect(problemsOf(app('a', 'image: r/a:1'), GLOBAL('properties: {pod-min-available: "1", pod-max-unavailable: "1"}'))).toEqual([
      'state-2.yaml:4: Global: spec.properties.pod-max-unavailable: cannot be set together with "pod-min-available": a PodDisruptionBudget takes one of them',
    ]);
  });

  it('fails if a process has both KEDA triggers and an HPA', () => {
    expect(problemsOf(scaled('{worker: {autoscaling: {triggers: [{type: cpu, metadata: {value: "1"}}]}}}', 'autoscale: {worker: {max: 3, cpu: {utilization: 70}}}'))).toEqual([
      'state-1.yaml:10: app a: spec.autoscale.worker: process type "worker" also has KEDA triggers (appJson.formation.worker.autoscaling.triggers); KEDA and a HorizontalPodAutoscaler would fight over its replicas, keep one',
    ]);
  });

  it('fails if the two cooldown keys disagree', () => {
    expect(problemsOf(scaled('{worker: {autoscaling: {cooldown_seconds: 10, cooldown_period_seconds: 20, triggers: [{type: cpu, metadata: {value: "1"}}]}}}'))).toEqual([
      'state-1.yaml:9: app a: spec.appJson.formation.worker.autoscaling.cooldown_seconds: 10 disagrees with cooldown_period_seconds 20; set one of them',
    ]);
  });

  it('fails if an http trigger is on a process without a Service', () => {
    expect(problemsOf(scaled('{worker: {autoscaling: {triggers: [{type: http}]}}}'))).toEqual([
      'state-1.yaml:9: app a: spec.appJson.formation.worker.autoscaling.triggers[0].type: an http trigger needs a process with a Service; process type "worker" has none (it is not web and not formation.worker.service.exposed)',
    ]);
  });

  it('fails if the maximum resolves to 0', () => {
    expect(problemsOf(app('a', 'image: r/a:1\nprocfile: "worker: ./w"\nappJson: {formation: {worker: {autoscaling: {triggers: [{type: cpu, metadata: {value: "1"}}]}}}}'))).toEqual([
      "state-1.yaml:8: app a: spec.appJson.formation.worker.autoscaling.max_quantity: resolves to 0 (the process's scale); set max_quantity to at least 1",
    ]);
  });

  it('fails if spec.autoscale names a process that does not exist, or sets no target', () => {
    expect(problemsOf(app('a', 'image: r/a:1\nautoscale:\n  wbe: {max: 2, cpu: {utilization: 70}}\n  web: {max: 2}'))).toEqual([
      'state-1.yaml:8: app a: spec.autoscale.wbe: process type "wbe" does not exist; process types: web',
      'state-1.yaml:9: app a: spec.autoscale.web: has no target: set cpu or memory ({utilization: 70} or {averageValue: 500m})',
    ]);
  });

  it('fails if an auth trigger type cannot name its objects', () => {
    expect(problemsOf(app('a', 'image: r/a:1\nautoscalingAuth: {Redis_Cache: {password: x}}'))).toEqual([
      'state-1.yaml:7: app a: spec.autoscalingAuth.Redis_Cache: trigger type "Redis_Cache" cannot name a TriggerAuthentication "a-Redis_Cache": use lowercase letters, digits and \'-\', at most 61 characters',
    ]);
  });
});

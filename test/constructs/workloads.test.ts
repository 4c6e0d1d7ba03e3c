import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { app, compileText, filesOf, find, objectsOf } from '../_support/compile.js';

const GLOBAL = (spec: string) => `apiVersion: dokku-gitops/v1\nkind: Global\nspec:\n${spec.split('\n').map((l) => `  ${l}`).join('\n')}\n`;

describe('per-app objects', () => {
  it('renders the Namespace with dokku.com/managed, never pruned, unless it is built in', () => {
    // GIVEN an app in its own namespace and one in default
    const result = compileText(app('a', 'image: x:1\nproperties: {namespace: lollipop}'), app('b', 'image: x:1'));
    // THEN
    expect(find(result, 'Namespace', 'lollipop').metadata).toEqual({
      name: 'lollipop',
      labels: { 'dokku.com/managed': 'true', 'app.kubernetes.io/managed-by': 'dokku-gitops' },
      annotations: { 'dokku.com/managed': 'true', 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
    });
    expect(objectsOf(result).filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual(['lollipop']);
    expect(find(result, 'Deployment', 'a-web').metadata.namespace).toBe('lollipop');
    expect(find(result, 'Deployment', 'b-web').metadata.namespace).toBe('default');
  });

  it('takes the namespace from the global properties when the app sets none', () => {
    const result = compileText(app('a', 'image: x:1'), GLOBAL('properties: {namespace: apps}'));
    expect(find(result, 'ServiceAccount', 'a').metadata.namespace).toBe('apps');
  });

  it('renders the ServiceAccount <app> with Dokku\'s labels', () => {
    const sa = find(compileText(app('a', 'image: x:1')), 'ServiceAccount', 'a');
    expect(sa.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'service-account',
      'app.kubernetes.io/name': 'service-account',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
    });
  });

  it('renders the env Secret config-<app>, used through envFrom', () => {
    const result = compileText(app('a', 'image: x:1\nconfig: {HELLO: world, A: "1"}'));
    const secret = find(result, 'Secret', 'config-a');
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ A: 'MQ==', HELLO: 'd29ybGQ=' });
    expect(find(result, 'Deployment', 'a-web').spec.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: 'config-a', optional: true } }]);
  });

  it('renders pull-secret-<app> from registryAuth and references it', () => {
    const result = compileText(app('a', 'image: x:1\nregistryAuth: {auths: {r.example.com: {auth: eHg=}}}'));
    const secret = find(result, 'Secret', 'pull-secret-a');
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString()).toBe('{"auths":{"r.example.com":{"auth":"eHg="}}}');
    expect(find(result, 'Deployment', 'a-web').spec.template.spec.imagePullSecrets).toEqual([{ name: 'pull-secret-a' }]);
  });

  it('splits image-pull-secrets on commas, and then renders no pull secret (Dokku emits one name)', () => {
    const result = compileText(app('a', 'image: x:1\nregistryAuth: {auths: {}}\nproperties: {image-pull-secrets: "regcred, mirror"}'));
    expect(find(result, 'Deployment', 'a-web').spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
    expect(objectsOf(result).some((o) => o.metadata.name === 'pull-secret-a')).toBe(false);
  });

  it('renders a PersistentVolumeClaim per storage entry, mounted in every process, never pruned', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "web: a\\nworker: b"\nstorage: [{name: media, mountPath: /media, size: 5Gi, subPath: m, readOnly: true}]'));
    const pvc = find(result, 'PersistentVolumeClaim', 'media');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } });
    expect(pvc.metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    for (const name of ['a-web', 'a-worker']) {
      const pod = find(result, 'Deployment', name).spec.template.spec;
      expect(pod.volumes).toEqual([{ name: 'media', persistentVolumeClaim: { claimName: 'media' } }]);
      expect(pod.containers[0].volumeMounts).toEqual([{ name: 'media', mountPath: '/media', subPath: 'm', readOnly: true }]);
    }
  });
});

describe('Deployments', () => {
  it('renders one per process type, release excluded, with replicas from scale and 0 kept', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: |\n  web: a\n  worker: b\n  clock: c\n  release: migrate\nscale: {web: 2, worker: 0}'));
    const deployments = objectsOf(result).filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
      ['a-clock', 0],
      ['a-web', 2],
      ['a-worker', 0],
    ]);
  });

  it('defaults replicas to web 1, others 0, or the app.json formation quantity', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "web: a\\nworker: b\\nclock: c"\nappJson: {formation: {clock: {quantity: 3}}}'));
    expect(find(result, 'Deployment', 'a-web').spec.replicas).toBe(1);
    expect(find(result, 'Deployment', 'a-worker').spec.replicas).toBe(0);
    expect(find(result, 'Deployment', 'a-clock').spec.replicas).toBe(3);
  });

  it('scales everything to 0 when the app is stopped', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "web: a\\nworker: b"\nscale: {web: 2, worker: 1}\nstopped: true'));
    expect(objectsOf(result).filter((o) => o.kind === 'Deployment').map((d) => d.spec.replicas)).toEqual([0, 0]);
  });

  it.each([
    ['herokuish', undefined, ['/start', 'worker']],
    ['dockerfile', undefined, ['node', 'worker.js']],
    ['pack', ['launcher'], ['node', 'worker.js']],
  ])('builds the %s command', (builder, command, args) => {
    const result = compileText(app('a', `image: x:1\nbuilder: ${builder}\nprocfile: "web: npm start\\nworker: node worker.js"`));
    const c = find(result, 'Deployment', 'a-worker').spec.template.spec.containers[0];
    expect(c.command).toEqual(command);
    expect(c.args).toEqual(args);
  });

  it('uses the image command when a dockerfile app has no Procfile', () => {
    const c = find(compileText(app('a', 'image: x:1')), 'Deployment', 'a-web').spec.template.spec.containers[0];
    expect(c.command).toBeUndefined();
    expect(c.args).toBeUndefined();
  });

  it('replaces $PORT with the port and leaves other variables to Kubernetes, never putting config values in args', () => {
    const result = compileText(app('a', 'image: x:1\nports: ["http:80:3000"]\nconfig: {SECRET: hunter2}\nprocfile: "web: serve --port $PORT --key ${SECRET}"'));
    expect(find(result, 'Deployment', 'a-web').spec.template.spec.containers[0].args).toEqual(['serve', '--port', '3000', '--key', '$(SECRET)']);
  });

  it('emits numeric args as strings (Dokku leaves them unquoted, so YAML reads numbers)', () => {
    const files = filesOf(compileText(app('a', 'image: x:1\nprocfile: "web: sleep 3600"')));
    expect(files['apps/a/deployment-a-web.yaml']).toContain('- sleep\n            - "3600"\n');
  });

  it('sets PORT and containerPorts for web and exposed processes only', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "web: a\\ngrpc: b\\nworker: c"\nappJson: {formation: {grpc: {service: {exposed: true}}}}'));
    const container = (name: string) => find(result, 'Deployment', name).spec.template.spec.containers[0];
    expect(container('a-web').env).toEqual([{ name: 'PORT', value: '5000' }]);
    expect(container('a-web').ports).toEqual([{ name: 'http-80-5000', containerPort: 5000, protocol: 'TCP' }]);
    expect(container('a-grpc').env).toEqual([{ name: 'PORT', value: '5000' }]);
    expect(container('a-grpc').ports).toEqual([{ name: 'http-5000-5000', containerPort: 5000, protocol: 'TCP' }]);
    expect(container('a-worker').env).toBeUndefined();
    expect(container('a-worker').ports).toBeUndefined();
  });

  it('renders the Service of an exposed process even without a web process (Dokku needs one)', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "grpc: b"\nappJson: {formation: {grpc: {service: {exposed: true}}}}'));
    expect(find(result, 'Service', 'a-grpc').spec.ports).toEqual([{ name: 'http-5000-5000', port: 5000, targetPort: 5000, protocol: 'TCP' }]);
  });

  it('renders the web Service with one port per port map (scheduler-k3s-4.bats)', () => {
    const service = find(compileText(app('a', 'image: x:1')), 'Service', 'a-web');
    expect(service.spec).toEqual({
      ports: [{ name: 'http-80-5000', port: 80, targetPort: 5000, protocol: 'TCP' }],
      selector: { 'app.kubernetes.io/instance': 'a-web', 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'a' },
    });
  });

  it('chooses PORT by the deterministic primary-port rule, not by map iteration order', () => {
    for (const ports of ['["http:8080:3000", "http:80:5000"]', '["http:80:5000", "http:8080:3000"]']) {
      const c = find(compileText(app('a', `image: x:1\nports: ${ports}`)), 'Deployment', 'a-web').spec.template.spec.containers[0];
      expect(c.env).toEqual([{ name: 'PORT', value: '5000' }]);
    }
  });

  it('requests 100m CPU and 128Mi by default, with no limits', () => {
    const c = find(compileText(app('a', 'image: x:1')), 'Deployment', 'a-web').spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' } });
  });

  it('renders probes from app.json healthchecks; untyped checks are startup checks; uptime is minReadySeconds', () => {
    const result = compileText(
      app(
        'a',
        `image: x:1
appJson:
  healthchecks:
    web:
      - {path: /health, scheme: https, httpHeaders: [{name: X-Probe, value: "1"}], attempts: 5}
      - {type: liveness, listening: true, httpHeaders: [{name: Host, value: a.example.com}]}
      - {type: readiness, command: [check], wait: 7, timeout: 2, initialDelay: 1}
      - {type: readiness, path: /ignored}
      - {uptime: 15}`,
      ),
    );
    const d = find(result, 'Deployment', 'a-web');
    const c = d.spec.template.spec.containers[0];
    expect(c.startupProbe).toEqual({ httpGet: { path: '/health', port: 5000, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: '1' }] }, failureThreshold: 5, successThreshold: 1 });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 5000, host: 'a.example.com' }, successThreshold: 1 });
    expect(c.readinessProbe).toEqual({ exec: { command: ['check'] }, periodSeconds: 7, timeoutSeconds: 2, initialDelaySeconds: 1, successThreshold: 1 });
    expect(d.spec.minReadySeconds).toBe(15);
  });

  it('translates docker options, shm-size and workingDir', () => {
    const result = compileText(
      app('a', 'image: x:1\nworkingDir: /app\nproperties: {shm-size: 64Mi}\ndockerOptions: {deploy: ["--cap-add=NET_ADMIN --privileged", "--sysctl net.core.somaxconn=1024"]}'),
    );
    const pod = find(result, 'Deployment', 'a-web').spec.template.spec;
    expect(pod.securityContext).toEqual({ sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] });
    expect(pod.containers[0].securityContext).toEqual({ privileged: true, capabilities: { add: ['NET_ADMIN'] } });
    expect(pod.containers[0].workingDir).toBe('/app');
    expect(pod.volumes).toEqual([{ name: 'shmem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'shmem', mountPath: '/dev/shm' }]);
  });

  it('never injects cdk8s-plus defaults: no runAsNonRoot, no readOnlyRootFilesystem, no TCP startup probe, no hashed labels', () => {
    const yaml = filesOf(compileText(app('a', 'image: x:1')))['apps/a/deployment-a-web.yaml']!;
    expect(yaml).not.toMatch(/runAsNonRoot|readOnlyRootFilesystem|startupProbe|cdk8s\.io|automountServiceAccountToken|1500m|512Mi/);
  });
});

describe('labels and annotations', () => {
  it('merges global, app-wide and process values; the narrowest wins; each key once (scheduler-k3s-2.bats)', () => {
    const result = compileText(
      app('a', `image: x:1
procfile: "web: a\\nworker: b"
annotations:
  --global:
    deployment: {team: app, owner: app}
    pod: {pod: "yes"}
    secret: {s: secret}
  web:
    deployment: {team: deployment-web}`),
      GLOBAL('annotations:\n  deployment: {owner: global, cluster: one}'),
    );
    expect(find(result, 'Deployment', 'a-web').metadata.annotations).toEqual({
      'dokku.com/builder-type': 'dockerfile',
      'dokku.com/managed': 'true',
      'kubectl.kubernetes.io/default-container': 'a-web',
      cluster: 'one',
      owner: 'app',
      team: 'deployment-web',
    });
    expect(find(result, 'Deployment', 'a-worker').metadata.annotations.team).toBe('app');
    expect(find(result, 'Deployment', 'a-web').spec.template.metadata.annotations.pod).toBe('yes');
    expect(find(result, 'Secret', 'config-a').metadata.annotations).toEqual({ 'dokku.com/managed': 'true', s: 'secret' });
  });

  it('applies global annotations (Dokku stores them but never applies them)', () => {
    const result = compileText(app('a', 'image: x:1'), GLOBAL('annotations:\n  service: {lb: internal}'));
    expect(find(result, 'Service', 'a-web').metadata.annotations).toEqual({ 'dokku.com/managed': 'true', lb: 'internal' });
  });

  it('keeps pod labels out of the immutable selector, and never lets users override selector labels', () => {
    const result = compileText(app('a', 'image: x:1\nlabels:\n  web:\n    pod: {tier: frontend, app.kubernetes.io/name: hijack}'));
    const d = find(result, 'Deployment', 'a-web');
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'a-web', 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'a' });
    expect(d.spec.template.metadata.labels).toEqual({ ...d.spec.selector.matchLabels, tier: 'frontend' });
  });
});

describe('rollouts are deterministic', () => {
  const digest = (spec: string) => find(compileText(app('a', spec)), 'Deployment', 'a-web').spec.template.metadata.annotations['dokku.com/rollout-digest'];

  it('rolls pods when config or image change, and never otherwise', () => {
    const base = digest('image: x:1\nconfig: {A: "1"}');
    expect(digest('image: x:1\nconfig: {A: "1"}')).toBe(base);
    expect(digest('image: x:1\nconfig: {A: "1"}\nscale: {web: 3}')).toBe(base);
    expect(digest('image: x:1\nconfig: {A: "2"}')).not.toBe(base);
    expect(digest('image: x:2\nconfig: {A: "1"}')).not.toBe(base);
  });

  it('keys the digest with the host-held key (HMAC), not a plain hash of the env', () => {
    const payload = JSON.stringify({ image: 'x:1', env: [['A', '1']] });
    expect(digest('image: x:1\nconfig: {A: "1"}')).toBe(createHmac('sha256', Buffer.alloc(32, 7)).update(payload).digest('hex'));
    expect(digest('image: x:1\nconfig: {A: "1"}')).not.toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('uses no timestamp deployment id unless the state supplies one', () => {
    const without = find(compileText(app('a', 'image: x:1')), 'Deployment', 'a-web');
    expect(without.metadata.annotations['app.kubernetes.io/version']).toBeUndefined();
    const withId = find(compileText(app('a', 'image: x:1\ndeploymentId: "42"')), 'Deployment', 'a-web');
    expect(withId.metadata.annotations['app.kubernetes.io/version']).toBe('42');
    expect(withId.spec.template.metadata.annotations['app.kubernetes.io/version']).toBe('42');
  });
});

describe('what the API server would reject never renders', () => {
  it('lowers a default request to a lower limit (requests must not exceed limits)', () => {
    const c = find(compileText(app('a', 'image: x:1\nresources: {web: {limit: {memory: "64", cpu: 50m}}}')), 'Deployment', 'a-web').spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '50m', memory: '64Mi' } });
  });

  it('keeps the last value of a sysctl given twice', () => {
    const pod = find(compileText(app('a', 'image: x:1\ndockerOptions: {deploy: ["--sysctl net.core.somaxconn=1", "--sysctl net.core.somaxconn=2"]}')), 'Deployment', 'a-web').spec.template.spec;
    expect(pod.securityContext).toEqual({ sysctls: [{ name: 'net.core.somaxconn', value: '2' }] });
  });

  it('treats a Procfile of comments as no Procfile: web runs the image command', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "# nothing here\\n"'));
    expect(objectsOf(result).filter((o) => o.kind === 'Deployment').map((d) => d.metadata.name)).toEqual(['a-web']);
  });

  it('never lets a user annotation replace the rollout digest', () => {
    const d = find(compileText(app('a', 'image: x:1\nannotations: {web: {pod: {dokku.com/rollout-digest: forged}}}')), 'Deployment', 'a-web');
    expect(d.spec.template.metadata.annotations['dokku.com/rollout-digest']).toMatch(/^[0-9a-f]{64}$/);
  });
});

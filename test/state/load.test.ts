import { describe, expect, it } from 'vitest';
import { app, compileText, problemsOf } from '../_support/compile.js';

describe('state loading: every bad input is named, with its field, value and what is allowed', () => {
  it('fails if the kind is unknown', () => {
    // GIVEN / WHEN
    const problems = problemsOf('apiVersion: dokku-gitops/v1\nkind: Application\nmetadata: {name: x}\nspec: {image: x:1}\n');
    // THEN
    expect(problems).toEqual(['state-1.yaml:2: document 1: kind: "Application" is not supported; allowed values: App, Global']);
  });

  it('fails if the apiVersion is unknown', () => {
    const problems = problemsOf('apiVersion: dokku-gitops/v2\nkind: App\nmetadata: {name: x}\nspec: {image: x:1}\n');
    expect(problems).toEqual(['state-1.yaml:1: app x: apiVersion: "dokku-gitops/v2" is not supported; allowed values: dokku-gitops/v1']);
  });

  it('fails if the image is missing', () => {
    const problems = problemsOf(app('node-js-app', 'builder: herokuish'));
    expect(problems).toEqual(['state-1.yaml:6: app node-js-app: spec.image: is required']);
  });

  it('fails if the builder is unknown', () => {
    const problems = problemsOf(app('node-js-app', 'image: x:1\nbuilder: nixpacks'));
    expect(problems).toEqual(['state-1.yaml:7: app node-js-app: spec.builder: "nixpacks" is not allowed; allowed values: herokuish, dockerfile, pack']);
  });

  it('fails if a field is unknown, listing the known ones', () => {
    const problems = problemsOf(app('a', 'image: x:1\nreplicas: 2'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^state-1\.yaml:7: app a: spec\.replicas: is not a known field; allowed fields: image, builder, workingDir, procfile, appJson, scale, config, /);
  });

  it.each([
    ['Node_App', '"Node_App" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit'],
    ['a'.repeat(64), `"${'a'.repeat(64)}" is 64 characters long; at most 63 are allowed`],
    ['../etc', '"../etc" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit'],
    ['apps/evil', '"apps/evil" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit'],
    ['-app', '"-app" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit'],
  ])('fails if the app name is %j', (name, message) => {
    const problems = problemsOf(app(JSON.stringify(name), 'image: x:1'));
    expect(problems).toEqual([`state-1.yaml:4: app ${name}: metadata.name: ${message}`]);
  });

  it('fails if a process type is not a DNS-1123 label', () => {
    const problems = problemsOf(app('a', 'image: x:1\nprocfile: |\n  Web_1: npm start'));
    expect(problems).toEqual([
      'state-1.yaml:7: app a: spec.procfile: process type "Web_1" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit',
    ]);
  });

  it('fails if app name and process type together exceed 63 characters', () => {
    const name = 'a'.repeat(55);
    const problems = problemsOf(app(name, 'image: x:1\nprocfile: |\n  background: run'));
    expect(problems).toEqual([
      `state-1.yaml:7: app ${name}: spec.procfile: "${name}-background" (app name and process type) is longer than 63 characters; use a shorter app name or process type`,
    ]);
  });

  it('fails if a scaled process type is not in the Procfile', () => {
    const problems = problemsOf(app('a', 'image: x:1\nprocfile: |\n  web: npm start\nscale: {web: 1, wokrer: 2}'));
    expect(problems).toEqual(['state-1.yaml:9: app a: spec.scale.wokrer: process type "wokrer" is not in the Procfile; process types: web']);
  });

  it.each([
    ['memory', '12x', '"12x" is not a memory size; use megabytes (512) or a Kubernetes quantity (512Mi, 1Gi)'],
    ['cpu', 'lots', '"lots" is not a CPU quantity; use cores (0.5, 2) or millicores (500m)'],
    ['memory', '-5', '"-5" is not a memory size; use megabytes (512) or a Kubernetes quantity (512Mi, 1Gi)'],
  ])('fails if the %s value is %j', (key, value, message) => {
    const problems = problemsOf(app('a', `image: x:1\nresources:\n  web: {limit: {${key}: "${value}"}}`));
    expect(problems).toEqual([`state-1.yaml:8: app a: spec.resources.web.limit.${key}: ${message}`]);
  });

  it.each([
    ['http:80', '"http:80" is not a port map; expected scheme:host:container such as http:80:5000, with scheme http, https, tcp, udp and ports 1-65535'],
    ['ftp:21:21', '"ftp:21:21" is not a port map; expected scheme:host:container such as http:80:5000, with scheme http, https, tcp, udp and ports 1-65535'],
    ['http:80:70000', '"http:80:70000" is not a port map; expected scheme:host:container such as http:80:5000, with scheme http, https, tcp, udp and ports 1-65535'],
    [
      'https:44300:50000',
      'port map "https:44300:50000" would be named "https-44300-50000", which is longer than the 15 characters Kubernetes allows for port names; use a host or container port with fewer digits',
    ],
  ])('fails if a port map is %j', (port, message) => {
    const problems = problemsOf(app('a', `image: x:1\nports: ["http:80:5000", "${port}"]`));
    expect(problems).toEqual([`state-1.yaml:7: app a: spec.ports[1]: ${message}`]);
  });

  it('fails if a sysctl is not namespaced', () => {
    const problems = problemsOf(app('a', 'image: x:1\ndockerOptions:\n  deploy: ["--sysctl vm.max_map_count=262144"]'));
    expect(problems).toEqual([
      'state-1.yaml:8: app a: spec.dockerOptions.deploy[0]: sysctl "vm.max_map_count" is not namespaced, so a pod cannot set it; allowed: net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*',
    ]);
  });

  it('fails on malformed YAML, with its line', () => {
    const problems = problemsOf('apiVersion: dokku-gitops/v1\nkind: App\nmetadata:\n  name: a\nspec:\n  image: [x:1\n  builder: herokuish\n');
    expect(problems).toEqual(['state-1.yaml:7: invalid YAML or JSON: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  });

  it('fails on malformed JSON, with its line', () => {
    const problems = problemsOf('{\n  "apiVersion": "dokku-gitops/v1",\n  "kind": "App",\n  "metadata": {"name": "a"},\n  "spec": {"image": "x:1",}\n  }\n}\n');
    expect(problems[0]).toMatch(/^state-1\.yaml:7: invalid YAML or JSON: /);
  });

  it('fails on a duplicate key', () => {
    const problems = problemsOf(app('a', 'image: x:1\nimage: y:2'));
    expect(problems).toEqual(['state-1.yaml:7: invalid YAML or JSON: Map keys must be unique']);
  });

  it('reports several errors of several documents together', () => {
    // GIVEN two broken apps in two files
    const problems = problemsOf(app('a', 'image: x:1\nbuilder: rocket\nports: ["web"]'), app('b', 'builder: pack'));
    // THEN every problem is listed, in document order
    expect(problems).toEqual([
      'state-1.yaml:7: app a: spec.builder: "rocket" is not allowed; allowed values: herokuish, dockerfile, pack',
      'state-2.yaml:6: app b: spec.image: is required',
    ]);
  });

  it('reports schema and rule problems of one document together when the schema passes', () => {
    const problems = problemsOf(app('a', 'image: x:1\nports: ["web"]\nresources: {web: {reserve: {cpu: "x"}}}'));
    expect(problems).toEqual([
      'state-1.yaml:7: app a: spec.ports[0]: "web" is not a port map; expected scheme:host:container such as http:80:5000, with scheme http, https, tcp, udp and ports 1-65535',
      'state-1.yaml:8: app a: spec.resources.web.reserve.cpu: "x" is not a CPU quantity; use cores (0.5, 2) or millicores (500m)',
    ]);
  });

  it('fails if an app is defined twice', () => {
    const problems = problemsOf(app('a', 'image: x:1'), app('a', 'image: x:2'));
    expect(problems).toEqual(['state-2.yaml:4: app a: metadata.name: app "a" is already defined at state-1.yaml:1']);
  });

  it('fails if a property is unknown or set at the wrong level', () => {
    const problems = problemsOf(app('a', 'image: x:1\nproperties: {ingress-class: traefik, namspace: x}'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe('state-1.yaml:7: app a: spec.properties.ingress-class: is a global property: set it in the Global document');
    expect(problems[1]).toMatch(/^state-1\.yaml:7: app a: spec\.properties\.namspace: is not a known property; known properties: cert-issuer-kind, /);
  });

  it('fails if an annotation resource type is unknown', () => {
    const problems = problemsOf(app('a', 'image: x:1\nannotations:\n  web:\n    deploymnet: {a: b}'));
    expect(problems).toEqual([
      'state-1.yaml:9: app a: spec.annotations.web.deploymnet: is not a known resource type; allowed values: certificate, cronjob, deployment, ingress, job, keda_scaled_object, keda_secret, keda_trigger_authentication, pod, secret, service, serviceaccount, traefik_ingressroute, traefik_middleware',
    ]);
  });
});

describe('states that would give objects the API server rejects are refused, with what to change', () => {
  it('fails if two storage entries share a name or a mount path, or a subPath leaves the volume', () => {
    const problems = problemsOf(app('a', 'image: x:1\nstorage:\n  - {name: d, mountPath: /d, size: 1Gi}\n  - {name: d, mountPath: /d, size: 1Gi, subPath: ../etc}'));
    expect(problems).toEqual([
      'state-1.yaml:9: app a: spec.storage[1].name: "d" is already the name of storage[0]; each entry needs its own name',
      'state-1.yaml:9: app a: spec.storage[1].mountPath: "/d" is already mounted by storage[0]; each mount needs its own path',
      'state-1.yaml:9: app a: spec.storage[1].subPath: "../etc" must be a relative path without \'..\'',
    ]);
  });

  it('fails if a storage entry takes the shm-size volume name or its mount path', () => {
    const problems = problemsOf(app('a', 'image: x:1\nproperties: {shm-size: 64Mi}\nstorage:\n  - {name: shmem, mountPath: /dev/shm, size: 1Gi}'));
    expect(problems).toEqual([
      'state-1.yaml:9: app a: spec.storage[0].name: "shmem" is the volume of shm-size; use another name',
      'state-1.yaml:9: app a: spec.storage[0].mountPath: "/dev/shm" is already mounted by shm-size; each mount needs its own path',
    ]);
  });

  it('fails if an env name cannot be a Secret key', () => {
    const problems = problemsOf(app('a', 'image: x:1\nconfig: {"A B": x, GOOD_1: y}'));
    expect(problems).toEqual(["state-1.yaml:7: app a: spec.config[\"A B\"]: is not a valid env name: use letters, digits, '_', '-' and '.'"]);
  });

  it('fails if a generated name would not fit a label value, saying how long the app name may be', () => {
    const name = 'p'.repeat(52);
    const problems = problemsOf(app(name, 'image: x:1\nregistryAuth: {auths: {}}'));
    expect(problems).toEqual([
      `state-1.yaml:4: app ${name}: metadata.name: "pull-secret-${name}" is longer than the 63 characters of a label value; the app name may have at most 51 characters`,
    ]);
  });

  it('fails if a reservation exceeds its limit', () => {
    const problems = problemsOf(app('a', 'image: x:1\nresources: {web: {limit: {memory: "256"}, reserve: {memory: "512"}}}'));
    expect(problems).toEqual(['state-1.yaml:7: app a: spec.resources.web.reserve.memory: "512" reserves more than the limit 256Mi; a reservation must not exceed its limit']);
  });

  it('fails on a healthcheck scheme other than http or https, and on out-of-range numbers', () => {
    const problems = problemsOf(app('a', 'image: x:1\nscale: {web: 100000}\nappJson: {healthchecks: {web: [{path: /, scheme: ftp, port: 99999}]}}'));
    // in the schema's order of fields (appJson before scale)
    expect(problems).toEqual([
      'state-1.yaml:8: app a: spec.appJson.healthchecks.web[0].scheme: "ftp" is not allowed; allowed values: http, https, HTTP, HTTPS',
      'state-1.yaml:8: app a: spec.appJson.healthchecks.web[0].port: 99999 must be at most 65535',
      'state-1.yaml:7: app a: spec.scale.web: 100000 must be at most 10000',
    ]);
  });

  it('says a missing apiVersion or kind is required', () => {
    expect(problemsOf('metadata: {name: a}\nspec: {image: x}\n')).toEqual([
      'state-1.yaml:1: document 1: apiVersion: is required; use dokku-gitops/v1',
      'state-1.yaml:1: document 1: kind: is required; allowed values: App, Global',
    ]);
  });
});

describe('user annotations and labels', () => {
  it('fails on keys that are not qualified names and label values that are not label values', () => {
    const problems = problemsOf(app('a', 'image: x:1\nlabels:\n  web:\n    pod: {"bad key!": v, tier: "front end"}\nannotations:\n  --global:\n    deployment: {"example.com/ok": "any value, spaces too", "Bad_Prefix/x": y}'));
    expect(problems).toEqual([
      "state-1.yaml:12: app a: spec.annotations.--global.deployment[\"Bad_Prefix/x\"]: has a prefix that is not a DNS subdomain (before the /)",
      "state-1.yaml:9: app a: spec.labels.web.pod[\"bad key!\"]: is not a valid key: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, after an optional DNS prefix and /",
      'state-1.yaml:9: app a: spec.labels.web.pod.tier: "front end" is not a valid label value: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit',
    ]);
  });

  it('fails on a bad global label too', () => {
    const problems = problemsOf(app('a', 'image: x:1'), 'apiVersion: dokku-gitops/v1\nkind: Global\nspec:\n  labels:\n    pod: {env: "prod!"}\n');
    expect(problems).toEqual(['state-2.yaml:5: Global: spec.labels.pod.env: "prod!" is not a valid label value: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit']);
  });
});

describe('process types that would escape a path or break a name', () => {
  it.each(['../x', 'a/b', 'web.1'])('fails if a process type is %j, saying what is allowed', (type) => {
    expect(problemsOf(app('a', `image: x:1\nprocfile: "${type}: run"`))).toEqual([
      `state-1.yaml:7: app a: spec.procfile: process type "${type}" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit`,
    ]);
  });
});

describe('storage shared by apps of one namespace', () => {
  it('fails if two apps claim the same PVC differently', () => {
    const problems = problemsOf(app('a', 'image: x:1\nstorage: [{name: data, mountPath: /d, size: 1Gi}]'), app('b', 'image: x:1\nstorage: [{name: data, mountPath: /d, size: 2Gi}]'));
    expect(problems).toEqual([
      'state-2.yaml:7: app b: spec.storage[0]: the PersistentVolumeClaim "data" in namespace "default" is also app a\'s, with another size, access mode or storage class; give both the same, or use another name',
    ]);
  });

  it('accepts the same claim in two apps, or the same name in two namespaces', () => {
    expect(() => compileText(app('a', 'image: x:1\nstorage: [{name: data, mountPath: /d, size: 1Gi}]'), app('b', 'image: x:1\nstorage: [{name: data, mountPath: /e, size: 1024Mi}]'))).not.toThrow();
    expect(() => compileText(app('a', 'image: x:1\nstorage: [{name: data, mountPath: /d, size: 1Gi}]'), app('b', 'image: x:1\nproperties: {namespace: other}\nstorage: [{name: data, mountPath: /d, size: 2Gi}]'))).not.toThrow();
  });
});

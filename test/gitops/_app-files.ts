/**
 * Builders for the files of a compiled app, shaped like the compiler's output
 * (`apps/<app>/<kind>-<name>.yaml`, a kustomization.yaml, secrets with key HMACs), for the
 * summary and review tests. Pure: nothing is written to disk.
 */
import { createHmac } from 'node:crypto';
import { renderYamlFile, type FileTree, type KubeObject } from '../../src/gitops/tree.js';

export interface AppVersion {
  readonly image: string;
  readonly replicas?: Record<string, number | undefined>;
  readonly cron?: string[];
  readonly env?: Record<string, string>;
  /** How the env Secret is stored in Git. */
  readonly secretMode?: 'sops' | 'sealed' | 'plaintext' | 'sops-no-hmacs';
  readonly releaseHash?: string;
  readonly servicePort?: number;
}

const HMAC_KEY = Buffer.alloc(32, 7);

/** The `dokku-gitops.io/key-hmacs` annotation value for an env. */
export function keyHmacs(env: Record<string, string>): string {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env).sort()) {
    result[key] = createHmac('sha256', HMAC_KEY).update(`${key}\0${value}`).digest('hex').slice(0, 16);
  }
  return JSON.stringify(result);
}

/** A fake ciphertext that changes with the value and on every encryption, like SOPS's. */
let nonce = 0;
function enc(value: string): string {
  nonce++;
  return `ENC[AES256_GCM,data:${Buffer.from(value).toString('base64')},iv:${nonce},tag:BBBB,type:str]`;
}

function deployment(app: string, proc: string, image: string, replicas: number | undefined): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${app}-${proc}`, namespace: 'default', labels: { 'app.kubernetes.io/part-of': app } },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { 'app.kubernetes.io/name': proc } },
      template: {
        metadata: { annotations: { 'app.kubernetes.io/version': image } },
        spec: { containers: [{ name: `${app}-${proc}`, image, envFrom: [{ secretRef: { name: `config-${app}` } }] }] },
      },
    },
  };
}

function cronJob(app: string, id: string, image: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: `${app}-cron-${id}`, namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: `${app}-cron`, image, args: ['task'] }] } } } },
    },
  };
}

function envSecret(app: string, env: Record<string, string>, mode: NonNullable<AppVersion['secretMode']>): KubeObject {
  const name = `config-${app}`;
  const annotations = mode === 'sops-no-hmacs' ? {} : { annotations: { 'dokku-gitops.io/key-hmacs': keyHmacs(env) } };
  const keys = Object.keys(env).sort();
  if (mode === 'sealed') {
    return {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name, namespace: 'default', ...annotations },
      spec: { encryptedData: Object.fromEntries(keys.map((k) => [k, `sealed-${Buffer.from(env[k]!).toString('hex')}`])), template: { metadata: { name } } },
    };
  }
  if (mode === 'plaintext') {
    return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', ...annotations }, data: Object.fromEntries(keys.map((k) => [k, Buffer.from(env[k]!).toString('base64')])) };
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default', ...annotations },
    data: Object.fromEntries(keys.map((k) => [k, enc(env[k]!)])),
    sops: { age: [{ recipient: 'age1example', enc: '-----BEGIN AGE ENCRYPTED FILE-----\n...' }], lastmodified: '2026-01-01T00:00:00Z', mac: enc('mac'), encrypted_regex: '^(data|stringData)$', version: '3.13.2' },
  };
}

function releaseJob(app: string, hash: string, image: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${app}-release-${hash}`, namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: `${app}-release`, image, args: ['release'] }] } } },
  };
}

/** The files of one compiled app. */
export function appFiles(app: string, version: AppVersion): FileTree {
  const dir = `apps/${app}`;
  const tree: FileTree = {};
  const resources: string[] = [];
  const add = (file: string, object: KubeObject): void => {
    tree[`${dir}/${file}`] = renderYamlFile([object]);
    resources.push(file);
  };
  const replicas = version.replicas ?? { web: 1 };
  for (const proc of Object.keys(replicas).sort()) add(`deployment-${app}-${proc}.yaml`, deployment(app, proc, version.image, replicas[proc]));
  add(`service-${app}-web.yaml`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${app}-web`, namespace: 'default' },
    spec: { ports: [{ name: 'http-80-5000', port: version.servicePort ?? 80, targetPort: 5000 }] },
  });
  for (const id of version.cron ?? []) add(`cronjob-${app}-cron-${id}.yaml`, cronJob(app, id, version.image));
  if (version.env !== undefined) {
    const secret = envSecret(app, version.env, version.secretMode ?? 'sops');
    add(`${String(secret.kind).toLowerCase()}-config-${app}.yaml`, secret);
  }
  tree[`${dir}/kustomization.yaml`] = renderYamlFile([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }]);
  if (version.releaseHash !== undefined) {
    tree[`${dir}/release/job-${app}-release-${version.releaseHash}.yaml`] = renderYamlFile([releaseJob(app, version.releaseHash, version.image)]);
    tree[`${dir}/release/kustomization.yaml`] = renderYamlFile([
      { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [`job-${app}-release-${version.releaseHash}.yaml`] },
    ]);
  }
  return tree;
}

/**
 * Independent validation of emitted manifests against the JSON schemas shipped with
 * `kubernetes-models` and `@kubernetes-models/*` (precompiled ajv validators generated from
 * upstream Go types). Every test that emits objects runs them through `validateObject`.
 */
import { parseAllDocuments } from 'yaml';
import { HTTPScaledObject } from './http-keda.js';

/** The model package of a CRD API group. */
const CRD_PACKAGES: Record<string, string> = {
  'traefik.io': '@kubernetes-models/traefik',
  'cert-manager.io': '@kubernetes-models/cert-manager',
  'keda.sh': '@kubernetes-models/keda',
  'http.keda.sh': '@kubernetes-models/keda',
  'source.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'kustomize.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'argoproj.io': '@kubernetes-models/argo-cd',
  'bitnami.com': '@kubernetes-models/sealed-secrets',
};

/** API groups no model package covers; objects of these groups are reported, not validated. */
export const UNMODELLED_GROUPS = new Set(['helm.cattle.io', 'kustomize.config.k8s.io']);

type ModelClass = new (data: unknown) => { validate(): void };

/** Models kept in this repository for CRDs no package ships, by `<apiVersion>/<kind>`. */
const LOCAL_MODELS: Record<string, ModelClass> = { 'http.keda.sh/v1alpha1/HTTPScaledObject': HTTPScaledObject };

async function modelOf(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const local = LOCAL_MODELS[`${apiVersion}/${kind}`];
  if (local) return local;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const module = group === '' || !group.includes('.') || group.endsWith('.k8s.io')
    ? `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`
    : `${CRD_PACKAGES[group] ?? `unknown-group:${group}`}/${group}/${version}/${kind}`;
  if (UNMODELLED_GROUPS.has(group)) return undefined;
  const mod = (await import(module)) as Record<string, ModelClass>;
  const model = mod[kind] ?? (mod.default as unknown as ModelClass | undefined);
  if (!model) throw new Error(`no model ${kind} in ${module}`);
  return model;
}

/**
 * Validates one object; throws with the model's message (listing the failing JSON pointers).
 *
 * @returns false when the object's API group has no model (see {@link UNMODELLED_GROUPS})
 */
export async function validateObject(object: Record<string, unknown>): Promise<boolean> {
  const { apiVersion, kind } = object as { apiVersion: string; kind: string };
  const Model = await modelOf(apiVersion, kind);
  if (!Model) return false;
  try {
    new Model(object).validate();
  } catch (err) {
    const name = (object.metadata as { name?: string } | undefined)?.name;
    throw new Error(`${apiVersion} ${kind} ${name}: ${(err as Error).message}`);
  }
  return true;
}

/** Validates every document of every YAML file in a `{ path: content }` map; returns how many were validated. */
export async function validateFiles(files: Record<string, string>): Promise<number> {
  let n = 0;
  for (const [path, content] of Object.entries(files)) {
    if (!path.endsWith('.yaml') || path.endsWith('kustomization.yaml') || path.endsWith('.sops.yaml')) continue;
    for (const doc of parseAllDocuments(content)) {
      const object = doc.toJS() as Record<string, unknown> | null;
      if (!object || 'sops' in object) continue;
      if (await validateObject(object)) n += 1;
    }
  }
  return n;
}

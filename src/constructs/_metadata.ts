/**
 * Labels and annotations every object gets, and how user values merge into them.
 */
import type { AppModel } from '../dokku/app-model.js';
import type { ResourceType } from '../state/types.js';

/** `dokku.com/managed: "true"`, on every object, as Dokku does. */
export const MANAGED = { 'dokku.com/managed': 'true' } as const;

/** `app.kubernetes.io/managed-by`, on every object's own labels (never in selectors). */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'dokku-gitops' } as const;

/** Annotations that stop Flux and Argo CD from ever pruning an object (namespaces, volumes). */
export const NEVER_PRUNE = {
  // Prune=false: not pruned when it leaves the app; Delete=false: kept when the Application is deleted
  'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
} as const;

/** Dokku's three standard labels: they select the pods, so user labels never override them. */
export function selectorLabels(app: string, instance: string, name: string): Record<string, string> {
  return {
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': app,
  };
}

/**
 * User labels of a resource type merged over `base`; keys of `base` that select pods
 * (`app.kubernetes.io/instance`, `name`, `part-of`) keep their value.
 */
export function withUserLabels(
  model: AppModel,
  type: ResourceType,
  base: Record<string, string>,
  processType?: string,
): Record<string, string> {
  const user = model.labels.for(type, processType);
  const out = { ...base, ...user };
  for (const key of ['app.kubernetes.io/instance', 'app.kubernetes.io/name', 'app.kubernetes.io/part-of']) {
    if (key in base) out[key] = base[key]!;
  }
  return out;
}

/** `dokku.com/managed` and `base`, then the user annotations of a resource type. */
export function withUserAnnotations(
  model: AppModel,
  type: ResourceType,
  base: Record<string, string>,
  processType?: string,
): Record<string, string> {
  return { ...MANAGED, ...base, ...model.annotations.for(type, processType) };
}

import type { ProblemScope } from './_problems.js';

/**
 * The compiler's input: Dokku app state, in Dokku's own vocabulary.
 *
 * A state is a set of documents (YAML or JSON, one file with several documents or a directory
 * of files): one `App` document per Dokku app, and at most one `Global` document with the
 * global (`--global`) settings. Values arrive as Dokku stores them; the compiler applies
 * Dokku's rules (see `src/dokku/`).
 */

/** The only supported `apiVersion` of state documents. */
export const STATE_API_VERSION = 'dokku-gitops/v1';

/** How the app's image was built; decides the container command. */
export type Builder = 'herokuish' | 'dockerfile' | 'pack';

/** Resource types that `annotations:set` / `labels:set` accept (`--resource-type`). */
export const ANNOTATION_RESOURCE_TYPES = [
  'certificate',
  'cronjob',
  'deployment',
  'ingress',
  'job',
  'keda_scaled_object',
  'keda_secret',
  'keda_trigger_authentication',
  'pod',
  'secret',
  'service',
  'serviceaccount',
  'traefik_ingressroute',
  'traefik_middleware',
] as const;

/** Resource types that `labels:set` accepts: the annotation types without the KEDA ones. */
export const LABEL_RESOURCE_TYPES = ANNOTATION_RESOURCE_TYPES.filter((t) => !t.startsWith('keda_'));

/** A resource type of `annotations:set`. */
export type ResourceType = (typeof ANNOTATION_RESOURCE_TYPES)[number];

/** `<resource type> -> <key> -> <value>`. */
export type MetadataByType = Partial<Record<ResourceType, Record<string, string>>>;

/**
 * `<process type | "--global"> -> <resource type> -> map`, as `annotations:set` and
 * `labels:set` store them. `--global` means every process of the app.
 */
export type ScopedMetadata = Record<string, MetadataByType>;

/** Values of `resource:limit` or `resource:reserve`, as Dokku stores them. */
export interface ResourceValues {
  /** A Kubernetes CPU quantity (`100m`, `0.5`); a zero quantity (`0m`) drops the field. */
  readonly cpu?: string;
  /** Megabytes as a bare number (`512`), or a Kubernetes quantity (`512Mi`); `0Mi` drops the field. */
  readonly memory?: string;
  /** Number of NVIDIA GPUs (limit only). */
  readonly 'nvidia-gpu'?: string;
}

/** `resource:limit` and `resource:reserve` of one process type (or `_default_`). */
export interface ProcessResources {
  readonly limit?: ResourceValues;
  readonly reserve?: ResourceValues;
}

/** A storage mount (storage plugin entry) with its PersistentVolumeClaim. */
export interface StorageEntry {
  /** Name of the entry, the PVC and the pod volume. */
  readonly name: string;
  /** Where it is mounted in every container. */
  readonly mountPath: string;
  /** Requested size, a Kubernetes quantity. */
  readonly size: string;
  readonly subPath?: string;
  readonly readOnly?: boolean;
  /** @default ReadWriteOnce */
  readonly accessMode?: 'ReadWriteOnce' | 'ReadWriteMany' | 'ReadOnlyMany' | 'ReadWriteOncePod';
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** One app.json healthcheck (Dokku's `appjson.Healthcheck`). */
export interface Healthcheck {
  readonly type?: 'startup' | 'liveness' | 'readiness';
  readonly name?: string;
  readonly description?: string;
  readonly command?: string[];
  readonly listening?: boolean;
  readonly path?: string;
  readonly scheme?: string;
  readonly port?: number;
  readonly content?: string;
  readonly httpHeaders?: { name: string; value: string }[];
  readonly attempts?: number;
  readonly initialDelay?: number;
  readonly timeout?: number;
  readonly wait?: number;
  readonly uptime?: number;
  readonly warn?: boolean;
  readonly onFailure?: unknown;
}

/** One app.json cron task. */
export interface CronTask {
  readonly command: string;
  readonly schedule: string;
  readonly maintenance?: boolean;
  readonly concurrency_policy?: string;
}

/** One KEDA trigger of `formation.<proc>.autoscaling.triggers`. */
export interface AutoscalingTrigger {
  readonly name?: string;
  readonly type?: string;
  readonly metadata?: Record<string, string>;
  /** KEDA's trigger-level `metricType` (cpu and memory scalers need it); Dokku drops it, it is passed through here. */
  readonly metricType?: 'Utilization' | 'AverageValue' | 'Value';
}

/** `formation.<proc>.autoscaling`. */
export interface FormationAutoscaling {
  readonly min_quantity?: number;
  readonly max_quantity?: number;
  readonly polling_interval_seconds?: number;
  /** What Dokku's code reads. */
  readonly cooldown_period_seconds?: number;
  /** What Dokku's docs say; accepted too. */
  readonly cooldown_seconds?: number;
  readonly triggers?: AutoscalingTrigger[];
}

/** `formation.<proc>`. */
export interface Formation {
  readonly quantity?: number;
  readonly max_parallel?: number;
  readonly autoscaling?: FormationAutoscaling;
  readonly service?: { readonly exposed?: boolean };
}

/** The parts of Dokku's app.json that the compiler reads; other keys are kept and ignored. */
export interface AppJson {
  readonly cron?: CronTask[];
  readonly formation?: Record<string, Formation>;
  readonly healthchecks?: Record<string, Healthcheck[]>;
  readonly scripts?: { readonly dokku?: { readonly predeploy?: string; readonly postdeploy?: string }; readonly postdeploy?: string };
  readonly [key: string]: unknown;
}

/**
 * A resource target of a HorizontalPodAutoscaler: set exactly one of `utilization` (percent
 * of the request) or `averageValue` (a quantity per pod).
 */
export interface ResourceTarget {
  /** Average utilization in percent of the container's request (`Utilization`). */
  readonly utilization?: number;
  /** Average value per pod, a Kubernetes quantity (`AverageValue`): `500m`, `512Mi`. */
  readonly averageValue?: string;
}

/**
 * `spec.autoscale.<proc>`: a HorizontalPodAutoscaler for clusters without KEDA, in the words
 * of the scheduler-kubernetes plugin (`autoscale-set <app> <proc> min-replicas|max-replicas`,
 * `autoscale-rule-add <app> <proc> resource:cpu:Utilization:70`).
 */
export interface ProcessAutoscale {
  /** Fewest replicas. @default 1 */
  readonly min?: number;
  /** Most replicas. */
  readonly max: number;
  /** CPU target. @default - none (set cpu, memory or both) */
  readonly cpu?: ResourceTarget;
  /** Memory target. @default - none (set cpu, memory or both) */
  readonly memory?: ResourceTarget;
}

/** An imported certificate (`certs:add`). */
export interface ImportedCert {
  /** PEM certificate chain. */
  readonly crt: string;
  /** PEM private key. */
  readonly key: string;
}

/** The `spec` of an `App` document. */
export interface AppSpec {
  /** Fully resolved image reference. */
  readonly image: string;
  /** @default dockerfile */
  readonly builder?: Builder;
  /** @default - the image's WorkingDir */
  readonly workingDir?: string;
  /** Verbatim Procfile. */
  readonly procfile?: string;
  /** Verbatim app.json. */
  readonly appJson?: AppJson;
  /** `ps:scale`. @default - web 1, other process types 0 (or their formation quantity) */
  readonly scale?: Record<string, number>;
  /** Merged env (`config:export`). */
  readonly config?: Record<string, string>;
  readonly domains?: string[];
  /** `ports:set` maps, `scheme:host:container`. @default - http:80:5000 */
  readonly ports?: string[];
  /** Per process type, `_default_` for all. */
  readonly resources?: Record<string, ProcessResources>;
  /** `docker-options` per phase; only `deploy` (and `run` for one-off jobs) are read. */
  readonly dockerOptions?: { readonly deploy?: string[]; readonly run?: string[]; readonly build?: string[] };
  readonly storage?: StorageEntry[];
  /** nginx plugin properties, verbatim names. */
  readonly nginx?: Record<string, string>;
  /** scheduler-k3s properties, verbatim names. */
  readonly properties?: Record<string, string>;
  readonly annotations?: ScopedMetadata;
  readonly labels?: ScopedMetadata;
  /** HorizontalPodAutoscalers by process type (clusters without KEDA); a process cannot have KEDA triggers too. */
  readonly autoscale?: Record<string, ProcessAutoscale>;
  /** `autoscaling-auth:set`: trigger type -> parameter -> value. */
  readonly autoscalingAuth?: Record<string, Record<string, string>>;
  /** Docker config.json content for `pull-secret-<app>`. */
  readonly registryAuth?: Record<string, unknown>;
  /** Imported TLS certificate. */
  readonly certs?: ImportedCert;
  /** A deployment id; only when supplied does `app.kubernetes.io/version` appear. */
  readonly deploymentId?: string;
  /** `ps:stop`: every Deployment at 0 replicas and every CronJob suspended. @default false */
  readonly stopped?: boolean;
}

/** Where a document came from, for error messages. */
export interface DocumentSource {
  /** The file, as given or found. */
  readonly file: string;
  /** 1-based line of the document's first line. */
  readonly line: number;
}

/** An `App` document. */
export interface AppDocument {
  readonly apiVersion: typeof STATE_API_VERSION;
  readonly kind: 'App';
  readonly metadata: { readonly name: string };
  readonly spec: AppSpec;
}

/** The `spec` of the `Global` document. */
export interface GlobalSpec {
  /** Global scheduler-k3s properties (`scheduler-k3s:set --global`). */
  readonly properties?: Record<string, string>;
  /** Global `autoscaling-auth:set --global`: ClusterTriggerAuthentications. */
  readonly autoscalingAuth?: Record<string, Record<string, string>>;
  /** Global annotations, applied to every app (Dokku stores but ignores them). */
  readonly annotations?: MetadataByType;
  /** Global labels, applied to every app. */
  readonly labels?: MetadataByType;
}

/** The `Global` document. */
export interface GlobalDocument {
  readonly apiVersion: typeof STATE_API_VERSION;
  readonly kind: 'Global';
  readonly metadata?: { readonly name?: string };
  readonly spec: GlobalSpec;
}

/** A loaded, schema-checked state. */
export interface State {
  readonly apps: readonly AppDocument[];
  readonly global?: GlobalDocument;
  /** Source of each document, by `App/<name>` or `Global`. */
  readonly sources: ReadonlyMap<string, DocumentSource>;
  /** Where to report problems found in each document later (by the same keys). */
  readonly scopes: ReadonlyMap<string, ProblemScope>;
}

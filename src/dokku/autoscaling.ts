/**
 * How processes scale, resolved: KEDA ScaledObjects from app.json
 * `formation.<proc>.autoscaling` (`plugins/app-json` `GetAutoscalingConfig`, `P/functions.go`
 * `getAutoscaling`), KEDA trigger authentication (`autoscaling-auth:set`), the KEDA HTTP
 * add-on, HorizontalPodAutoscalers from `spec.autoscale` (for clusters without KEDA; the
 * older scheduler-kubernetes plugin's `autoscale-*` commands) and PodDisruptionBudgets from
 * the `pod-min-available` / `pod-max-unavailable` properties.
 */
import { type FieldPath, show } from '../state/_problems.js';
import type { AppSpec, AutoscalingTrigger, FormationAutoscaling, GlobalDocument, ProcessAutoscale, ResourceTarget } from '../state/types.js';
import type { ReportProblem } from './_report.js';
import { isDnsLabel, MAX_LABEL } from './names.js';
import { canonicalQuantity } from './quantity.js';

/** The namespace KEDA reads ClusterTriggerAuthentication Secrets from (its install namespace). */
export const KEDA_NAMESPACE = 'keda';

/** Address of the KEDA HTTP add-on's external scaler (`P/functions.go`). */
export const HTTP_SCALER_ADDRESS = 'keda-add-ons-http-external-scaler.keda:9090';

/** The KEDA HTTP add-on's interceptor proxy, which an ExternalName Service `kip-<app>-<proc>` points at. */
export const HTTP_INTERCEPTOR_HOST = 'keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local';

/** The interceptor proxy's port: routes of an http-scaled process go to `kip-<app>-<proc>` on it. */
export const HTTP_INTERCEPTOR_PORT = 8080;

/** Parameters of an auth Secret, sorted by key. */
export type AuthParameters = readonly (readonly [string, string])[];

/** An app's TriggerAuthentication `<app>-<type>` with its Secret `kta-<app>-<type>`. */
export interface TriggerAuthModel {
  readonly type: string;
  readonly name: string;
  readonly secretName: string;
  readonly parameters: AuthParameters;
}

/** A ClusterTriggerAuthentication `<type>` with its Secret `ckta-<type>` in namespace `keda`. */
export interface ClusterTriggerAuthModel {
  readonly type: string;
  readonly name: string;
  readonly secretName: string;
  readonly parameters: AuthParameters;
}

/** A trigger's `authenticationRef`. */
export interface AuthenticationRef {
  readonly name: string;
  readonly kind: 'TriggerAuthentication' | 'ClusterTriggerAuthentication';
}

/** One ScaledObject trigger, resolved. */
export interface KedaTriggerModel {
  readonly name: string;
  readonly type: string;
  /** Interpolated metadata, sorted by key. */
  readonly metadata: Readonly<Record<string, string>>;
  /** KEDA's `metricType`, when the trigger sets one. */
  readonly metricType?: string;
  readonly authenticationRef?: AuthenticationRef;
}

/** The KEDA HTTP add-on objects of a process with an `http` trigger. */
export interface HttpScalingModel {
  /** The HTTPScaledObject name, `<app>-<proc>`. */
  readonly name: string;
  /** The ExternalName Service `kip-<app>-<proc>` in front of the interceptor. */
  readonly interceptorService: string;
  /** The domains routed through the interceptor (the web process's domains). */
  readonly hosts: readonly string[];
  /** The process's Service and port the interceptor forwards to. */
  readonly service: string;
  readonly port: number;
  readonly scaledownPeriod: number;
  readonly scalingMetric:
    | { readonly requestRate: { readonly granularity: string; readonly targetValue: number; readonly window: string } }
    | { readonly concurrency: { readonly targetValue: number } };
}

/** A ScaledObject `<app>-<proc>`, resolved. */
export interface KedaScalingModel {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
  /** Only when a trigger other than cpu or memory exists (KEDA rejects it otherwise). */
  readonly fallback?: { readonly failureThreshold: number; readonly replicas: number };
  readonly triggers: readonly KedaTriggerModel[];
  readonly http?: HttpScalingModel;
}

/** One resource metric of an HPA. */
export interface HpaMetricModel {
  readonly resource: 'cpu' | 'memory';
  readonly target: { readonly type: 'Utilization'; readonly averageUtilization: number } | { readonly type: 'AverageValue'; readonly averageValue: string };
}

/** An `autoscaling/v2` HorizontalPodAutoscaler `<app>-<proc>`, resolved. */
export interface HpaScalingModel {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly metrics: readonly HpaMetricModel[];
}

/** A PodDisruptionBudget `<app>-<proc>`: exactly one of the two is set. */
export interface DisruptionBudgetModel {
  readonly minAvailable?: number | string;
  readonly maxUnavailable?: number | string;
}

/** How one process scales. */
export interface ProcessScalingModel {
  /** KEDA autoscaling; absent when the process has no triggers or the app is stopped. */
  readonly keda?: KedaScalingModel;
  /** A HorizontalPodAutoscaler; absent without `spec.autoscale.<proc>` or when the app is stopped. */
  readonly hpa?: HpaScalingModel;
  readonly disruptionBudget?: DisruptionBudgetModel;
}

/** How an app's processes scale. */
export interface AppScalingModel {
  /** By process type; a process that neither autoscales nor has a budget is absent. */
  readonly processes: ReadonlyMap<string, ProcessScalingModel>;
  /** The app's TriggerAuthentications, sorted by type. */
  readonly triggerAuthentications: readonly TriggerAuthModel[];
}

/** The cluster-wide autoscaling settings of the Global document. */
export interface GlobalScalingModel {
  /** ClusterTriggerAuthentications, sorted by type. */
  readonly clusterTriggerAuthentications: readonly ClusterTriggerAuthModel[];
}

/** True when an autoscaler owns the process's replica count (the Deployment then omits `replicas`). */
export function isAutoscaled(scaling: AppScalingModel, processType: string): boolean {
  const p = scaling.processes.get(processType);
  return p?.keda !== undefined || p?.hpa !== undefined;
}

/** The HTTP add-on objects of a process, when it scales on HTTP traffic (routes then go to the interceptor). */
export function httpScalingOf(scaling: AppScalingModel, processType: string): HttpScalingModel | undefined {
  return scaling.processes.get(processType)?.keda?.http;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

function authParameters(values: Readonly<Record<string, string>>, path: FieldPath, at: ReportProblem): AuthParameters {
  const out: [string, string][] = [];
  for (const key of Object.keys(values).sort()) {
    if (!SECRET_KEY.test(key)) at([...path, key], `${show(key)} is not a Secret key (letters, digits, '-', '_' and '.')`);
    else out.push([key, values[key]!]);
  }
  return out;
}

/**
 * The Global document's autoscaling settings; problems go to the Global document.
 *
 * Types with no parameters render nothing (Dokku removes an authentication set without
 * metadata).
 */
export function resolveGlobalScaling(doc: GlobalDocument | undefined, at: ReportProblem): GlobalScalingModel {
  const auth = doc?.spec.autoscalingAuth ?? {};
  const clusterTriggerAuthentications: ClusterTriggerAuthModel[] = [];
  for (const type of Object.keys(auth).sort()) {
    const path = ['spec', 'autoscalingAuth', type];
    if (!Object.keys(auth[type]!).length) continue;
    if (!isDnsLabel(type)) {
      at(path, `trigger type ${show(type)} cannot name a ClusterTriggerAuthentication: use lowercase letters, digits and '-' (prometheus, aws-sqs-queue)`);
      continue;
    }
    clusterTriggerAuthentications.push({ type, name: type, secretName: `ckta-${type}`, parameters: authParameters(auth[type]!, path, at) });
  }
  const props = doc?.spec.properties ?? {};
  if (props['pod-min-available'] !== undefined && props['pod-max-unavailable'] !== undefined) {
    at(['spec', 'properties', 'pod-max-unavailable'], 'cannot be set together with "pod-min-available": a PodDisruptionBudget takes one of them');
  }
  return { clusterTriggerAuthentications };
}

/** One process, as the scaling rules need it. */
export interface ScalingProcess {
  readonly type: string;
  /** `<app>-<type>`: the Deployment, Service and autoscaler name. */
  readonly name: string;
  /** The ps scale (not zeroed by `stopped`): KEDA's default minimum and its fallback. */
  readonly scale: number;
  /** Whether the process has a Service (web or exposed). */
  readonly exposed: boolean;
  /** The Service port the interceptor forwards to (`primary_service_port`). */
  readonly servicePort?: number;
}

/** What {@link resolveScaling} reads. */
export interface ScalingInput {
  readonly app: string;
  readonly spec: AppSpec;
  readonly processes: readonly ScalingProcess[];
  /** The computed `pod-min-available` / `pod-max-unavailable` at app and global level. */
  readonly disruption: {
    readonly app: { readonly minAvailable?: string; readonly maxUnavailable?: string };
    readonly global: { readonly minAvailable?: string; readonly maxUnavailable?: string };
  };
  readonly global: GlobalScalingModel;
}

const INTERPOLATION = { APP_NAME: 0, PROCESS_TYPE: 1, DEPLOYMENT_NAME: 2 } as const;
const GO_TEMPLATE = /\[\[\s*\.(APP_NAME|PROCESS_TYPE|DEPLOYMENT_NAME)\s*\]\]/g;
const DOCUMENTED = /\$\{DOKKU_(APP_NAME|PROCESS_TYPE|DEPLOYMENT_NAME)\}|(?<![A-Za-z0-9_])\$?DOKKU_(APP_NAME|PROCESS_TYPE|DEPLOYMENT_NAME)(?![A-Za-z0-9_])/g;

/**
 * Interpolates a trigger metadata value: Dokku's code substitutes `[[ .APP_NAME ]]`,
 * `[[ .PROCESS_TYPE ]]` and `[[ .DEPLOYMENT_NAME ]]` (Go templates with `[[ ]]` delimiters);
 * its docs name `DOKKU_APP_NAME`, `DOKKU_PROCESS_TYPE` and `DOKKU_DEPLOYMENT_NAME`. Both work.
 *
 * @returns the value, or a problem for a `[[ ... ]]` expression that is not one of the three
 */
export function interpolateTriggerValue(value: string, app: string, processType: string): { value: string } | { problem: string } {
  const values = [app, processType, `${app}-${processType}`];
  const pick = (name: string) => values[INTERPOLATION[name as keyof typeof INTERPOLATION]]!;
  const templated = value.replace(GO_TEMPLATE, (_, name: string) => pick(name));
  if (templated.includes('[[')) {
    return { problem: `${show(value)} has a template expression Dokku cannot evaluate; use [[ .APP_NAME ]], [[ .PROCESS_TYPE ]] or [[ .DEPLOYMENT_NAME ]]` };
  }
  return { value: templated.replace(DOCUMENTED, (_, braced?: string, bare?: string) => pick((braced ?? bare)!)) };
}

const HTTP_DEFAULTS: Readonly<Record<string, string>> = {
  scale_by: 'request_rate',
  scaledown_period_seconds: '300',
  request_rate_granularity_seconds: '1',
  request_rate_target_value: '100',
  request_rate_window_seconds: '60',
  concurrency_target_value: '100',
};

function httpScaling(
  input: ScalingInput,
  process: ScalingProcess,
  metadata: Readonly<Record<string, string>>,
  path: FieldPath,
  at: ReportProblem,
): HttpScalingModel | undefined {
  const m = { ...HTTP_DEFAULTS, ...metadata };
  let ok = true;
  if (m.scale_by !== 'request_rate' && m.scale_by !== 'concurrency') {
    at([...path, 'metadata', 'scale_by'], `${show(m.scale_by)} is not an http scale method; allowed values: request_rate, concurrency`);
    ok = false;
  }
  const int = (key: string): number => {
    const raw = m[key]!;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) {
      at([...path, 'metadata', key], `${show(raw)} is not a positive whole number`);
      ok = false;
    }
    return Number(raw);
  };
  const scaledownPeriod = int('scaledown_period_seconds');
  const scalingMetric =
    m.scale_by === 'concurrency'
      ? { concurrency: { targetValue: int('concurrency_target_value') } }
      : {
          requestRate: {
            granularity: `${int('request_rate_granularity_seconds')}s`,
            targetValue: int('request_rate_target_value'),
            window: `${int('request_rate_window_seconds')}s`,
          },
        };
  if (!process.exposed || process.servicePort === undefined) {
    at([...path, 'type'], `an http trigger needs a process with a Service; process type ${show(process.type)} has none (it is not web and not formation.${process.type}.service.exposed)`);
    ok = false;
  }
  if (!ok) return undefined;
  const hosts = process.type === 'web' ? [...new Set(input.spec.domains ?? [])].sort() : [];
  return {
    name: process.name,
    interceptorService: `kip-${process.name}`,
    hosts,
    service: process.name,
    port: process.servicePort!,
    scaledownPeriod,
    scalingMetric,
  };
}

function kedaScaling(
  input: ScalingInput,
  process: ScalingProcess,
  config: FormationAutoscaling,
  appAuth: ReadonlyMap<string, TriggerAuthModel>,
  at: ReportProblem,
): KedaScalingModel | undefined {
  const path: FieldPath = ['spec', 'appJson', 'formation', process.type, 'autoscaling'];
  let ok = true;
  const minReplicas = config.min_quantity ?? process.scale;
  const maxReplicas = config.max_quantity ?? Math.max(process.scale, minReplicas);
  if (minReplicas > maxReplicas) {
    at([...path, 'min_quantity'], `min_quantity ${minReplicas} is greater than max_quantity ${maxReplicas}`);
    ok = false;
  } else if (maxReplicas < 1) {
    at([...path, 'max_quantity'], `resolves to 0 (the process's scale); set max_quantity to at least 1`);
    ok = false;
  }
  if (config.cooldown_period_seconds !== undefined && config.cooldown_seconds !== undefined && config.cooldown_period_seconds !== config.cooldown_seconds) {
    at([...path, 'cooldown_seconds'], `${config.cooldown_seconds} disagrees with cooldown_period_seconds ${config.cooldown_period_seconds}; set one of them`);
    ok = false;
  }
  const triggers: KedaTriggerModel[] = [];
  let http: HttpScalingModel | undefined;
  let firstHttp: number | undefined;
  (config.triggers ?? []).forEach((trigger: AutoscalingTrigger, i) => {
    const tpath: FieldPath = [...path, 'triggers', i];
    if (trigger.type === undefined || trigger.type.trim() === '') {
      at([...tpath, 'type'], 'is required: name the KEDA scaler (cpu, memory, prometheus, http, ...)');
      ok = false;
      return;
    }
    const type = trigger.type;
    const metadata: Record<string, string> = {};
    for (const key of Object.keys(trigger.metadata ?? {}).sort()) {
      const result = interpolateTriggerValue(trigger.metadata![key]!, input.app, process.type);
      if ('problem' in result) {
        at([...tpath, 'metadata', key], result.problem);
        ok = false;
      } else {
        metadata[key] = result.value;
      }
    }
    const name = trigger.name || `trigger-${type}-${i + 1}`;
    if (type === 'http') {
      if (firstHttp !== undefined) {
        at(tpath, `is a second http trigger; a process may have at most one (the first is triggers[${firstHttp}])`);
        ok = false;
        return;
      }
      firstHttp = i;
      http = httpScaling(input, process, metadata, tpath, at);
      if (!http) ok = false;
      // the add-on's external scaler feeds the ScaledObject; the HTTPScaledObject only routes
      triggers.push({ name, type: 'external-push', metadata: { httpScaledObject: process.name, scalerAddress: HTTP_SCALER_ADDRESS } });
      return;
    }
    const own = appAuth.get(type);
    const cluster = input.global.clusterTriggerAuthentications.find((a) => a.type === type);
    const authenticationRef: AuthenticationRef | undefined = own
      ? { name: own.name, kind: 'TriggerAuthentication' }
      : cluster
        ? { name: cluster.name, kind: 'ClusterTriggerAuthentication' }
        : undefined;
    triggers.push({ name, type, metadata, ...(trigger.metricType ? { metricType: trigger.metricType } : {}), ...(authenticationRef ? { authenticationRef } : {}) });
  });
  if (!ok) return undefined;
  const needsFallback = triggers.some((t) => t.type !== 'cpu' && t.type !== 'memory');
  return {
    minReplicas,
    maxReplicas,
    pollingInterval: config.polling_interval_seconds ?? 30,
    cooldownPeriod: config.cooldown_period_seconds ?? config.cooldown_seconds ?? 300,
    ...(needsFallback ? { fallback: { failureThreshold: 3, replicas: process.scale } } : {}),
    triggers,
    ...(http ? { http } : {}),
  };
}

function hpaTarget(target: ResourceTarget, path: FieldPath, at: ReportProblem): HpaMetricModel['target'] | undefined {
  if (target.utilization !== undefined) return { type: 'Utilization', averageUtilization: target.utilization };
  const q = canonicalQuantity(target.averageValue!);
  if (!q) {
    at([...path, 'averageValue'], `${show(target.averageValue)} is not a Kubernetes quantity (500m, 512Mi)`);
    return undefined;
  }
  return { type: 'AverageValue', averageValue: q };
}

function hpaScaling(process: ScalingProcess, config: ProcessAutoscale, at: ReportProblem): HpaScalingModel | undefined {
  const path: FieldPath = ['spec', 'autoscale', process.type];
  let ok = true;
  const minReplicas = config.min ?? 1;
  if (minReplicas > config.max) {
    at([...path, 'min'], `min ${minReplicas} is greater than max ${config.max}`);
    ok = false;
  }
  const metrics: HpaMetricModel[] = [];
  for (const resource of ['cpu', 'memory'] as const) {
    const target = config[resource];
    if (!target) continue;
    const t = hpaTarget(target, [...path, resource], at);
    if (t) metrics.push({ resource, target: t });
    else ok = false;
  }
  if (!config.cpu && !config.memory) {
    at(path, 'has no target: set cpu or memory ({utilization: 70} or {averageValue: 500m})');
    ok = false;
  }
  return ok ? { minReplicas, maxReplicas: config.max, metrics } : undefined;
}

function disruptionValue(raw: string): number | string {
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

/**
 * How the app's processes scale; every problem is reported at its field.
 *
 * A stopped app gets no autoscalers (they would scale it back up); its budgets stay.
 */
export function resolveScaling(input: ScalingInput, at: ReportProblem): AppScalingModel {
  const { app, spec } = input;
  const triggerAuthentications: TriggerAuthModel[] = [];
  const auth = spec.autoscalingAuth ?? {};
  for (const type of Object.keys(auth).sort()) {
    const path = ['spec', 'autoscalingAuth', type];
    if (!Object.keys(auth[type]!).length) continue;
    if (!isDnsLabel(type) || !isDnsLabel(`${app}-${type}`)) {
      at(path, `trigger type ${show(type)} cannot name a TriggerAuthentication "${app}-${type}": use lowercase letters, digits and '-', at most ${MAX_LABEL - app.length - 1} characters`);
      continue;
    }
    triggerAuthentications.push({ type, name: `${app}-${type}`, secretName: `kta-${app}-${type}`, parameters: authParameters(auth[type]!, path, at) });
  }
  const appAuth = new Map(triggerAuthentications.map((a) => [a.type, a]));

  const known = new Set(input.processes.map((p) => p.type));
  for (const type of Object.keys(spec.autoscale ?? {})) {
    if (!known.has(type)) {
      at(['spec', 'autoscale', type], `process type ${show(type)} does not exist; process types: ${[...known].join(', ') || '(none)'}`);
    }
  }

  // the app's own pair wins as a whole over the global pair, so that an app can swap min for max
  const { app: appBudget, global: globalBudget } = input.disruption;
  const appSets = appBudget.minAvailable !== undefined || appBudget.maxUnavailable !== undefined;
  const budget = appSets ? appBudget : globalBudget;
  if (appBudget.minAvailable !== undefined && appBudget.maxUnavailable !== undefined) {
    at(['spec', 'properties', 'pod-max-unavailable'], 'cannot be set together with "pod-min-available": a PodDisruptionBudget takes one of them');
  }
  const disruptionBudget: DisruptionBudgetModel | undefined =
    budget.minAvailable !== undefined && budget.maxUnavailable === undefined
      ? { minAvailable: disruptionValue(budget.minAvailable) }
      : budget.maxUnavailable !== undefined && budget.minAvailable === undefined
        ? { maxUnavailable: disruptionValue(budget.maxUnavailable) }
        : undefined;

  const processes = new Map<string, ProcessScalingModel>();
  for (const process of input.processes) {
    const config = spec.appJson?.formation?.[process.type]?.autoscaling;
    const hasTriggers = (config?.triggers?.length ?? 0) > 0;
    const autoscale = spec.autoscale?.[process.type];
    if (hasTriggers && autoscale) {
      at(
        ['spec', 'autoscale', process.type],
        `process type ${show(process.type)} also has KEDA triggers (appJson.formation.${process.type}.autoscaling.triggers); KEDA and a HorizontalPodAutoscaler would fight over its replicas, keep one`,
      );
      continue;
    }
    const keda = hasTriggers ? kedaScaling(input, process, config!, appAuth, at) : undefined;
    const hpa = autoscale ? hpaScaling(process, autoscale, at) : undefined;
    const running = spec.stopped !== true;
    const model: ProcessScalingModel = {
      ...(keda && running ? { keda } : {}),
      ...(hpa && running ? { hpa } : {}),
      ...(disruptionBudget ? { disruptionBudget } : {}),
    };
    if (Object.keys(model).length) processes.set(process.type, model);
  }
  return { processes, triggerAuthentications };
}

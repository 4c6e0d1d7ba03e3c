/**
 * `resource:limit` / `resource:reserve` as container resources (Dokku's `getProcessResources`):
 * requests default to 100m CPU and 128Mi memory, there are no default limits, a bare memory
 * number means megabytes, `""` and `"0"` keep the default, and a zero quantity drops the field.
 * GPU limits are rendered (Dokku reads them but its Deployment template drops them).
 */
import type { ProcessResources, ResourceValues } from '../state/types.js';
import { formatQuantity, parseQuantity } from './quantity.js';

/** Requests and limits of one container, by Kubernetes resource name. */
export interface ContainerResources {
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
}

/** A problem with one resource value, at `<process type>.<limit|reserve>.<key>`. */
export interface ResourceProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

const DEFAULT_REQUESTS = { cpu: '100m', memory: '128Mi' } as const;
const IGNORED = new Set(['', '0']);

/** The value Dokku's `resource-get-property` returns: the process's own, else `_default_`'s. */
function lookup(
  all: Record<string, ProcessResources> | undefined,
  processType: string,
  kind: 'limit' | 'reserve',
  key: keyof ResourceValues,
): { value: string; path: (string | number)[] } | undefined {
  for (const scope of [processType, '_default_']) {
    const value = all?.[scope]?.[kind]?.[key];
    if (value !== undefined) return { value, path: [scope, kind, key] };
  }
  return undefined;
}

/**
 * The resources of one process type (or cron task id).
 *
 * @returns the resources, and the problems of values that are not quantities
 */
export function containerResources(
  all: Record<string, ProcessResources> | undefined,
  processType: string,
): { resources: ContainerResources; problems: ResourceProblem[] } {
  const requests: Record<string, string> = { ...DEFAULT_REQUESTS };
  const limits: Record<string, string> = {};
  const problems: ResourceProblem[] = [];
  for (const kind of ['limit', 'reserve'] as const) {
    const target = kind === 'limit' ? limits : requests;
    for (const key of ['cpu', 'memory'] as const) {
      const found = lookup(all, processType, kind, key);
      if (!found || IGNORED.has(found.value.trim())) continue;
      const raw = found.value.trim();
      const q = parseQuantity(key === 'memory' && /^\d+$/.test(raw) ? `${raw}Mi` : raw);
      if (!q || q.nanos < 0n) {
        problems.push({
          path: found.path,
          message:
            key === 'memory'
              ? `${JSON.stringify(found.value)} is not a memory size; use megabytes (512) or a Kubernetes quantity (512Mi, 1Gi)`
              : `${JSON.stringify(found.value)} is not a CPU quantity; use cores (0.5, 2) or millicores (500m)`,
        });
        continue;
      }
      if (q.nanos === 0n) delete target[key];
      else target[key] = formatQuantity(q);
    }
  }
  // a limit below a *default* request lowers the request (Kubernetes requires request <= limit);
  // an explicit reserve above its limit is a mistake to report
  for (const key of ['cpu', 'memory'] as const) {
    const limit = limits[key] !== undefined ? parseQuantity(limits[key]!) : undefined;
    const request = requests[key] !== undefined ? parseQuantity(requests[key]!) : undefined;
    if (!limit || !request || request.nanos <= limit.nanos) continue;
    const reserved = lookup(all, processType, 'reserve', key);
    if (reserved && !IGNORED.has(reserved.value.trim())) {
      problems.push({ path: reserved.path, message: `${JSON.stringify(reserved.value)} reserves more than the limit ${limits[key]}; a reservation must not exceed its limit` });
    } else {
      requests[key] = limits[key]!;
    }
  }
  const gpu = lookup(all, processType, 'limit', 'nvidia-gpu');
  if (gpu && !IGNORED.has(gpu.value.trim())) {
    if (/^\d+$/.test(gpu.value.trim())) limits['nvidia.com/gpu'] = String(Number(gpu.value.trim()));
    else problems.push({ path: gpu.path, message: `${JSON.stringify(gpu.value)} is not a whole number of GPUs` });
  }
  return { resources: { requests, limits }, problems };
}

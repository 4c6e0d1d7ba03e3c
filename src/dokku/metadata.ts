/**
 * User annotations and labels (`annotations:set` / `labels:set`) for one object, merged from
 * the three scopes that Dokku stores: global (`--global` without an app, which Dokku stores
 * but ignores), app-wide (`--process-type` omitted, stored as `--global` of the app) and
 * process-specific. A narrower scope wins and every key is emitted once.
 */
import type { MetadataByType, ResourceType, ScopedMetadata } from '../state/types.js';

/** The scope key Dokku uses for "every process of this app". */
export const APP_WIDE = '--global';

/** Resolves user annotations or labels for an app. */
export class UserMetadata {
  constructor(
    private readonly global: MetadataByType | undefined,
    private readonly app: ScopedMetadata | undefined,
  ) {}

  /**
   * The merged map for one resource type.
   *
   * @param processType the process type (or cron task id) the object belongs to; omit for
   * app-wide objects (ServiceAccount, Secrets), which get only the global and app-wide values
   */
  public for(type: ResourceType, processType?: string): Record<string, string> {
    return {
      ...this.global?.[type],
      ...this.app?.[APP_WIDE]?.[type],
      ...(processType !== undefined && processType !== APP_WIDE ? this.app?.[processType]?.[type] : undefined),
    };
  }
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why a key is not a Kubernetes qualified name (`[prefix/]name`), for messages. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) return 'has a prefix that is not a DNS subdomain (before the /)';
  if (name.length > 63 || !NAME.test(name)) {
    return 'is not a valid key: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit, after an optional DNS prefix and /';
  }
  return undefined;
}

/** Why a value cannot be a label value, for messages. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `${JSON.stringify(value)} is not a valid label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** The problems of user annotations or labels, by path below their field. */
export function userMetadataProblems(byType: MetadataByType | undefined, kind: 'annotation' | 'label'): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  for (const [type, map] of Object.entries(byType ?? {})) {
    for (const [key, value] of Object.entries(map ?? {})) {
      const problem = qualifiedNameProblem(key) ?? (kind === 'label' ? labelValueProblem(value) : undefined);
      if (problem) out.push({ path: [type, key], message: problem });
    }
  }
  return out;
}

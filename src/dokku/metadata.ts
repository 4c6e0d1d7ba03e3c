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

/**
 * The YAML text of one object, exactly as cdk8s's `Yaml.stringify` writes it (YAML 1.1, no
 * line wrapping), except that a CronJob's `spec.schedule` is always double-quoted: a schedule
 * reads as text to people and tools that grep it, and Dokku's own unquoted template breaks on
 * schedules that start with `*`.
 */
import { Document, type Scalar } from 'yaml';

/** Renders one object as YAML. */
export function manifestYaml(object: Record<string, unknown>): string {
  const doc = new Document(object, { keepUndefined: true, version: '1.1' });
  if (object.kind === 'CronJob') {
    const schedule = doc.getIn(['spec', 'schedule'], true) as Scalar | undefined;
    if (schedule) schedule.type = 'QUOTE_DOUBLE';
  }
  return doc.toString({ lineWidth: 0 });
}

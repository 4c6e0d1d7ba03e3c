/**
 * Cron schedule validation with the rules of the parser Dokku and Kubernetes both use
 * (robfig/cron v3, `Minute | Hour | Dom | Month | Dow | Descriptor`): five fields of
 * comma-separated ranges (`*`, `?`, `a`, `a-b`, each with an optional `/step`, month and
 * weekday names allowed), or a descriptor (`@daily`, `@every 1h30m`, ...).
 */

interface FieldBounds {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const WEEKDAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly FieldBounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: WEEKDAYS },
];

/** The descriptors robfig/cron accepts besides `@every <duration>`. */
export const CRON_DESCRIPTORS: readonly string[] = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** A Go duration (`time.ParseDuration`): `1h30m`, `90s`, `1.5h`. */
const GO_DURATION = /^\+?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;

function integer(text: string, field: FieldBounds): number | string {
  const named = field.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?\d+$/.test(text)) return `${field.name} ${JSON.stringify(text)} is not a number${field.names ? ' or a name' : ''}`;
  const n = Number(text);
  return n < 0 ? `${field.name} ${n} is negative` : n;
}

function rangeProblem(expr: string, field: FieldBounds): string | undefined {
  const slash = expr.split('/');
  if (slash.length > 2) return `${field.name} ${JSON.stringify(expr)} has more than one '/'`;
  const dash = slash[0]!.split('-');
  if (dash.length > 2) return `${field.name} ${JSON.stringify(expr)} has more than one '-'`;
  let start: number;
  let end: number;
  if (dash[0] === '*' || dash[0] === '?') {
    if (dash.length > 1) return `${field.name} ${JSON.stringify(expr)} is not a range`;
    start = field.min;
    end = field.max;
  } else {
    const a = integer(dash[0]!, field);
    if (typeof a === 'string') return a;
    start = a;
    if (dash.length === 2) {
      const b = integer(dash[1]!, field);
      if (typeof b === 'string') return b;
      end = b;
    } else {
      // `a/step` means from a to the maximum
      end = slash.length === 2 ? field.max : a;
    }
  }
  if (slash.length === 2) {
    if (!/^\+?\d+$/.test(slash[1]!)) return `${field.name} step ${JSON.stringify(slash[1])} is not a number`;
    if (Number(slash[1]) === 0) return `${field.name} step in ${JSON.stringify(expr)} must be a positive number`;
  }
  if (start < field.min) return `${field.name} ${start} is below the minimum ${field.min}`;
  if (end > field.max) return `${field.name} ${end} is above the maximum ${field.max}`;
  if (start > end) return `${field.name} range ${JSON.stringify(expr)} starts after it ends`;
  return undefined;
}

/**
 * Why a schedule is not valid, or `undefined` when it is.
 *
 * Schedules with a `TZ=` or `CRON_TZ=` prefix are rejected: robfig/cron accepts them, but
 * Kubernetes does not once `timeZone` is set (the CronJobs here always set `Etc/UTC`).
 */
export function cronScheduleProblem(schedule: string): string | undefined {
  const spec = schedule.trim();
  if (!spec) return 'it is empty';
  if (/^(CRON_)?TZ=/.test(spec)) return 'a TZ= or CRON_TZ= prefix is not allowed (the CronJob runs in Etc/UTC)';
  if (spec.startsWith('@')) {
    if (CRON_DESCRIPTORS.includes(spec)) return undefined;
    if (spec.startsWith('@every ')) {
      const duration = spec.slice('@every '.length).trim();
      return duration === '0' || GO_DURATION.test(duration) ? undefined : `${JSON.stringify(duration)} is not a duration (90s, 5m, 1h30m)`;
    }
    return `${JSON.stringify(spec)} is not a known descriptor`;
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== FIELDS.length) return `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`;
  for (const [i, field] of FIELDS.entries()) {
    for (const expr of fields[i]!.split(',')) {
      const problem = rangeProblem(expr, field);
      if (problem) return problem;
    }
  }
  return undefined;
}

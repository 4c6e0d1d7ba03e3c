/**
 * Deterministic key order, for everything this tool writes or compares: manifests rendered to
 * YAML, values hashed (HMACs, state digests) and objects compared for equality. Arrays keep
 * their order; `undefined` entries are dropped, as JSON and YAML drop them.
 */

/** Keys that lead a Kubernetes object, in this order; all other keys follow sorted. */
const LEADING_KEYS = ['apiVersion', 'kind', 'metadata'];

/** True for a mapping (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `value` with every mapping's keys sorted. */
export function sortedKeys<T>(value: T): T {
  return ordered(value, false) as T;
}

/** A copy of a Kubernetes object as cdk8s orders it: `apiVersion`, `kind`, `metadata` first, then sorted keys. */
export function orderManifest<T>(value: T): T {
  return ordered(value, true) as T;
}

/** JSON of `value` with every mapping's keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value));
}

function ordered(value: unknown, top: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => ordered(item, false));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
  const leading = top ? LEADING_KEYS.filter((key) => keys.includes(key)) : [];
  const out: Record<string, unknown> = {};
  for (const key of [...leading, ...keys.filter((k) => !leading.includes(k))]) out[key] = ordered(value[key], false);
  return out;
}

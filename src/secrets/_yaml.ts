/**
 * YAML and JSON helpers shared by the secrets layer: deterministic key order and a YAML
 * rendering whose plain scalars mean the same thing to every reader of the file.
 */
import { Document, Scalar, parse, visit } from 'yaml';

/** Keys that lead a Kubernetes object, in this order; all other keys follow sorted. */
const LEADING_KEYS = ['apiVersion', 'kind', 'metadata'];

/**
 * A copy of `value` with every mapping's keys sorted; at the top level `apiVersion`, `kind`
 * and `metadata` come first. Arrays keep their order; `undefined` entries are dropped.
 */
export function orderManifest(value: unknown): unknown {
  return orderValue(value, true);
}

function orderValue(value: unknown, top: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => orderValue(item, false));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
  const leading = top ? LEADING_KEYS.filter((key) => keys.includes(key)) : [];
  const out: Record<string, unknown> = {};
  for (const key of [...leading, ...keys.filter((k) => !leading.includes(k))]) {
    out[key] = orderValue(value[key], false);
  }
  return out;
}

/** JSON of `value` with every mapping's keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortDeep(value[key]);
  return out;
}

/** Whether `value` is a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * YAML text of `value` in its own key order, with `lineWidth: 0` (no folding).
 *
 * A string that a YAML 1.1 reader (kubectl, Go yaml.v2) or a YAML 1.2 reader (SOPS's Go yaml.v3,
 * which also reads `1_000`, `0b1` and `0o7` as numbers) would resolve to something other
 * than that string is double-quoted. Otherwise `yes` would reach the cluster as a boolean,
 * and SOPS would compute its MAC over a number where this tool hashed a string.
 */
export function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && isAmbiguous(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

function isAmbiguous(text: string): boolean {
  // multi-line strings become block scalars, which are never resolved to other types
  if (text === '' || text.includes('\n')) return false;
  for (const version of ['1.1', '1.2'] as const) {
    try {
      if (parse(text, { version, logLevel: 'error' }) !== text) return true;
    } catch {
      return true;
    }
  }
  return false;
}

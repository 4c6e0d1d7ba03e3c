/**
 * The YAML rendering of the secrets layer: plain scalars that mean the same thing to every
 * reader of the file.
 */
import { Document, Scalar, parse, visit } from 'yaml';

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

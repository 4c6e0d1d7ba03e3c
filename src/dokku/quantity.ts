/**
 * Kubernetes resource quantities, parsed and printed in canonical form the way
 * `resource.ParseQuantity(...).String()` does, so that `1024Mi` becomes `1Gi` and
 * `0.5` CPU becomes `500m`, as Dokku renders them.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const NANO = 10n ** 9n;

/** A parsed quantity: its value in nano-units and the format its suffix asked for. */
export interface Quantity {
  /** Value times 10^9, rounded up like Kubernetes does below nano precision. */
  readonly nanos: bigint;
  readonly format: 'binary' | 'decimal' | 'exponent';
}

/** Parses a Kubernetes quantity; `undefined` when it is not one. */
export function parseQuantity(input: string): Quantity | undefined {
  const m = QUANTITY.exec(input.trim());
  if (!m) return undefined;
  const [, sign, number, suffix = ''] = m as unknown as [string, string, string, string | undefined];
  const [whole, frac = ''] = number.split('.');
  const digits = BigInt(`${whole || '0'}${frac}`);
  const scale = 10n ** BigInt(frac.length);
  let format: Quantity['format'] = 'decimal';
  let numerator: bigint;
  const binary = BINARY.indexOf(suffix as (typeof BINARY)[number]);
  if (suffix && binary > 0) {
    format = 'binary';
    numerator = digits * 1024n ** BigInt(binary) * NANO;
  } else if (/^[eE]/.test(suffix)) {
    format = 'exponent';
    const exp = Number(suffix.slice(1));
    if (Math.abs(exp) > 30) return undefined;
    numerator = exp >= -9 ? digits * 10n ** BigInt(exp + 9) : digits;
    if (exp < -9) return { nanos: ceilDiv(digits, scale * 10n ** BigInt(-9 - exp)) * (sign === '-' ? -1n : 1n), format };
  } else {
    numerator = digits * 10n ** BigInt(DECIMAL[suffix]! + 9);
  }
  const nanos = ceilDiv(numerator, scale);
  return { nanos: sign === '-' ? -nanos : nanos, format };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** Prints a quantity in Kubernetes' canonical form. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const sign = q.nanos < 0n ? '-' : '';
  const nanos = q.nanos < 0n ? -q.nanos : q.nanos;
  if (q.format === 'binary' && nanos % NANO === 0n) {
    const bytes = nanos / NANO;
    for (let i = BINARY.length - 1; i >= 0; i--) {
      const unit = 1024n ** BigInt(i);
      if (bytes % unit === 0n && (i === 0 || bytes >= unit)) return `${sign}${bytes / unit}${BINARY[i]}`;
    }
  }
  // decimal: the largest exponent that is a multiple of 3 and leaves an integer mantissa
  for (let exp = 18; exp >= -9; exp -= 3) {
    const unit = 10n ** BigInt(exp + 9);
    if (nanos % unit === 0n) {
      const mantissa = nanos / unit;
      if (q.format === 'exponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
      return `${sign}${mantissa}${DECIMAL_BY_EXP.get(exp)}`;
    }
  }
  return `${sign}${nanos}n`;
}

/** Canonical form of a quantity string, or `undefined` when it is not a quantity. */
export function canonicalQuantity(input: string): string | undefined {
  const q = parseQuantity(input);
  return q && formatQuantity(q);
}

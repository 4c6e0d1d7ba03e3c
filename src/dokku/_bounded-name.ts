/** Names that must fit a length limit while keeping a distinguishing suffix. */

/**
 * `<base>-<suffix>`, with `base` cut (and trailing dashes removed) so that the whole name is
 * at most `max` characters. The suffix carries the uniqueness (a hash), so cutting the base
 * never makes two names collide that did not already share the suffix.
 */
export function boundedName(base: string, suffix: string, max: number): string {
  const room = max - suffix.length - 1;
  const cut = base.length > room ? base.slice(0, Math.max(room, 0)).replace(/-+$/, '') : base;
  return cut ? `${cut}-${suffix}` : suffix.slice(0, max);
}

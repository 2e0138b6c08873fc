/**
 * Natural order of names (`as-2` before `as-10`), as a key that sorts byte by byte (collation
 * "C"): the name in lower case, each run of digits written as its length (3 digits) and then
 * the number without its leading zeros. So a shorter number sorts first, and numbers of one
 * length sort as their digits. Names are at most 200 characters, so a run's length fits 3 digits.
 *
 * The clusters table stores it (`clusters.sort_key`, filled at insert); the migration that added
 * the column computed it for existing rows with the same rules in SQL. Equal keys (`as-01` and
 * `as-1`, `AS-1` and `as-1`) are ordered by the name itself.
 */
export function naturalKey(name: string): string {
  return name.toLowerCase().replace(/[0-9]+/g, (run) => {
    const digits = run.replace(/^0+/, '');
    return String(digits.length).padStart(3, '0') + digits;
  });
}

/** Compares two names in natural order (the order of naturalKey, then of the name). */
export function compareNatural(a: string, b: string): number {
  const ka = naturalKey(a);
  const kb = naturalKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

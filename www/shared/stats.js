// @ts-check
/** Order statistics, for the page and the benchmark alike. */

/**
 * The median of `xs` (the mean of the middle two for an even count); NaN for none.
 * @param {number[]} xs
 */
export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The smallest and largest of `xs`.
 * @param {number[]} xs
 * @returns {[number, number]}
 */
export function range(xs) {
  return [Math.min(...xs), Math.max(...xs)];
}

/**
 * The `p`-th percentile of `xs` (nearest rank), p in [0, 100].
 * @param {number[]} xs @param {number} p
 */
export function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

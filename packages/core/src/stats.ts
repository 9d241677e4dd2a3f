/**
 * The `q` quantile (0..1) of `values` by the nearest-rank rule (the value at rank
 * ⌈q·n⌉), NaN when empty: the one quantile of the demo, the bench and the fault suite.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

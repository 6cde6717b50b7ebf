/**
 * Quantiles of the bench's latency samples (nearest rank). A p99 needs at least 100 samples: with fewer, the 99th
 * percentile's rank is the largest sample, so the tail figure is labelled what it is, the maximum.
 */

/** The `q` quantile (0 < q ≤ 1) of ascending `sorted` samples, by nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The tail of ascending `sorted` samples: `p99` when there are enough of them for one, else `max`. */
export function tail(sorted: readonly number[]): { label: 'p99' | 'max'; value: number } {
  const rank = Math.ceil(0.99 * sorted.length) - 1;
  if (rank < sorted.length - 1) return { label: 'p99', value: sorted[rank] };
  return { label: 'max', value: sorted[sorted.length - 1] };
}

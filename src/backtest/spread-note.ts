/**
 * Whether a claim that one mean beats another stands out of their spread, in the words every such claim uses (the
 * walk-forward targets against buy-and-hold, the sweep's verdict): one helper so they cannot word it differently.
 */

/** A mean and its sample sd over runs; no sd (or 0) when there was one run. */
export interface MeanAndSpread {
  mean: number;
  sd?: number;
}

/**
 * The note to put after a comparison of `a` with `b`: '' when the means differ by more than their sds combined
 * (√(sd_a² + sd_b²)); "within the spread" when they do not; "no spread to judge it by" when neither has an sd.
 * `f` formats the difference and the spread as the comparison prints its figures.
 */
export function spreadNote(a: MeanAndSpread, b: MeanAndSpread, f: (v: number) => string): string {
  const sa = a.sd !== undefined && a.sd > 0 ? a.sd : 0;
  const sb = b.sd !== undefined && b.sd > 0 ? b.sd : 0;
  if (sa === 0 && sb === 0) return ' (one run each: no spread to judge it by)';
  const spread = Math.hypot(sa, sb);
  const diff = Math.abs(a.mean - b.mean);
  return diff > spread ? '' : ` (within the spread: the difference ${f(diff)} is not above the sd ${f(spread)})`;
}

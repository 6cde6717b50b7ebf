/**
 * Whether a claim that one mean beats another stands out of their spread, in the words every such claim uses (the
 * walk-forward targets against buy-and-hold, the sweep's verdict): one helper so they cannot word it differently.
 */

/** A mean and its sample sd over runs; no sd when there was one run (an sd of 0, as older reports stored, is none). */
export interface MeanAndSpread {
  mean: number;
  sd?: number;
}

/**
 * The note to put after a comparison of `a` with `b`: '' when the means differ by more than their sds combined
 * (√(sd_a² + sd_b²)); "within the spread" when they do not; "no spread to judge it by" when neither has an sd. When
 * one is a single value (one test window's buy-and-hold) only the other's sd is the spread, and the note says so
 * rather than counting the single value's as a spread of 0.
 * `f` formats the difference and the spread as the comparison prints its figures.
 */
export function spreadNote(a: MeanAndSpread, b: MeanAndSpread, f: (v: number) => string): string {
  const spreads = [a.sd, b.sd].filter((s): s is number => s !== undefined && s > 0);
  if (spreads.length === 0) return ' (one run each: no spread to judge it by)';
  const spread = Math.hypot(...spreads);
  const diff = Math.abs(a.mean - b.mean);
  if (diff > spread) return '';
  const single = spreads.length === 1 ? '; the other figure is a single value' : '';
  return ` (within the spread: the difference ${f(diff)} is not above the sd ${f(spread)}${single})`;
}

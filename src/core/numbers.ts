/** Small numeric helpers the floors share: finiteness of a whole array and the sample variance. */

/** Whether every value is a finite number: a float64 sum of them is finite exactly when each one is. */
export function allFinite(values: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return Number.isFinite(sum);
}

/** The mean of `xs` (NaN when empty). */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample variance (n − 1 in the denominator); NaN with fewer than 2 values. */
export function sampleVariance(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
}

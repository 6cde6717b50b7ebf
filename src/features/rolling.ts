/**
 * Typed-array building blocks for indicators: each returns a Float64Array as long as the input, NaN where the window
 * is not yet full. Every value at index t depends on inputs ≤ t only. Tested equal to technicalindicators.
 */

/**
 * Simple moving average over `period` values (window includes t). A running sum, re-added from scratch every
 * RESUM_EVERY values so rounding cannot pile up, and exact for flat windows (all values equal, e.g. zero volume):
 * there the average is the value itself, so ratios against it are exactly 0 instead of ±1 from a rounding residue.
 */
export function sma(values: ArrayLike<number>, period: number, out = new Float64Array(values.length)): Float64Array {
  const n = values.length;
  let sum = 0;
  let run = 0; // how many values ending at i are equal to values[i]
  for (let i = 0; i < n; i++) {
    const x = values[i];
    run = i > 0 && x === values[i - 1] ? run + 1 : 1;
    if (i % RESUM_EVERY === 0 && i >= period) {
      sum = 0;
      for (let j = i - period + 1; j <= i; j++) sum += values[j];
    } else {
      sum += x;
      if (i >= period) sum -= values[i - period];
    }
    out[i] = i < period - 1 ? NaN : run >= period ? x : sum / period;
  }
  return out;
}

const RESUM_EVERY = 1024;

/** Rolling population standard deviation over `period` values (technicalindicators' SD). */
export function rollingStd(
  values: ArrayLike<number>,
  period: number,
  mean: Float64Array,
  out = new Float64Array(values.length),
): Float64Array {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (i < period - 1) {
      out[i] = NaN;
      continue;
    }
    // Two-pass over the window: exact and cheap for the short windows used here.
    const m = mean[i];
    let ss = 0;
    let flat = true;
    for (let j = i - period + 1; j <= i; j++) {
      const d = values[j] - m;
      ss += d * d;
      if (values[j] !== values[i]) flat = false;
    }
    out[i] = flat ? 0 : Math.sqrt(ss / period);
  }
  return out;
}

/**
 * Exponential moving average with multiplier 2/(period+1), seeded with the SMA of the first `period` values
 * (so the first value is at index start+period−1), as technicalindicators' EMA. `start` skips leading NaNs.
 */
export function ema(
  values: ArrayLike<number>,
  period: number,
  start = 0,
  out = new Float64Array(values.length),
): Float64Array {
  return smoothed(values, period, 2 / (period + 1), start, out);
}

/** Wilder's moving average (multiplier 1/period), SMA-seeded: technicalindicators' WEMA, used by RSI and ATR. */
export function wilder(
  values: ArrayLike<number>,
  period: number,
  start = 0,
  out = new Float64Array(values.length),
): Float64Array {
  return smoothed(values, period, 1 / period, start, out);
}

function smoothed(
  values: ArrayLike<number>,
  period: number,
  k: number,
  start: number,
  out: Float64Array,
): Float64Array {
  const n = values.length;
  let sum = 0;
  let prev = NaN;
  for (let i = 0; i < n; i++) {
    if (i < start) {
      out[i] = NaN;
      continue;
    }
    const x = values[i];
    if (i < start + period - 1) {
      sum += x;
      out[i] = NaN;
    } else if (i === start + period - 1) {
      sum += x;
      prev = sum / period;
      out[i] = prev;
    } else {
      prev = (x - prev) * k + prev;
      out[i] = prev;
    }
  }
  return out;
}

/** Highest value over the last `period` values (monotonic deque, O(n)). */
export function rollingMax(
  values: ArrayLike<number>,
  period: number,
  out = new Float64Array(values.length),
): Float64Array {
  return rollingExtreme(values, period, out, 1);
}

/** Lowest value over the last `period` values. */
export function rollingMin(
  values: ArrayLike<number>,
  period: number,
  out = new Float64Array(values.length),
): Float64Array {
  return rollingExtreme(values, period, out, -1);
}

function rollingExtreme(values: ArrayLike<number>, period: number, out: Float64Array, sign: 1 | -1): Float64Array {
  const n = values.length;
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const v = sign * values[i];
    while (tail > head && sign * values[dq[tail - 1]] <= v) tail--;
    dq[tail++] = i;
    if (dq[head] <= i - period) head++;
    out[i] = i >= period - 1 ? values[dq[head]] : NaN;
  }
  return out;
}

/** a / b, or `fallback` when b is 0 or either is not finite. */
export function safeDiv(a: number, b: number, fallback = 0): number {
  const q = a / b;
  return Number.isFinite(q) ? q : fallback;
}

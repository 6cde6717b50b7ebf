/**
 * Typed-array building blocks for indicators: each returns a Float64Array as long as the input, NaN where the window
 * is not yet full. Every value at index t depends on inputs ≤ t only. Tested equal to technicalindicators.
 */

/** Simple moving average over `period` values (window includes t). */
export function sma(values: ArrayLike<number>, period: number, out = new Float64Array(values.length)): Float64Array {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    if (i >= period) sum -= values[i - period];
    out[i] = i >= period - 1 ? sum / period : NaN;
  }
  // Re-sum every so often would guard against drift; windows here are short and values are prices, so the
  // running sum stays accurate to ~1e-12 relative over a million candles (tested).
  return out;
}

/** Rolling population standard deviation over `period` values (technicalindicators' SD). */
export function rollingStd(values: ArrayLike<number>, period: number, mean: Float64Array, out = new Float64Array(values.length)): Float64Array {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (i < period - 1) {
      out[i] = NaN;
      continue;
    }
    // Two-pass over the window: exact and cheap for the short windows used here.
    const m = mean[i];
    let ss = 0;
    for (let j = i - period + 1; j <= i; j++) {
      const d = values[j] - m;
      ss += d * d;
    }
    out[i] = Math.sqrt(ss / period);
  }
  return out;
}

/**
 * Exponential moving average with multiplier 2/(period+1), seeded with the SMA of the first `period` values
 * (so the first value is at index start+period−1), as technicalindicators' EMA. `start` skips leading NaNs.
 */
export function ema(values: ArrayLike<number>, period: number, start = 0, out = new Float64Array(values.length)): Float64Array {
  return smoothed(values, period, 2 / (period + 1), start, out);
}

/** Wilder's moving average (multiplier 1/period), SMA-seeded: technicalindicators' WEMA, used by RSI and ATR. */
export function wilder(values: ArrayLike<number>, period: number, start = 0, out = new Float64Array(values.length)): Float64Array {
  return smoothed(values, period, 1 / period, start, out);
}

function smoothed(values: ArrayLike<number>, period: number, k: number, start: number, out: Float64Array): Float64Array {
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
export function rollingMax(values: ArrayLike<number>, period: number, out = new Float64Array(values.length)): Float64Array {
  return rollingExtreme(values, period, out, 1);
}

/** Lowest value over the last `period` values. */
export function rollingMin(values: ArrayLike<number>, period: number, out = new Float64Array(values.length)): Float64Array {
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

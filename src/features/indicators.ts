/**
 * Typed-array versions of the technicalindicators formulas used by the `ta` set and the chart panels. Each returns
 * full-length Float64Arrays (NaN before the first value) and matches technicalindicators' first index and values
 * (tests check this), except that RSI and MFI are not rounded to 2 decimals here.
 */
import type { Candles } from '../core/candles.ts';
import { ema, rollingMax, rollingMin, rollingStd, sma, wilder } from './rolling.ts';

/** RSI with Wilder averages of gains and losses; first value at index `period`. 0..100, unrounded. */
export function rsi(close: ArrayLike<number>, period = 14): Float64Array {
  const n = close.length;
  const gain = new Float64Array(n);
  const loss = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const d = close[i] - close[i - 1];
    gain[i] = d > 0 ? d : 0;
    loss[i] = d < 0 ? -d : 0;
  }
  const avgGain = wilder(gain, period, 1);
  const avgLoss = wilder(loss, period, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = avgGain[i];
    const l = avgLoss[i];
    if (Number.isNaN(g)) out[i] = NaN;
    else if (l === 0)
      out[i] = g === 0 ? 50 : 100; // flat: technicalindicators says 100; neutral is the honest reading
    else if (g === 0) out[i] = 0;
    else out[i] = 100 - 100 / (1 + g / l);
  }
  return out;
}

interface MacdLines {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/** MACD with EMAs (technicalindicators' SimpleMAOscillator/SimpleMASignal = false); signal first at slow+signal−2. */
export function macd(close: ArrayLike<number>, fast = 12, slow = 26, signalPeriod = 9): MacdLines {
  const n = close.length;
  const fastEma = ema(close, fast);
  const slowEma = ema(close, slow);
  const line = new Float64Array(n);
  for (let i = 0; i < n; i++) line[i] = fastEma[i] - slowEma[i];
  const signal = ema(line, signalPeriod, slow - 1);
  const histogram = new Float64Array(n);
  for (let i = 0; i < n; i++) histogram[i] = line[i] - signal[i];
  return { macd: line, signal, histogram };
}

interface Bands {
  middle: Float64Array;
  upper: Float64Array;
  lower: Float64Array;
}

/** Bollinger bands: SMA ± k population standard deviations. */
export function bollinger(close: ArrayLike<number>, period = 20, k = 2): Bands {
  const middle = sma(close, period);
  const sd = rollingStd(close, period, middle);
  const n = close.length;
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    upper[i] = middle[i] + k * sd[i];
    lower[i] = middle[i] - k * sd[i];
  }
  return { middle, upper, lower };
}

/** True range from index 1 (the first candle has no previous close). */
function trueRange(c: Candles): Float64Array {
  const n = c.close.length;
  const tr = new Float64Array(n);
  tr[0] = NaN;
  for (let i = 1; i < n; i++) {
    const pc = c.close[i - 1];
    tr[i] = Math.max(c.high[i] - c.low[i], Math.abs(c.high[i] - pc), Math.abs(c.low[i] - pc));
  }
  return tr;
}

/** Average true range (Wilder); first value at index `period`. */
export function atr(c: Candles, period = 14): Float64Array {
  return wilder(trueRange(c), period, 1);
}

/**
 * Stochastic %K (first at period−1) and %D = SMA(signalPeriod) of %K, 0..100; a flat window gives %K = 0 as the
 * library.
 */
export function stochastic(c: Candles, period = 14, signalPeriod = 3): { k: Float64Array; d: Float64Array } {
  const n = c.close.length;
  const hi = rollingMax(c.high, period);
  const lo = rollingMin(c.low, period);
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i < period - 1) k[i] = NaN;
    else {
      const v = ((c.close[i] - lo[i]) / (hi[i] - lo[i])) * 100;
      k[i] = Number.isNaN(v) ? 0 : v;
    }
  }
  const d = new Float64Array(n).fill(NaN);
  if (n >= period) d.set(sma(k.subarray(period - 1), signalPeriod), period - 1);
  return { k, d };
}

/** ADX with +DI and −DI (Wilder); DI first at index `period`, ADX at 2·period−1. 0..100. */
export function adx(c: Candles, period = 14): { adx: Float64Array; pdi: Float64Array; mdi: Float64Array } {
  const n = c.close.length;
  const pdm = new Float64Array(n);
  const mdm = new Float64Array(n);
  pdm[0] = NaN;
  mdm[0] = NaN;
  for (let i = 1; i < n; i++) {
    const up = c.high[i] - c.high[i - 1];
    const down = c.low[i - 1] - c.low[i];
    pdm[i] = up > down && up > 0 ? up : 0;
    mdm[i] = down > up && down > 0 ? down : 0;
  }
  const tr = wilder(trueRange(c), period, 1);
  const sp = wilder(pdm, period, 1);
  const sm = wilder(mdm, period, 1);
  const pdi = new Float64Array(n);
  const mdi = new Float64Array(n);
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    pdi[i] = (sp[i] * 100) / tr[i];
    mdi[i] = (sm[i] * 100) / tr[i];
    dx[i] = (Math.abs(pdi[i] - mdi[i]) / (pdi[i] + mdi[i])) * 100;
  }
  return { adx: wilder(dx, period, period), pdi, mdi };
}

/** Commodity channel index: (TP − SMA(TP)) / (0.015 · mean absolute deviation); first at period−1. */
export function cci(c: Candles, period = 20): Float64Array {
  const n = c.close.length;
  const tp = new Float64Array(n);
  for (let i = 0; i < n; i++) tp[i] = (c.high[i] + c.low[i] + c.close[i]) / 3;
  const mean = sma(tp, period);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i < period - 1) {
      out[i] = NaN;
      continue;
    }
    let dev = 0;
    for (let j = i - period + 1; j <= i; j++) dev += Math.abs(tp[j] - mean[i]);
    out[i] = (tp[i] - mean[i]) / ((0.015 * dev) / period);
  }
  return out;
}

/**
 * Money flow index as technicalindicators computes it: money flows start at index 2 (typical price compared with the
 * previous one; equal counts as negative), first value at index period+1. 0..100, unrounded; no flow at all → 50.
 */
export function mfi(c: Candles, period = 14): Float64Array {
  const n = c.close.length;
  const pos = new Float64Array(n);
  const neg = new Float64Array(n);
  let prevTp = NaN;
  for (let i = 1; i < n; i++) {
    const tp = (c.high[i] + c.low[i] + c.close[i]) / 3;
    if (i >= 2) {
      const flow = tp * c.volume[i];
      if (tp > prevTp) pos[i] = flow;
      else neg[i] = flow;
    }
    prevTp = tp;
  }
  const out = new Float64Array(n);
  let sp = 0;
  let sn = 0;
  for (let i = 0; i < n; i++) {
    sp += pos[i];
    sn += neg[i];
    if (i - period >= 2) {
      sp -= pos[i - period];
      sn -= neg[i - period];
    }
    if (i < period + 1) out[i] = NaN;
    else if (sp + sn <= 0) out[i] = 50;
    else out[i] = sn <= 0 ? 100 : 100 - 100 / (1 + sp / sn);
  }
  return out;
}

/**
 * On-balance volume, starting from 0 at index 0 (technicalindicators starts its output at index 1 with the first step).
 */
export function obv(c: Candles): Float64Array {
  const n = c.close.length;
  const out = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const d = c.close[i] - c.close[i - 1];
    out[i] = out[i - 1] + (d > 0 ? c.volume[i] : d < 0 ? -c.volume[i] : 0);
  }
  return out;
}

/** The classic technical-indicator feature set, each indicator made scale-free. */
import type { Candles } from '../core/candles.ts';
import { adx, atr, bollinger, cci, macd, mfi, obv, rsi, stochastic } from './indicators.ts';
import type { FeatureSet } from './matrix.ts';
import { ema, safeDiv } from './rolling.ts';

const EMA_PERIODS = [10, 20, 50] as const;
const OBV_WINDOW = 20;

/**
 * Classic indicators (technicalindicators' formulas, typed-array code), each made scale-free so one model can read
 * BTC in KRW and ETH in USDT: oscillators are divided by 100, price distances by the close.
 * RSI and MFI are NOT rounded to 2 decimals as technicalindicators does: the rounding adds a staircase of up to
 * 0.005 RSI points that carries no information; values agree with the library to within that rounding (tested).
 */
export const taSet: FeatureSet = {
  name: 'ta',
  version: 1,
  description: 'RSI, MACD, Bollinger %b/width, ATR, Stochastic, ADX/DI, CCI, MFI, OBV change, EMA distances',
  columns: [
    'rsi14',
    'macd_close',
    'macd_signal_close',
    'macd_hist_close',
    'bb_pctb',
    'bb_width',
    'atr14_close',
    'stoch_k',
    'stoch_d',
    'adx14',
    'pdi14',
    'mdi14',
    'cci20',
    'mfi14',
    `obv_change${OBV_WINDOW}`,
    ...EMA_PERIODS.map((p) => `close_ema${p}`),
  ],
  warmup: Math.max(...EMA_PERIODS) - 1,
  // EMA50's seed fades as (49/51)^n, the Wilder/ADX smoothing faster: after 600 candles every column of a series
  // started later equals the longer series' to float32 rounding (test/features/lookahead.test.ts; 200 are too few)
  settle: 600,
  // every candle before a row weighs (1 − 2/51)^n in EMA50's value n candles later: under 1% from n = 116; MACD's
  // EMA26 and its signal, and the Wilder (and ADX's double Wilder) smoothing, fade faster
  reach: Math.ceil(Math.log(0.01) / Math.log(1 - 2 / (Math.max(...EMA_PERIODS) + 1))),
  compute(c: Candles, out: Float64Array[]): void {
    const n = c.close.length;
    const close = c.close;
    let col = 0;
    const put = (f: (i: number) => number) => {
      const target = out[col++];
      for (let i = 0; i < n; i++) target[i] = f(i);
    };
    const r = rsi(close, 14);
    put((i) => r[i] / 100);
    const m = macd(close, 12, 26, 9);
    put((i) => safeDiv(m.macd[i], close[i]));
    put((i) => safeDiv(m.signal[i], close[i]));
    put((i) => safeDiv(m.histogram[i], close[i]));
    const bb = bollinger(close, 20, 2);
    // A flat window has no band: %b is then the middle, 0.5.
    put((i) => safeDiv(close[i] - bb.lower[i], bb.upper[i] - bb.lower[i], 0.5));
    put((i) => safeDiv(bb.upper[i] - bb.lower[i], bb.middle[i]));
    const a = atr(c, 14);
    put((i) => safeDiv(a[i], close[i]));
    const st = stochastic(c, 14, 3);
    put((i) => st.k[i] / 100);
    put((i) => st.d[i] / 100);
    const dx = adx(c, 14);
    put((i) => dx.adx[i] / 100);
    put((i) => dx.pdi[i] / 100);
    put((i) => dx.mdi[i] / 100);
    const cc = cci(c, 20);
    put((i) => cc[i] / 100);
    const mf = mfi(c, 14);
    put((i) => mf[i] / 100);
    const ob = obv(c);
    let volumeSum = 0;
    const obvChange = out[col++];
    for (let i = 0; i < n; i++) {
      volumeSum += c.volume[i];
      if (i >= OBV_WINDOW) volumeSum -= c.volume[i - OBV_WINDOW];
      obvChange[i] = i >= OBV_WINDOW ? safeDiv(ob[i] - ob[i - OBV_WINDOW], volumeSum) : NaN;
    }
    for (const p of EMA_PERIODS) {
      const e = ema(close, p);
      put((i) => safeDiv(close[i] - e[i], e[i]));
    }
  },
};

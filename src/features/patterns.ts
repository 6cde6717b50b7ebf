/** Candlestick pattern features, transcribed from technicalindicators. */
import * as ti from 'technicalindicators';
import type { Candles } from '../core/candles.ts';
import type { FeatureSet } from './matrix.ts';

/**
 * Candlestick patterns transcribed from technicalindicators 3.1 (lib/candlestick/*.js), condition for condition, to
 * run on typed arrays without the library's per-call objects (≈50× faster). Each detector is tested equal to the
 * library's on thousands of windows. One deliberate difference, see `trend`.
 *
 * A detector looks at candles i−k+1 … i (k = `candles`) and says whether the pattern completes at candle i.
 */
type Ohlc = Pick<Candles, 'open' | 'high' | 'low' | 'close'>;
type Detect = (c: Ohlc, i: number) => boolean;

/**
 * The library's `approximateEqual`: |a−b| and a·0.001, each rounded to 4 significant digits, compared. The rounding
 * moves each side by at most 0.05%, so |a−b| > 0.00101·|a| can never pass and skips the slow string rounding.
 */
function near(a: number, b: number): boolean {
  const d = Math.abs(a - b);
  if (d > 0.00101 * Math.abs(a)) return false;
  return parseFloat(d.toPrecision(4)) <= parseFloat((a * 0.001).toPrecision(4));
}

function doji(c: Ohlc, i: number): boolean {
  const o = c.open[i];
  const cl = c.close[i];
  if (!near(o, cl)) return false;
  return near(o, c.high[i]) === near(cl, c.low[i]);
}

/**
 * Three-candle trend before the five-candle patterns: average gain vs average loss of closes i−4 … i−2. The library
 * compares the two one-element result *arrays* with `>`, which JavaScript does on their strings ("10.5" < "9"); here
 * they are compared as numbers, which is what the pattern means.
 */
function trend(c: Ohlc, i: number): number {
  const d1 = c.close[i - 3] - c.close[i - 4];
  const d2 = c.close[i - 2] - c.close[i - 3];
  const gain = ((d1 > 0 ? d1 : 0) + (d2 > 0 ? d2 : 0)) / 2;
  const loss = ((d1 < 0 ? -d1 : 0) + (d2 < 0 ? -d2 : 0)) / 2;
  return gain > loss ? 1 : loss > gain ? -1 : 0;
}

const bullishHammerStick: Detect = (c, i) =>
  c.close[i] > c.open[i] && near(c.close[i], c.high[i]) && c.close[i] - c.open[i] <= 2 * (c.open[i] - c.low[i]);
const bearishHammerStick: Detect = (c, i) =>
  c.open[i] > c.close[i] && near(c.open[i], c.high[i]) && c.open[i] - c.close[i] <= 2 * (c.close[i] - c.low[i]);
const bullishInvertedHammerStick: Detect = (c, i) =>
  c.close[i] > c.open[i] && near(c.open[i], c.low[i]) && c.close[i] - c.open[i] <= 2 * (c.high[i] - c.close[i]);
const bearishInvertedHammerStick: Detect = (c, i) =>
  c.open[i] > c.close[i] && near(c.close[i], c.low[i]) && c.open[i] - c.close[i] <= 2 * (c.high[i] - c.open[i]);

type LibraryDetector = (data: { open: number[]; high: number[]; low: number[]; close: number[] }) => boolean;

export interface PatternDetector {
  column: string;
  /** Candles the pattern spans (the library's `requiredCount`). */
  candles: number;
  detect: Detect;
  /** The technicalindicators function it transcribes (tests compare the two). */
  reference: LibraryDetector;
  /** True when `detect` deliberately differs from `reference` (the string-compared trend). */
  fixesTrend?: boolean;
}

export const PATTERN_DETECTORS: readonly PatternDetector[] = [
  { column: 'doji', candles: 1, reference: ti.doji, detect: doji },
  {
    column: 'dragonfly_doji',
    candles: 1,
    reference: ti.dragonflydoji,
    detect: (c, i) => near(c.open[i], c.close[i]) && near(c.open[i], c.high[i]) && !near(c.close[i], c.low[i]),
  },
  {
    column: 'gravestone_doji',
    candles: 1,
    reference: ti.gravestonedoji,
    detect: (c, i) => near(c.open[i], c.close[i]) && near(c.close[i], c.low[i]) && !near(c.open[i], c.high[i]),
  },
  {
    column: 'bullish_marubozu',
    candles: 1,
    reference: ti.bullishmarubozu,
    detect: (c, i) =>
      c.open[i] < c.close[i] && c.open[i] < c.high[i] && near(c.close[i], c.high[i]) && near(c.low[i], c.open[i]),
  },
  {
    column: 'bearish_marubozu',
    candles: 1,
    reference: ti.bearishmarubozu,
    detect: (c, i) =>
      c.open[i] > c.close[i] && c.open[i] > c.low[i] && near(c.open[i], c.high[i]) && near(c.low[i], c.close[i]),
  },
  {
    column: 'bullish_spinning_top',
    candles: 1,
    reference: ti.bullishspinningtop,
    detect: (c, i) => {
      const body = Math.abs(c.close[i] - c.open[i]);
      return body < Math.abs(c.high[i] - c.close[i]) && body < Math.abs(c.open[i] - c.low[i]);
    },
  },
  {
    column: 'bearish_spinning_top',
    candles: 1,
    reference: ti.bearishspinningtop,
    detect: (c, i) => {
      const body = Math.abs(c.close[i] - c.open[i]);
      return body < Math.abs(c.high[i] - c.open[i]) && body < Math.abs(c.high[i] - c.low[i]);
    },
  },
  { column: 'bullish_hammer', candles: 1, reference: ti.bullishhammerstick, detect: bullishHammerStick },
  { column: 'bearish_hammer', candles: 1, reference: ti.bearishhammerstick, detect: bearishHammerStick },
  {
    column: 'bullish_inverted_hammer',
    candles: 1,
    reference: ti.bullishinvertedhammerstick,
    detect: bullishInvertedHammerStick,
  },
  {
    column: 'bearish_inverted_hammer',
    candles: 1,
    reference: ti.bearishinvertedhammerstick,
    detect: bearishInvertedHammerStick,
  },
  {
    column: 'bullish_engulfing',
    candles: 2,
    reference: ti.bullishengulfingpattern,
    detect: (c, i) =>
      c.close[i - 1] < c.open[i - 1] &&
      c.open[i - 1] > c.open[i] &&
      c.close[i - 1] > c.open[i] &&
      c.open[i - 1] < c.close[i],
  },
  {
    column: 'bearish_engulfing',
    candles: 2,
    reference: ti.bearishengulfingpattern,
    detect: (c, i) =>
      c.close[i - 1] > c.open[i - 1] &&
      c.open[i - 1] < c.open[i] &&
      c.close[i - 1] < c.open[i] &&
      c.open[i - 1] > c.close[i],
  },
  {
    column: 'bullish_harami',
    candles: 2,
    reference: ti.bullishharami,
    detect: (c, i) =>
      c.open[i - 1] > c.open[i] &&
      c.close[i - 1] < c.open[i] &&
      c.close[i - 1] < c.close[i] &&
      c.open[i - 1] > c.low[i] &&
      c.high[i - 1] > c.high[i],
  },
  {
    column: 'bearish_harami',
    candles: 2,
    reference: ti.bearishharami,
    detect: (c, i) =>
      c.open[i - 1] < c.open[i] &&
      c.close[i - 1] > c.open[i] &&
      c.close[i - 1] > c.close[i] &&
      c.open[i - 1] < c.low[i] &&
      c.high[i - 1] > c.high[i],
  },
  {
    column: 'bullish_harami_cross',
    candles: 2,
    reference: ti.bullishharamicross,
    detect: (c, i) =>
      c.open[i - 1] > c.open[i] &&
      c.close[i - 1] < c.open[i] &&
      c.close[i - 1] < c.close[i] &&
      c.open[i - 1] > c.low[i] &&
      c.high[i - 1] > c.high[i] &&
      near(c.open[i], c.close[i]),
  },
  {
    column: 'bearish_harami_cross',
    candles: 2,
    reference: ti.bearishharamicross,
    detect: (c, i) =>
      c.open[i - 1] < c.open[i] &&
      c.close[i - 1] > c.open[i] &&
      c.close[i - 1] > c.close[i] &&
      c.open[i - 1] < c.low[i] &&
      c.high[i - 1] > c.high[i] &&
      near(c.open[i], c.close[i]),
  },
  {
    column: 'piercing_line',
    candles: 2,
    reference: ti.piercingline,
    detect: (c, i) =>
      c.low[i] < c.low[i - 1] &&
      c.close[i - 1] < c.open[i - 1] &&
      c.low[i - 1] > c.open[i] &&
      c.close[i] > (c.open[i - 1] + c.close[i - 1]) / 2 &&
      c.close[i] > c.open[i],
  },
  {
    column: 'dark_cloud_cover',
    candles: 2,
    reference: ti.darkcloudcover,
    detect: (c, i) =>
      c.close[i - 1] > c.open[i - 1] &&
      c.close[i] < c.open[i] &&
      c.open[i] > c.high[i - 1] &&
      c.close[i] < (c.close[i - 1] + c.open[i - 1]) / 2 &&
      c.close[i] > c.open[i - 1],
  },
  {
    column: 'morning_star',
    candles: 3,
    reference: ti.morningstar,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.close[a] < c.open[a] &&
        c.low[a] > c.low[b] &&
        c.low[a] > c.high[b] &&
        c.high[b] < c.low[a] &&
        c.low[b] < c.low[a] &&
        c.open[i] > c.high[b] &&
        c.close[b] < c.open[i] &&
        c.open[i] < c.close[i] &&
        c.close[i] > (c.open[a] + c.close[a]) / 2
      );
    },
  },
  {
    column: 'morning_doji_star',
    candles: 3,
    reference: ti.morningdojistar,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.close[a] < c.open[a] &&
        c.open[i] < c.close[i] &&
        c.high[b] < c.low[a] &&
        c.low[b] < c.low[a] &&
        c.open[i] > c.high[b] &&
        c.close[b] < c.open[i] &&
        c.close[i] > (c.open[a] + c.close[a]) / 2 &&
        doji(c, b)
      );
    },
  },
  {
    column: 'evening_star',
    candles: 3,
    reference: ti.eveningstar,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.close[a] > c.open[a] &&
        c.high[a] < c.low[b] &&
        c.high[a] < c.high[b] &&
        c.open[i] > c.close[i] &&
        c.high[b] > c.high[a] &&
        c.low[b] > c.high[a] &&
        c.open[i] < c.low[b] &&
        c.close[b] > c.open[i] &&
        c.close[i] < (c.open[a] + c.close[a]) / 2
      );
    },
  },
  {
    column: 'evening_doji_star',
    candles: 3,
    reference: ti.eveningdojistar,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.close[a] > c.open[a] &&
        c.open[i] > c.close[i] &&
        c.high[b] > c.high[a] &&
        c.low[b] > c.high[a] &&
        c.open[i] < c.low[b] &&
        c.close[b] > c.open[i] &&
        c.close[i] < (c.open[a] + c.close[a]) / 2 &&
        doji(c, b)
      );
    },
  },
  {
    column: 'abandoned_baby',
    candles: 3,
    reference: ti.abandonedbaby,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.close[a] < c.open[a] &&
        c.high[b] < c.low[a] &&
        c.low[i] > c.high[b] &&
        c.close[i] > c.open[i] &&
        c.high[i] < c.open[a] &&
        doji(c, b)
      );
    },
  },
  {
    column: 'three_white_soldiers',
    candles: 3,
    reference: ti.threewhitesoldiers,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.high[b] > c.high[a] &&
        c.high[i] > c.high[b] &&
        c.open[a] < c.close[a] &&
        c.open[b] < c.close[b] &&
        c.open[i] < c.close[i] &&
        c.close[a] > c.open[b] &&
        c.open[b] < c.high[a] &&
        c.high[b] > c.open[i] &&
        c.open[i] < c.close[b]
      );
    },
  },
  {
    column: 'three_black_crows',
    candles: 3,
    reference: ti.threeblackcrows,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.low[a] > c.low[b] &&
        c.low[b] > c.low[i] &&
        c.open[a] > c.close[a] &&
        c.open[b] > c.close[b] &&
        c.open[i] > c.close[i] &&
        c.open[a] > c.open[b] &&
        c.open[b] > c.close[a] &&
        c.open[b] > c.open[i] &&
        c.open[i] > c.close[b]
      );
    },
  },
  {
    column: 'downside_tasuki_gap',
    candles: 3,
    reference: ti.downsidetasukigap,
    detect: (c, i) => {
      const a = i - 2;
      const b = i - 1;
      return (
        c.close[a] < c.open[a] &&
        c.close[b] < c.open[b] &&
        c.close[i] > c.open[i] &&
        c.high[b] < c.low[a] &&
        c.open[b] > c.open[i] &&
        c.close[b] < c.open[i] &&
        c.close[i] > c.open[b] &&
        c.close[i] < c.close[a]
      );
    },
  },
  {
    column: 'hammer',
    candles: 5,
    reference: ti.hammerpattern,
    fixesTrend: true,
    detect: (c, i) =>
      c.open[i] < c.close[i] &&
      c.close[i - 1] < c.close[i] &&
      trend(c, i) < 0 &&
      (bearishHammerStick(c, i - 1) ||
        bearishInvertedHammerStick(c, i - 1) ||
        bullishHammerStick(c, i - 1) ||
        bullishInvertedHammerStick(c, i - 1)),
  },
  {
    column: 'hanging_man',
    candles: 5,
    reference: ti.hangingman,
    fixesTrend: true,
    detect: (c, i) =>
      c.open[i] > c.close[i] &&
      c.close[i - 1] > c.close[i] &&
      trend(c, i) > 0 &&
      (bearishHammerStick(c, i - 1) || bullishHammerStick(c, i - 1)),
  },
  {
    column: 'shooting_star',
    candles: 5,
    reference: ti.shootingstar,
    fixesTrend: true,
    detect: (c, i) =>
      c.open[i] > c.close[i] &&
      c.close[i - 1] > c.close[i] &&
      trend(c, i) > 0 &&
      (bearishInvertedHammerStick(c, i - 1) || bullishInvertedHammerStick(c, i - 1)),
  },
  {
    column: 'tweezer_top',
    candles: 5,
    reference: ti.tweezertop,
    fixesTrend: true,
    detect: (c, i) => c.high[i - 1] === c.high[i] && trend(c, i) > 0,
  },
  {
    column: 'tweezer_bottom',
    candles: 5,
    reference: ti.tweezerbottom,
    fixesTrend: true,
    detect: (c, i) => c.low[i - 1] === c.low[i] && trend(c, i) < 0,
  },
];

/** Candlestick patterns as 0/1 columns: row t is 1 when the pattern completes at candle t (uses candles t−k+1…t). */
export const patternsSet: FeatureSet = {
  name: 'patterns',
  version: 1,
  description: "technicalindicators' candlestick patterns (engulfing, harami, stars, doji, hammer, …) as 0/1",
  columns: PATTERN_DETECTORS.map((d) => d.column),
  warmup: Math.max(...PATTERN_DETECTORS.map((d) => d.candles)) - 1,
  compute(c: Candles, out: Float64Array[]): void {
    const n = c.close.length;
    PATTERN_DETECTORS.forEach((d, col) => {
      const column = out[col];
      const { detect } = d;
      for (let t = 0; t < n; t++) column[t] = t >= d.candles - 1 && detect(c, t) ? 1 : 0;
    });
  },
};

import * as ti from 'technicalindicators';
import type { Candles } from '../data/candles.ts';
import type { FeatureSet } from './matrix.ts';

interface OhlcWindow {
  open: number[];
  high: number[];
  low: number[];
  close: number[];
}

type Detector = (data: OhlcWindow) => boolean;
/** A cheap condition every hit of the detector satisfies (read from its source); false skips the slow library call. */
type Prefilter = (w: OhlcWindow) => boolean;

/**
 * Necessary condition for the library's `approximateEqual(a, b)`: it compares |a−b| and a·0.001, each rounded to 4
 * significant digits (at most 0.05% change each), so it can only hold when |a−b| ≤ 0.001·|a|·1.001.
 */
const near = (a: number, b: number) => Math.abs(a - b) <= 0.00101 * Math.abs(a);
/** The library's 3-candle trend: average gain vs average loss over closes 0..2 (period 2), compared as numbers. */
function trend(w: OhlcWindow): number {
  const d1 = w.close[1] - w.close[0];
  const d2 = w.close[2] - w.close[1];
  const gain = ((d1 > 0 ? d1 : 0) + (d2 > 0 ? d2 : 0)) / 2;
  const loss = ((d1 < 0 ? -d1 : 0) + (d2 < 0 ? -d2 : 0)) / 2;
  return gain > loss ? 1 : loss > gain ? -1 : 0;
}
const dojiAt = (k: number): Prefilter => (w) => near(w.open[k], w.close[k]);

/*
 * The five-candle patterns (hammer, hanging man, shooting star, tweezers) are the library's logic with one fix: it
 * compares the average gain and loss arrays with `>`, which JavaScript does on their *strings* ("10.5" < "9"), so
 * its trend test is wrong whenever the two numbers differ in digit count. Here the trend compares numbers. The stick
 * shapes are still the library's detectors, and everything else is transcribed from its source.
 */
const HAMMERS: Detector[] = [ti.bearishhammerstick, ti.bearishinvertedhammerstick, ti.bullishhammerstick, ti.bullishinvertedhammerstick];
const HANGING: Detector[] = [ti.bearishhammerstick, ti.bullishhammerstick];
const SHOOTING: Detector[] = [ti.bearishinvertedhammerstick, ti.bullishinvertedhammerstick];
const candle3: OhlcWindow = { open: [0], high: [0], low: [0], close: [0] };
function stickAt3(w: OhlcWindow, sticks: Detector[]): boolean {
  candle3.open[0] = w.open[3];
  candle3.high[0] = w.high[3];
  candle3.low[0] = w.low[3];
  candle3.close[0] = w.close[3];
  return sticks.some((d) => d(candle3));
}

/** technicalindicators' candlestick detectors and how many candles each looks at (its `requiredCount`). */
const DETECTORS: readonly { column: string; candles: number; detect: Detector; maybe?: Prefilter }[] = [
  { column: 'doji', candles: 1, detect: ti.doji, maybe: dojiAt(0) },
  { column: 'dragonfly_doji', candles: 1, detect: ti.dragonflydoji, maybe: dojiAt(0) },
  { column: 'gravestone_doji', candles: 1, detect: ti.gravestonedoji, maybe: dojiAt(0) },
  { column: 'bullish_marubozu', candles: 1, detect: ti.bullishmarubozu, maybe: (w) => w.open[0] < w.close[0] && near(w.close[0], w.high[0]) },
  { column: 'bearish_marubozu', candles: 1, detect: ti.bearishmarubozu, maybe: (w) => w.open[0] > w.close[0] && near(w.open[0], w.high[0]) },
  { column: 'bullish_spinning_top', candles: 1, detect: ti.bullishspinningtop },
  { column: 'bearish_spinning_top', candles: 1, detect: ti.bearishspinningtop },
  { column: 'bullish_hammer', candles: 1, detect: ti.bullishhammerstick },
  { column: 'bearish_hammer', candles: 1, detect: ti.bearishhammerstick },
  { column: 'bullish_inverted_hammer', candles: 1, detect: ti.bullishinvertedhammerstick },
  { column: 'bearish_inverted_hammer', candles: 1, detect: ti.bearishinvertedhammerstick },
  { column: 'bullish_engulfing', candles: 2, detect: ti.bullishengulfingpattern },
  { column: 'bearish_engulfing', candles: 2, detect: ti.bearishengulfingpattern },
  { column: 'bullish_harami', candles: 2, detect: ti.bullishharami },
  { column: 'bearish_harami', candles: 2, detect: ti.bearishharami },
  { column: 'bullish_harami_cross', candles: 2, detect: ti.bullishharamicross, maybe: dojiAt(1) },
  { column: 'bearish_harami_cross', candles: 2, detect: ti.bearishharamicross, maybe: dojiAt(1) },
  { column: 'piercing_line', candles: 2, detect: ti.piercingline },
  { column: 'dark_cloud_cover', candles: 2, detect: ti.darkcloudcover },
  { column: 'morning_star', candles: 3, detect: ti.morningstar },
  { column: 'morning_doji_star', candles: 3, detect: ti.morningdojistar, maybe: dojiAt(1) },
  { column: 'evening_star', candles: 3, detect: ti.eveningstar },
  { column: 'evening_doji_star', candles: 3, detect: ti.eveningdojistar, maybe: dojiAt(1) },
  { column: 'abandoned_baby', candles: 3, detect: ti.abandonedbaby, maybe: dojiAt(1) },
  { column: 'three_white_soldiers', candles: 3, detect: ti.threewhitesoldiers },
  { column: 'three_black_crows', candles: 3, detect: ti.threeblackcrows },
  { column: 'downside_tasuki_gap', candles: 3, detect: ti.downsidetasukigap },
  { column: 'hammer', candles: 5, detect: (w) => trend(w) < 0 && stickAt3(w, HAMMERS) && w.open[4] < w.close[4] && w.close[3] < w.close[4] },
  { column: 'hanging_man', candles: 5, detect: (w) => trend(w) > 0 && stickAt3(w, HANGING) && w.open[4] > w.close[4] && w.close[3] > w.close[4] },
  { column: 'shooting_star', candles: 5, detect: (w) => trend(w) > 0 && stickAt3(w, SHOOTING) && w.open[4] > w.close[4] && w.close[3] > w.close[4] },
  { column: 'tweezer_top', candles: 5, detect: (w) => trend(w) > 0 && w.high[3] === w.high[4] },
  { column: 'tweezer_bottom', candles: 5, detect: (w) => trend(w) < 0 && w.low[3] === w.low[4] },
];

/** The detectors' column names and window lengths (tests compare them with the library one by one). */
export const PATTERN_DETECTORS = DETECTORS;

/** Candlestick patterns as 0/1 columns: row t is 1 when the pattern completes at candle t (uses candles t−k+1…t). */
export const patternsSet: FeatureSet = {
  name: 'patterns',
  version: 1,
  description: "technicalindicators' candlestick pattern detectors (engulfing, harami, stars, doji, hammer, …) as 0/1",
  columns: DETECTORS.map((d) => d.column),
  warmup: Math.max(...DETECTORS.map((d) => d.candles)) - 1,
  compute(c: Candles, out: Float64Array[]): void {
    const n = c.close.length;
    // One reusable window per length; the detectors only read them (they copy when they slice).
    const windows = new Map<number, OhlcWindow>();
    for (const d of DETECTORS) {
      if (!windows.has(d.candles)) windows.set(d.candles, { open: new Array<number>(d.candles), high: new Array<number>(d.candles), low: new Array<number>(d.candles), close: new Array<number>(d.candles) });
    }
    for (let t = 0; t < n; t++) {
      for (const [k, w] of windows) {
        if (t < k - 1) continue;
        for (let j = 0; j < k; j++) {
          const i = t - k + 1 + j;
          w.open[j] = c.open[i];
          w.high[j] = c.high[i];
          w.low[j] = c.low[i];
          w.close[j] = c.close[i];
        }
      }
      for (let col = 0; col < DETECTORS.length; col++) {
        const d = DETECTORS[col];
        const w = windows.get(d.candles)!;
        out[col][t] = t >= d.candles - 1 && (!d.maybe || d.maybe(w)) && d.detect(w) ? 1 : 0;
      }
    }
  },
};

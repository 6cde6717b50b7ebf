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

/** technicalindicators' candlestick detectors and how many candles each looks at (its `requiredCount`). */
const DETECTORS: readonly { column: string; candles: number; detect: Detector }[] = [
  { column: 'doji', candles: 1, detect: ti.doji },
  { column: 'dragonfly_doji', candles: 1, detect: ti.dragonflydoji },
  { column: 'gravestone_doji', candles: 1, detect: ti.gravestonedoji },
  { column: 'bullish_marubozu', candles: 1, detect: ti.bullishmarubozu },
  { column: 'bearish_marubozu', candles: 1, detect: ti.bearishmarubozu },
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
  { column: 'bullish_harami_cross', candles: 2, detect: ti.bullishharamicross },
  { column: 'bearish_harami_cross', candles: 2, detect: ti.bearishharamicross },
  { column: 'piercing_line', candles: 2, detect: ti.piercingline },
  { column: 'dark_cloud_cover', candles: 2, detect: ti.darkcloudcover },
  { column: 'morning_star', candles: 3, detect: ti.morningstar },
  { column: 'morning_doji_star', candles: 3, detect: ti.morningdojistar },
  { column: 'evening_star', candles: 3, detect: ti.eveningstar },
  { column: 'evening_doji_star', candles: 3, detect: ti.eveningdojistar },
  { column: 'abandoned_baby', candles: 3, detect: ti.abandonedbaby },
  { column: 'three_white_soldiers', candles: 3, detect: ti.threewhitesoldiers },
  { column: 'three_black_crows', candles: 3, detect: ti.threeblackcrows },
  { column: 'downside_tasuki_gap', candles: 3, detect: ti.downsidetasukigap },
  { column: 'hammer', candles: 5, detect: ti.hammerpattern },
  { column: 'hanging_man', candles: 5, detect: ti.hangingman },
  { column: 'shooting_star', candles: 5, detect: ti.shootingstar },
  { column: 'tweezer_top', candles: 5, detect: ti.tweezertop },
  { column: 'tweezer_bottom', candles: 5, detect: ti.tweezerbottom },
];

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
      DETECTORS.forEach((d, col) => {
        out[col][t] = t >= d.candles - 1 && d.detect(windows.get(d.candles)!) ? 1 : 0;
      });
    }
  },
};

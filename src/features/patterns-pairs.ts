// Two-candle patterns (engulfing, harami, piercing line, dark cloud cover), transcribed from technicalindicators.
import * as ti from 'technicalindicators';
import { near, type PatternDetector } from './pattern-primitives.ts';

export const TWO_CANDLE_PATTERNS: readonly PatternDetector[] = [
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
];

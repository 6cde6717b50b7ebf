// Five-candle patterns that need a trend before them (hammer, hanging man, shooting star, tweezers), transcribed
// from technicalindicators with the trend compared as numbers (see `trend`).
import * as ti from 'technicalindicators';
import {
  bullishHammerStick,
  bearishHammerStick,
  bullishInvertedHammerStick,
  bearishInvertedHammerStick,
  type PatternDetector,
  type Ohlc,
} from './pattern-primitives.ts';

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

export const TREND_PATTERNS: readonly PatternDetector[] = [
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

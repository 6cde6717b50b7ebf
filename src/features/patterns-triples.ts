// Three-candle patterns (stars, abandoned baby, soldiers and crows, tasuki gap), transcribed from
// technicalindicators.
import * as ti from 'technicalindicators';
import { doji, type PatternDetector } from './pattern-primitives.ts';

export const THREE_CANDLE_PATTERNS: readonly PatternDetector[] = [
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
];

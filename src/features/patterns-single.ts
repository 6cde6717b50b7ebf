// One-candle patterns (doji, marubozu, spinning tops, hammer sticks), transcribed from technicalindicators.
import * as ti from 'technicalindicators';
import {
  near,
  doji,
  bullishHammerStick,
  bearishHammerStick,
  bullishInvertedHammerStick,
  bearishInvertedHammerStick,
  type PatternDetector,
} from './pattern-primitives.ts';

export const SINGLE_CANDLE_PATTERNS: readonly PatternDetector[] = [
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
];

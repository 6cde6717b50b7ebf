/**
 * Candlestick pattern features, transcribed from technicalindicators: the detector table (in column order) and the
 * feature set. The detectors live by family in patterns-single.ts, patterns-pairs.ts, patterns-triples.ts and
 * patterns-trend.ts; their shared pieces in pattern-primitives.ts.
 */
import type { Candles } from '../core/candles.ts';
import type { FeatureSet } from './matrix.ts';
import type { PatternDetector } from './pattern-primitives.ts';
import { TWO_CANDLE_PATTERNS } from './patterns-pairs.ts';
import { SINGLE_CANDLE_PATTERNS } from './patterns-single.ts';
import { TREND_PATTERNS } from './patterns-trend.ts';
import { THREE_CANDLE_PATTERNS } from './patterns-triples.ts';

export const PATTERN_DETECTORS: readonly PatternDetector[] = [
  ...SINGLE_CANDLE_PATTERNS,
  ...TWO_CANDLE_PATTERNS,
  ...THREE_CANDLE_PATTERNS,
  ...TREND_PATTERNS,
];

/** Candlestick patterns as 0/1 columns: row t is 1 when the pattern completes at candle t (uses candles t−k+1…t). */
export const patternsSet: FeatureSet = {
  name: 'patterns',
  version: 1,
  description: "technicalindicators' candlestick patterns (engulfing, harami, stars, doji, hammer, …) as 0/1",
  columns: PATTERN_DETECTORS.map((d) => d.column),
  warmup: Math.max(...PATTERN_DETECTORS.map((d) => d.candles)) - 1,
  settle: 0,
  compute(c: Candles, out: Float64Array[]): void {
    const n = c.close.length;
    PATTERN_DETECTORS.forEach((d, col) => {
      const column = out[col];
      const { detect } = d;
      for (let t = 0; t < n; t++) column[t] = t >= d.candles - 1 && detect(c, t) ? 1 : 0;
    });
  },
};

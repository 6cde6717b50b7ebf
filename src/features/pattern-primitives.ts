// The shared pieces of the candlestick pattern detectors (src/features/patterns*.ts): the detector record, the
// library's approximate equality, doji and the four hammer sticks that several patterns reuse.
import type { Candles } from '../core/candles.ts';

/**
 * Candlestick patterns transcribed from technicalindicators 3.1 (lib/candlestick/*.js), condition for condition, to
 * run on typed arrays without the library's per-call objects (≈50× faster). Each detector is tested equal to the
 * library's on thousands of windows. One deliberate difference, see `trend` (patterns-trend.ts).
 *
 * A detector looks at candles i−k+1 … i (k = `candles`) and says whether the pattern completes at candle i.
 */
export type Ohlc = Pick<Candles, 'open' | 'high' | 'low' | 'close'>;
type Detect = (c: Ohlc, i: number) => boolean;

/**
 * The library's `approximateEqual`: |a−b| and a·0.001, each rounded to 4 significant digits, compared. The rounding
 * moves each side by at most 0.05%, so |a−b| > 0.00101·|a| can never pass and skips the slow string rounding.
 */
export function near(a: number, b: number): boolean {
  const d = Math.abs(a - b);
  if (d > 0.00101 * Math.abs(a)) return false;
  return parseFloat(d.toPrecision(4)) <= parseFloat((a * 0.001).toPrecision(4));
}

export function doji(c: Ohlc, i: number): boolean {
  const o = c.open[i];
  const cl = c.close[i];
  if (!near(o, cl)) return false;
  return near(o, c.high[i]) === near(cl, c.low[i]);
}

export const bullishHammerStick: Detect = (c, i) =>
  c.close[i] > c.open[i] && near(c.close[i], c.high[i]) && c.close[i] - c.open[i] <= 2 * (c.open[i] - c.low[i]);
export const bearishHammerStick: Detect = (c, i) =>
  c.open[i] > c.close[i] && near(c.open[i], c.high[i]) && c.open[i] - c.close[i] <= 2 * (c.close[i] - c.low[i]);
export const bullishInvertedHammerStick: Detect = (c, i) =>
  c.close[i] > c.open[i] && near(c.open[i], c.low[i]) && c.close[i] - c.open[i] <= 2 * (c.high[i] - c.close[i]);
export const bearishInvertedHammerStick: Detect = (c, i) =>
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

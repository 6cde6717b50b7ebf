/**
 * A synthetic series whose only predictable move is announced by a shape in the chart, not by the closes (issue 16).
 *
 * Every close-to-close log return is drawn from the same normal law N(drift, σ), so the last close, and every close
 * before it, says nothing about what comes next. At random times two "signal" candles appear: wicks three times as
 * long as usual and four times the usual volume; the `run` candles after them drift upwards. Between signals the
 * series drifts down, so buy-and-hold loses and an agent must read the wicks and volume bars of the chart to win.
 */
import { candlesFromRows, type CandleRow, type Candles } from '../../src/core/candles.ts';
import { Rng } from '../../src/core/random.ts';

export interface ChartPatternOptions {
  seed: number;
  count: number;
  /** σ of every close-to-close log return. */
  volatility?: number;
  /** Drift per candle of the `run` candles after a signal, and (negative) between signals. */
  up?: number;
  down?: number;
  /** Candles of upward drift after each signal. */
  run?: number;
  /** Probability per quiet candle that a signal starts. */
  signalRate?: number;
  /** Draws the signal candles like any other (same random draws, so the very same closes): the control. */
  hideSignal?: boolean;
}

/** The series, and the indices of the second signal candle of every signal (the last candle before its run). */
export function chartPatternCandles(o: ChartPatternOptions): { candles: Candles; signals: number[] } {
  const rng = new Rng(o.seed);
  const sigma = o.volatility ?? 0.006;
  const up = o.up ?? 0.006;
  const down = o.down ?? -0.002;
  const run = o.run ?? 6;
  const rate = o.signalRate ?? 1 / 22;
  const rows: CandleRow[] = [];
  const signals: number[] = [];
  let close = 100;
  let signalLeft = 0;
  let runLeft = 0;
  for (let i = 0; i < o.count; i++) {
    if (signalLeft === 0 && runLeft === 0 && i > 40 && i < o.count - run - 2 && rng.next() < rate) signalLeft = 2;
    const signal = signalLeft > 0 && !o.hideSignal;
    const drift = runLeft > 0 ? up : down;
    const open = close;
    close = open * Math.exp(drift + sigma * rng.normal());
    const wick = sigma * (signal ? 3 : 0.6) * (0.8 + 0.4 * rng.next());
    const high = Math.max(open, close) * Math.exp(wick * (0.5 + rng.next()));
    const low = Math.min(open, close) * Math.exp(-wick * (0.5 + rng.next()));
    const volume = 1000 * (signal ? 4 : 1) * Math.exp(0.15 * rng.normal());
    rows.push({ ts: Date.UTC(2024, 0, 1) + i * 3_600_000, open, high, low, close, volume });
    if (runLeft > 0) runLeft--;
    if (signalLeft > 0 && --signalLeft === 0) {
      signals.push(i);
      runLeft = run;
    }
  }
  return { candles: candlesFromRows('synthetic', 'PAT/KRW', '1h', rows), signals };
}

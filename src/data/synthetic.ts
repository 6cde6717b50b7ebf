/** Synthetic OHLCV series for tests and benches. */
import { Rng } from '../core/random.ts';
import { emptyCandles, type Candles } from '../core/candles.ts';
import { timeframeMs } from './timeframe.ts';

export interface SyntheticOptions {
  seed: number;
  count: number;
  timeframe?: string;
  /** Open time of the first candle, ms UTC. */
  start?: number;
  startPrice?: number;
  exchange?: string;
  symbol?: string;
  /** Mean per-candle volatility of log returns. */
  volatility?: number;
  /** Probability that a candle interval has no trade (no candle, as Upbit skips empty intervals). */
  gapProbability?: number;
  /**
   * Adds a predictable component: log price follows amplitude × sin(2π t / period) on top of the random walk.
   * Used by learning tests that need a pattern a correct learner must find.
   */
  sine?: { period: number; amplitude: number };
  /** Price tick to round to (e.g. 1000 for Upbit KRW prices ≥ 1,000,000). 0: no rounding. */
  tick?: number;
}

/**
 * A realistic-looking OHLCV series: GARCH(1,1)-like volatility clusters, slowly switching trend regimes,
 * intrabar ranges that scale with volatility, volume that rises with absolute returns, and optional gaps.
 * Deterministic for a seed.
 */
export function syntheticCandles(o: SyntheticOptions): Candles {
  const rng = new Rng(o.seed);
  const tf = o.timeframe ?? '1h';
  const step = timeframeMs(tf);
  const start = o.start ?? Date.UTC(2024, 0, 1);
  const baseVol = o.volatility ?? 0.008;
  const tick = o.tick ?? 0;
  const round = (p: number) => (tick > 0 ? Math.max(tick, Math.round(p / tick) * tick) : p);
  const out = emptyCandles(o.exchange ?? 'synthetic', o.symbol ?? 'SYN/KRW', tf, o.count);

  let logTrend = Math.log(o.startPrice ?? 50_000_000);
  let variance = baseVol * baseVol;
  let drift = 0;
  let prevClose = Math.exp(logTrend);
  let n = 0;
  let slot = 0;
  while (n < o.count) {
    const ts = start + slot * step;
    slot++;
    if (rng.next() < 0.01) drift = rng.normal() * baseVol * 0.08;
    const shock = Math.sqrt(variance) * rng.normal();
    variance = 0.05 * baseVol * baseVol + 0.1 * shock * shock + 0.85 * variance;
    logTrend += drift + shock;
    if (o.gapProbability && rng.next() < o.gapProbability) continue;
    const season = o.sine ? o.sine.amplitude * Math.sin((2 * Math.PI * (slot - 1)) / o.sine.period) : 0;
    const close = round(Math.exp(logTrend + season));
    const open = round(prevClose * Math.exp(rng.normal() * Math.sqrt(variance) * 0.1));
    const range = Math.abs(rng.normal()) * Math.sqrt(variance) * 0.8;
    const high = round(Math.max(open, close) * Math.exp(range * rng.next()));
    const low = round(Math.min(open, close) * Math.exp(-range * rng.next()));
    const volume = (5 + (400 * Math.abs(shock)) / baseVol + 10 * rng.next()) * (0.5 + rng.next());
    out.ts[n] = ts;
    out.open[n] = open;
    out.high[n] = Math.max(high, open, close);
    out.low[n] = Math.min(low, open, close);
    out.close[n] = close;
    out.volume[n] = Math.round(volume * 1e8) / 1e8;
    prevClose = close;
    n++;
  }
  return out;
}

/**
 * Mirror augmentation (issue 13, round ten; a recipe's `augment: { mirror: true }`): the inverted market of a series,
 * the same candles seen from the quote currency (a price p becomes k / p), on which an agent also trains.
 *
 * Why: a rolling training window usually holds one regime, and a long-only agent trained on it learns that regime's
 * drift ("long is good" after a bull window) rather than when to be out. The inverted market has the opposite drift
 * and the same volatility, turning points and volumes, so training on both leaves the network only what the candles
 * say beyond their window's drift. Validation windows, the scaler and trading always use the real market.
 */
import type { Candles } from '../core/candles.ts';

/**
 * The inverted market: every price p becomes pivot² / p (a candle at the pivot price keeps it, so prices stay in the
 * series' own range and the account's trade-value bounds mean the same), high and low swap, volume and times are
 * kept. Log returns are exactly negated. Candle t of the result depends on candle t of the input alone, so the
 * features of the mirror at t use the real candles ≤ t only.
 */
export function mirrorCandles(c: Candles, pivot: number): Candles {
  if (!(pivot > 0 && Number.isFinite(pivot))) throw new Error(`mirror pivot must be a positive price, got ${pivot}`);
  const k = pivot * pivot;
  const invert = (a: Float64Array) => a.map((p) => k / p);
  return {
    exchange: c.exchange,
    symbol: `${c.symbol} (mirrored)`,
    timeframe: c.timeframe,
    ts: c.ts.slice(),
    open: invert(c.open),
    high: invert(c.low),
    low: invert(c.high),
    close: invert(c.close),
    volume: c.volume.slice(),
  };
}

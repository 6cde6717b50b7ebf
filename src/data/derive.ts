/**
 * Derived series (issue 14): a leveraged (K = 2) or inverse (K = −1) series built from an index the way such ETFs are
 * built, rebalanced every candle (daily for daily candles, as those ETFs are) — each candle returns K × the index's
 * close-to-close return, minus the annual fee pro rata for the time the candle spans. Such a series is labelled as
 * derived wherever it is stored or shown.
 */
import { UserError } from '../core/errors.ts';
import { emptyCandles, type Candles } from '../core/candles.ts';

interface DeriveSpec {
  /** Per-candle multiple of the index return: 2 for a 2× ETF, −1 for an inverse one. */
  leverage: number;
  /** Management fee per year as a fraction (0.0064 = 0.64 %), charged pro rata per candle; default 0. */
  feeAnnual?: number;
  /** Symbol of the derived series. */
  symbol: string;
}

const YEAR_MS = 365 * 86_400_000;

/** Throws a UserError naming the first unusable spec field. */
export function checkDeriveSpec(spec: DeriveSpec): void {
  const k = spec.leverage;
  if (!(Number.isFinite(k) && k !== 0 && Math.abs(k) <= 10)) {
    throw new UserError(`--leverage must be a non-zero number within ±10 (2 for 2×, -1 for inverse), got ${k}`);
  }
  const f = spec.feeAnnual ?? 0;
  if (!(Number.isFinite(f) && f >= 0 && f < 0.5)) throw new UserError(`--fee-annual must be in [0, 0.5), got ${f}`);
  if (spec.symbol.trim() === '') throw new UserError('--symbol (the derived series) must not be empty');
}

/**
 * The label stored with a derived series, e.g. "derived: 2× SP500/USD rebalanced every 1d candle, fee 0.64%/yr":
 * `deriveLeveraged` resets the exposure at every candle, so the period is the series' timeframe.
 */
export function deriveLabel(from: string, spec: DeriveSpec, timeframe: string): string {
  const fee = spec.feeAnnual ?? 0;
  return `derived: ${spec.leverage}× ${from} rebalanced every ${timeframe} candle, fee ${+(fee * 100).toFixed(4)}%/yr`;
}

/**
 * The derived series. Its first candle copies the index's (same level); candle i then starts from the derived close
 * D[i−1] and maps every index price x of that candle through D[i−1] × (1 + K × (x / C[i−1] − 1) − fee_i), with C the
 * index close and fee_i the annual fee × the time since the previous candle. The map is monotone (reversed when
 * K < 0), so high and low come from the index's low and high and OHLC stay consistent (low ≤ open, close ≤ high).
 * Volume is the index's. A move that would take the derived price to zero or below (|K × r| ≥ 100 %) is refused.
 */
export function deriveLeveraged(index: Candles, spec: DeriveSpec): Candles {
  checkDeriveSpec(spec);
  const n = index.ts.length;
  const out = emptyCandles(index.exchange, spec.symbol, index.timeframe, n);
  if (n === 0) return out;
  const k = spec.leverage;
  const feeAnnual = spec.feeAnnual ?? 0;
  out.ts.set(index.ts);
  out.volume.set(index.volume);
  out.open[0] = index.open[0];
  out.high[0] = index.high[0];
  out.low[0] = index.low[0];
  out.close[0] = index.close[0];
  for (let i = 1; i < n; i++) {
    const prevIndex = index.close[i - 1];
    const prev = out.close[i - 1];
    const fee = (feeAnnual * (index.ts[i] - index.ts[i - 1])) / YEAR_MS;
    const map = (x: number) => prev * (1 + k * (x / prevIndex - 1) - fee);
    const open = map(index.open[i]);
    const close = map(index.close[i]);
    const a = map(index.high[i]);
    const b = map(index.low[i]);
    const low = Math.min(a, b, open, close);
    if (!(low > 0)) {
      const when = new Date(index.ts[i]).toISOString();
      throw new UserError(`${spec.symbol}: ${k}× of ${index.symbol} reaches zero at ${when} (index move too large)`);
    }
    out.open[i] = open;
    out.close[i] = close;
    out.high[i] = Math.max(a, b, open, close);
    out.low[i] = low;
  }
  return out;
}

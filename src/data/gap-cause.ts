/**
 * Why a stored series has gaps, in words true of its exchange: the download's note and `bot data gaps` used to say
 * "skips intervals without trades" of every exchange, which is Upbit's way (README "Market data") but not Binance's,
 * whose klines answer such an interval with a candle of zero volume, so a gap there is time the exchange was down.
 */

/** Exchanges (ccxt ids) whose candle replies leave out an interval without trades. */
const SKIPS_QUIET_INTERVALS = new Set(['upbit']);
/** Exchanges (ccxt ids) whose candle replies hold a zero-volume candle for an interval without trades. */
const FILLS_QUIET_INTERVALS = new Set(['binance', 'binanceus', 'binanceusdm', 'binancecoinm']);

/** The causes of a gap in a series stored under `exchange`, for a note in parentheses. */
export function gapCause(exchange: string): string {
  const own = SKIPS_QUIET_INTERVALS.has(exchange)
    ? `${exchange} skips intervals without trades`
    : FILLS_QUIET_INTERVALS.has(exchange)
      ? `${exchange} was down: it gives intervals without trades a candle of zero volume`
      : `${exchange} was down, or it skips intervals without trades`;
  return `${own}; imported candles may leave out a market's closed hours`;
}

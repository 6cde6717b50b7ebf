/**
 * The trader's candle feed from a ccxt exchange: closed candles judged by the trader's clock, and none the exchange
 * itself still has open by the clock of its reply (its HTTP Date header; the data layer drops such a candle).
 */
import type { Exchange } from 'ccxt';
import type { CandleRow } from '../core/candles.ts';
import { fetchClosedCandles, type RetryOptions } from '../data/exchange.ts';
import type { CandleFeed } from './types.ts';

/**
 * Closed candles from a ccxt exchange, paged and retried by the data layer, judged closed by the trader's clock. A
 * machine clock ahead of the exchange's by more than trading.tickDelaySeconds would make the candle the exchange still
 * has open look closed; `pageClosedCandles` leaves it out by the exchange's Date header (the next tick fetches it
 * closed), with a warning naming the skew.
 */
export function exchangeFeed(
  ex: Exchange,
  symbol: string,
  timeframe: string,
  retry: RetryOptions,
  clock: () => number,
): CandleFeed {
  return {
    fetchClosed(since: number, until: number): Promise<CandleRow[]> {
      return fetchClosedCandles(ex, symbol, timeframe, since, until, { retry, now: clock });
    },
  };
}

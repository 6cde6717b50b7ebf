/** The trader's candle feed from a ccxt exchange. */
import type { Exchange } from 'ccxt';
import type { CandleRow } from '../core/candles.ts';
import { fetchClosedCandles, type RetryOptions } from '../data/exchange.ts';
import type { CandleFeed } from './types.ts';

/** Closed candles from a ccxt exchange, paged and retried by the data layer, judged closed by the trader's clock. */
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

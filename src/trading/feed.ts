/**
 * The trader's candle feed from a ccxt exchange: closed candles judged by the trader's clock, and none the exchange
 * itself still has open by the clock of its reply (its HTTP Date header; the data layer drops such a candle), waiting
 * for that candle to close by the exchange's clock rather than leaving it for the next tick.
 */
import type { Exchange } from 'ccxt';
import type { CandleRow } from '../core/candles.ts';
import { log } from '../core/log.ts';
import { fetchClosedCandles, type RetryOptions } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import type { CandleFeed } from './types.ts';

/**
 * The longest the feed waits for the exchange to close a candle its clock still has open. A machine clock further
 * ahead than this is broken enough to leave the candle for the next tick (one candle late, with the data layer's
 * warning naming the skew); a stop asked meanwhile waits for this too.
 */
const MAX_CLOSE_WAIT_MS = 120_000;

/**
 * Closed candles from a ccxt exchange, paged and retried by the data layer, judged closed by the trader's clock. A
 * machine clock ahead of the exchange's by more than trading.tickDelaySeconds makes the candle the exchange still has
 * open look closed; `pageClosedCandles` leaves it out by the exchange's Date header, with a warning naming the skew.
 * The feed then waits until that candle has closed by the exchange's clock, plus `settleMs` (the tick delay), and
 * asks again: the tick acts on it now, not an interval later. Without `settleMs` it does not wait (the candle is left
 * for the next tick, as before), nor when the wait would end past the `deadline` of the late-candle look asking
 * (late-candle.ts): the look's bound, trading.lateCandleWaitSeconds, holds for the whole wait (a look near its end
 * used to wait up to MAX_CLOSE_WAIT_MS more). The data layer's retries of a failed request keep to the `deadline`
 * too (no retry would start past it: PastDeadlineError), where they used to add up to exchange.retries tries and
 * backoffs past the bound.
 */
export function exchangeFeed(
  ex: Exchange,
  symbol: string,
  timeframe: string,
  retry: RetryOptions,
  clock: () => number,
  settleMs?: number,
): CandleFeed {
  const fetch = async (since: number, until: number, deadline: number | undefined) => {
    let held: { openTs: number; closesInMs: number } | undefined;
    const onStillOpen = (openTs: number, closesInMs: number) => (held = { openTs, closesInMs });
    const opts = { retry: deadline === undefined ? retry : { ...retry, deadline }, now: clock, onStillOpen };
    const rows = await fetchClosedCandles(ex, symbol, timeframe, since, until, opts);
    return { rows, held: held as { openTs: number; closesInMs: number } | undefined };
  };
  return {
    async fetchClosed(since: number, until: number, deadline?: number): Promise<CandleRow[]> {
      const first = await fetch(since, until, deadline);
      const held = first.held;
      if (!held || settleMs === undefined || held.closesInMs + settleMs > MAX_CLOSE_WAIT_MS) return first.rows;
      const waitMs = Math.max(0, held.closesInMs) + settleMs;
      if (deadline !== undefined && performance.now() + waitMs > deadline) return first.rows;
      log().info(
        `${symbol} ${timeframe}: waiting ${Math.ceil(waitMs / 1000)} s for the exchange to close the candle ` +
          `${isoTime(held.openTs)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      const rest = await fetch(held.openTs, until, deadline);
      return [...first.rows, ...rest.rows];
    },
  };
}

/**
 * The trader's candle feed from a ccxt exchange: closed candles judged by the trader's clock, and none the exchange
 * itself still has open by the clock of its reply (its HTTP Date header).
 */
import type { Exchange } from 'ccxt';
import type { CandleRow } from '../core/candles.ts';
import { log } from '../core/log.ts';
import { fetchClosedCandles, type RetryOptions } from '../data/exchange.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import type { CandleFeed } from './types.ts';

/** The exchange's clock at its last reply (the Date header, whole seconds), or undefined when it sent none. */
function replyTime(ex: Exchange): number | undefined {
  const headers = (ex as unknown as { last_response_headers?: Record<string, unknown> }).last_response_headers ?? {};
  const date = Object.entries(headers).find(([k]) => k.toLowerCase() === 'date')?.[1];
  const t = typeof date === 'string' ? Date.parse(date) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Closed candles from a ccxt exchange, paged and retried by the data layer, judged closed by the trader's clock. A
 * machine clock ahead of the exchange's (no time sync, a VM after sleep) by more than trading.tickDelaySeconds made the
 * candle the exchange still had open look closed: it was stored with its partial close and volume for good and traded
 * on. Such a candle is left out (the next tick fetches it closed), with a warning naming the skew.
 */
export function exchangeFeed(
  ex: Exchange,
  symbol: string,
  timeframe: string,
  retry: RetryOptions,
  clock: () => number,
): CandleFeed {
  const step = timeframeMs(timeframe);
  return {
    async fetchClosed(since: number, until: number): Promise<CandleRow[]> {
      const rows = await fetchClosedCandles(ex, symbol, timeframe, since, until, { retry, now: clock });
      const at = replyTime(ex);
      // the Date header drops the milliseconds: the exchange's time is up to 999 ms after it
      const open = at === undefined ? -1 : rows.findIndex((r) => r.ts + step > at + 999);
      if (open < 0) return rows;
      log().warn(
        `${symbol} ${timeframe} candle ${isoTime(rows[open].ts)} is still open on ${ex.id} (its clock says ` +
          `${isoTime(at as number)}, ${Math.round((clock() - (at as number)) / 1000)} s behind this machine's): ` +
          'not stored; sync the clock of this machine or raise trading.tickDelaySeconds',
      );
      return rows.slice(0, open);
    },
  };
}

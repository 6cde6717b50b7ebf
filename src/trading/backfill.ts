/**
 * Where a trader's candle backfill starts: the oldest candle the coming decisions read that the store lacks, not
 * only the one after its newest candle (a hole before the newest stored candle changed the observation silently).
 */
import type { CandleStore } from '../data/store.ts';

/**
 * The open time from which to ask the exchange for one series: `from` (the oldest candle the run's next decisions
 * read) when the store has no candle in the step after it (`from` need not be on the market's grid: candles may open
 * at :30), else the first hole between there and the newest stored candle, else the time after the newest. A hole
 * arises when another run or `bot data download` stored newer candles while this run was stopped, or the exchange
 * published a candle after the next one; a hole the exchange itself has (an interval with no trades, a closed
 * session) is asked again each tick while it is in the window: one page.
 */
export function backfillSince(
  store: CandleStore,
  series: { exchange: string; symbol: string; timeframe: string },
  from: number,
  stepMs: number,
): number {
  const { exchange, symbol, timeframe } = series;
  const last = store.lastTs(exchange, symbol, timeframe);
  if (last === undefined || last < from) return from;
  if (store.load(exchange, symbol, timeframe, from, from + stepMs).ts.length === 0) return from;
  const hole = store.gaps(exchange, symbol, timeframe, from)[0];
  return hole ? hole.from : last + stepMs;
}

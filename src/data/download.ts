import type { Exchange } from 'ccxt';
import { log } from '../log.ts';
import type { FetchCandlesOptions } from './exchange.ts';
import { pageClosedCandles } from './exchange.ts';
import type { CandleStore } from './store.ts';
import { isoTime, timeframeMs } from './timeframe.ts';

export interface DownloadRequest {
  /** Name the series is stored under (config exchange.id). */
  exchange: string;
  symbol: string;
  timeframe: string;
  /** Start when nothing is stored yet, or earlier than what is stored (backfill). */
  since: number;
  until?: number;
}

export interface DownloadResult {
  fetched: number;
  stored: number;
  pages: number;
  /** The ranges asked from the exchange, [from, to). */
  ranges: { from: number; to: number | undefined }[];
}

/**
 * Downloads closed candles into the store, page by page (an interruption keeps what arrived). Incremental: only
 * what is before the first stored candle (when `since` is earlier) and after the last stored one is fetched.
 */
export async function downloadToStore(store: CandleStore, ex: Exchange, req: DownloadRequest, opts: FetchCandlesOptions): Promise<DownloadResult> {
  const step = timeframeMs(req.timeframe);
  const first = store.firstTs(req.exchange, req.symbol, req.timeframe);
  const last = store.lastTs(req.exchange, req.symbol, req.timeframe);
  const ranges: DownloadResult['ranges'] = [];
  if (first === undefined || last === undefined) ranges.push({ from: req.since, to: req.until });
  else {
    if (req.since < first) ranges.push({ from: req.since, to: Math.min(first, req.until ?? Infinity) });
    const from = Math.max(req.since, last + step);
    if (req.until === undefined || from < req.until) ranges.push({ from, to: req.until });
  }
  const result: DownloadResult = { fetched: 0, stored: 0, pages: 0, ranges };
  for (const range of ranges) {
    log().info(`downloading ${req.exchange} ${req.symbol} ${req.timeframe} from ${isoTime(range.from)}${range.to !== undefined ? ` to ${isoTime(range.to)}` : ''}`);
    const pages = pageClosedCandles(ex, req.symbol, req.timeframe, range.from, range.to, {
      ...opts,
      onPage: async (rows, progress) => {
        result.pages++;
        await opts.onPage?.(rows, progress);
      },
    });
    for await (const rows of pages) {
      result.fetched += rows.length;
      result.stored += store.upsert(req.exchange, req.symbol, req.timeframe, rows);
    }
  }
  log().info(`downloaded ${result.fetched} candles in ${result.pages} requests, ${result.stored} new or changed`);
  return result;
}

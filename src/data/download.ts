/** Downloading closed candles from an exchange into the store. */
import type { Exchange } from 'ccxt';
import type { CandleRow } from '../core/candles.ts';
import { log } from '../core/log.ts';
import type { FetchCandlesOptions } from './exchange.ts';
import { pageClosedCandles } from './exchange.ts';
import { subtractRanges, type CandleStore, type TimeRange } from './store.ts';
import { isoTime } from './timeframe.ts';
import { OffGridError } from './grid.ts';
import { refuseDerivedTarget } from './derived-target.ts';
import { describeJump, jumpFacts, misfitOf, servedJumps, type Series } from './fit.ts';

export interface DownloadRequest {
  /** Name the series is stored under (config exchange.id). */
  exchange: string;
  symbol: string;
  timeframe: string;
  since: number;
  until?: number;
}

export interface DownloadResult {
  fetched: number;
  /** Candles new to the store. */
  added: number;
  /** Stored candles the exchange's replaced with other values (the note `bot data` prints: replacedNote). */
  replaced: number;
  /** Requests made (more than the pages when the exchange answered less than asked). */
  pages: number;
  /** The ranges asked from the exchange, [from, to); `to` undefined: up to the last closed candle. */
  ranges: { from: number; to: number | undefined }[];
}

/**
 * Refuses candles fetched from the exchange when they do not fit the stored series (`series`, fit.ts): one falls off
 * its grid or inside a stored candle (the exchange's grid is its own, and a series imported with the wrong --tz sits
 * on another one), or the first or last is more than 100× from a stored candle next to it that the exchange did not
 * serve (a file of another market or currency imported under this symbol). OffGridError names the first such candle
 * and why; `then` says what the caller does instead of storing them. A 100× jump from a candle the exchange served
 * is its own (a redenomination, a listing's first candles, a bad print): returned as warning lines, each naming the
 * candle, for the caller to say once as it stores them (refusing them stalled paper and live at every tick).
 */
export function refuseOffGrid(store: CandleStore, series: Series, rows: readonly CandleRow[], then: string): string[] {
  const { exchange, symbol, timeframe } = series;
  const name = `${exchange} ${symbol} ${timeframe}`;
  const misfit = misfitOf(store, series, rows, 'exchange');
  if (misfit === undefined)
    return servedJumps(store, series, rows).map(
      (j) =>
        `the exchange's ${jumpFacts(j, name)}: stored as the exchange's own (a redenomination, a new listing or a ` +
        'bad print); decisions across it see that move',
    );
  if (misfit.kind === 'price') {
    const since = isoTime(Math.min(misfit.jump.row.ts, misfit.jump.stored.ts));
    throw new OffGridError(
      `the exchange's ${describeJump(misfit.jump, name)}: the stored candles were likely imported from a file of ` +
        `another market or currency; ${then}; if the stored ones are the exchange's too, \`bot data download ` +
        `--exchange ${exchange} --symbol ${symbol} --timeframe ${timeframe} --since ${since}\` fetches them again ` +
        "as the exchange's and the jump is stored after it",
    );
  }
  throw new OffGridError(
    `the exchange's ${name} candle ${isoTime(misfit.ts)} is off the grid of the ` +
      `stored series (${misfit.why}): the stored candles were likely imported from a file ` +
      `${misfit.days ? 'that stamps its candles on another weekday' : 'read in another time zone (--tz)'}; ${then}`,
  );
}

/**
 * Downloads closed candles into the store. Each page is stored together with the time range it covered, in one
 * transaction, so a download that is interrupted (or fails) resumes exactly where it stopped, and a second run
 * asks the exchange only for time it has not answered for yet — new candles, or what an earlier run missed.
 * A series `bot data derive` built is refused before the exchange is asked (DerivedTargetError), for every caller.
 */
export async function downloadToStore(
  store: CandleStore,
  ex: Exchange,
  req: DownloadRequest,
  opts: FetchCandlesOptions,
): Promise<DownloadResult> {
  const { exchange, symbol, timeframe } = req;
  refuseDerivedTarget(store, req, 'download');
  const want: TimeRange = { from: req.since, to: req.until ?? Infinity };
  const ranges = subtractRanges(want, store.coverage(exchange, symbol, timeframe)).map((r) => ({
    from: r.from,
    to: Number.isFinite(r.to) ? r.to : undefined,
  }));
  const result: DownloadResult = { fetched: 0, added: 0, replaced: 0, pages: 0, ranges };
  for (const range of ranges) {
    log().info(
      `downloading ${exchange} ${symbol} ${timeframe} ` +
        `from ${isoTime(range.from)}${range.to !== undefined ? ` to ${isoTime(range.to)}` : ''}`,
    );
    const pages = pageClosedCandles(ex, symbol, timeframe, range.from, range.to, {
      ...opts,
      onPage: async (rows, progress) => {
        const jumps = refuseOffGrid(
          store,
          req,
          rows,
          'this page not stored (use another --db, or re-import correctly there)',
        );
        for (const line of jumps) log().warn(line);
        result.pages += progress.requests;
        result.fetched += rows.length;
        const { added, replaced } = store.storeDownload(exchange, symbol, timeframe, rows, {
          from: progress.windowTs,
          to: progress.reachedTs,
        });
        result.added += added;
        result.replaced += replaced;
        await opts.onPage?.(rows, progress);
      },
    });
    for await (const _rows of pages) {
      // stored in onPage, with the range the page covered
    }
  }
  log().info(
    `downloaded ${result.fetched} candles in ${result.pages} requests, ` +
      `${result.added} new, ${result.replaced} replaced`,
  );
  return result;
}

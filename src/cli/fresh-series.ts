/**
 * `bot predict`'s candles: the store's series topped up from the exchange first, so a prediction decides on the newest
 * closed candle; when the exchange cannot be reached or does not answer within its retries, the stored ones with a
 * warning saying which; when it refuses the request (no such market, …), no prediction. A series `bot data derive`
 * built is not topped up (the exchange's prices would mix with derived ones): its stored candles, with a line saying
 * so. One market's series, or each of a portfolio's (traded and informative) in turn.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { log } from '../core/log.ts';
import { loadSeries, type Series } from '../data/source.ts';
import { CandleStore } from '../data/store.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';

/**
 * Fetches the candles of `config`'s market closed since its newest stored one into the store. Nothing stored: the
 * first download of loadSeries (or its line saying nothing is stored and the exchange cannot be reached), whose series
 * it returns; otherwise undefined, the store holding what there is.
 */
export async function topUpStore(config: Config, now: () => number): Promise<Series | undefined> {
  const { id } = config.exchange;
  const { symbol, timeframe } = config;
  let last: number | undefined;
  let derived: string | undefined;
  // no database yet: loadSeries opens (and, when nothing is stored, removes) it
  if (existsSync(config.data.database)) {
    const store = CandleStore.open(config.data.database);
    try {
      last = store.lastTs(id, symbol, timeframe);
      derived = store.label(id, symbol, timeframe);
      if (derived !== undefined)
        sayStored(store, config, now, `${id} ${symbol} ${timeframe} is ${derived}, not topped up from the exchange`);
    } finally {
      store.close();
    }
  }
  // downloadToStore refuses a derived series (derived-target.ts): its stored candles are all there is
  if (derived !== undefined) return undefined;
  if (last === undefined) return loadSeries({ config, now });
  // ccxt takes seconds to load: only the store's series pays for it
  const { createExchange, retryOptionsFrom, unansweredReason } = await import('../data/exchange.ts');
  const { downloadToStore } = await import('../data/download.ts');
  const top = CandleStore.open(config.data.database);
  try {
    await downloadToStore(
      top,
      createExchange(config),
      { exchange: id, symbol, timeframe, since: last + timeframeMs(timeframe) },
      { retry: retryOptionsFrom(config), now },
    );
  } catch (e) {
    // a refusal (no such market, …) stops here: old stored candles would answer a question the exchange said no to
    const reason = unansweredReason(id, e);
    if (reason === undefined) throw e;
    sayStored(top, config, now, reason);
  } finally {
    top.close();
  }
  return undefined;
}

/** Warns, after `why` (the exchange not asked or not answering), which stored candle the prediction decides on. */
function sayStored(store: CandleStore, config: Config, now: () => number, why: string): void {
  const { symbol, timeframe } = config;
  // the candle decided on is the newest stored one closed by the clock (--now in the past: not the store's last)
  const step = timeframeMs(timeframe);
  const decided = store.openTimeBefore(config.exchange.id, symbol, timeframe, now() - step + 1, 1);
  log().warn(
    decided !== undefined
      ? `${why}; deciding on the stored ${symbol} candles up to ${isoTime(decided)}`
      : `${why}; no stored ${symbol} ${timeframe} candle has closed by ${isoTime(now())}`,
  );
}

/** One market's candles: a file or the sample as they are, the store's topped up from the exchange first. */
export async function freshSeries(
  config: Config,
  sample: boolean,
  dataFile: string | undefined,
  now: () => number,
  fileTimeframe?: string,
): Promise<Series> {
  if (dataFile || sample)
    return loadSeries({ config, dataFile, sample, timeframe: dataFile ? fileTimeframe : undefined });
  return (await topUpStore(config, now)) ?? loadSeries({ config, download: false });
}

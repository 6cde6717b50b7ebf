/**
 * A retrain's history refresh, one market's and a portfolio's alike: none for a stored-only origin (the bundled
 * sample's series, which no exchange serves); a series `bot data derive` built is skipped, said once per logger (a
 * scheduled retrain keeps one), since downloadToStore refuses it (src/data/derived-target.ts) and the refusal was a
 * warning every retrain; a download that fails is a warning, and the stored candles are used.
 */
import type { Exchange } from 'ccxt';
import type { Logger } from '../core/log.ts';
import { downloadToStore } from '../data/download.ts';
import { createExchange, retryOptionsFrom, shortError } from '../data/exchange.ts';
import { storedOnly } from '../data/sample.ts';
import type { CandleStore } from '../data/store.ts';
import type { TradingSettings } from './config.ts';

/** The derived series each logger has been told about: `exchange symbol timeframe`. */
const told = new WeakMap<Logger, Set<string>>();

/**
 * True when `series` is a derived series (not to be refreshed from the exchange); the first time for `logger`, one info
 * line says so and that the retrain uses its stored candles.
 */
function derivedNotRefreshed(
  store: CandleStore,
  series: { exchange: string; symbol: string; timeframe: string },
  logger: Logger,
): boolean {
  const { exchange, symbol, timeframe } = series;
  const label = store.label(exchange, symbol, timeframe);
  if (label === undefined) return false;
  const key = `${exchange} ${symbol} ${timeframe}`;
  const said = told.get(logger) ?? new Set<string>();
  told.set(logger, said);
  if (!said.has(key)) {
    said.add(key);
    logger.info(
      `retrain: ${key} is ${label}: not refreshed from the exchange (its prices are not the derived ones); ` +
        'retraining on its stored candles (`bot data derive` again brings it up to date)',
    );
  }
  return true;
}

/** Tops up `symbols` (config's exchange and timeframe) from `since` on, before a retrain reads the store. */
export async function refreshRetrainSeries(
  store: CandleStore,
  config: TradingSettings,
  symbols: readonly string[],
  o: { since: number; now: () => number; logger: Logger },
): Promise<void> {
  // the bundled sample's series are only in the store: no exchange to ask (sample.ts, storedOnly)
  if (storedOnly(config.exchange.id)) return;
  let exchange: Exchange | undefined;
  for (const symbol of symbols) {
    const series = { exchange: config.exchange.id, symbol, timeframe: config.timeframe };
    if (derivedNotRefreshed(store, series, o.logger)) continue;
    try {
      exchange ??= createExchange(config);
      await downloadToStore(
        store,
        exchange,
        { ...series, since: o.since },
        { retry: retryOptionsFrom(config), now: o.now },
      );
    } catch (e) {
      o.logger.warn(`retrain: could not refresh ${symbol} (${shortError(e)}); using the stored candles`);
    }
  }
}

/**
 * A retrain's history refresh of a series `bot data derive` built: skipped, said once per logger (a scheduled retrain
 * keeps one); downloadToStore refuses it (src/data/derived-target.ts), and the refusal was a warning every retrain.
 */
import type { Logger } from '../core/log.ts';
import type { CandleStore } from '../data/store.ts';

/** The derived series each logger has been told about: `exchange symbol timeframe`. */
const told = new WeakMap<Logger, Set<string>>();

/**
 * True when `series` is a derived series (not to be refreshed from the exchange); the first time for `logger`, one info
 * line says so and that the retrain uses its stored candles.
 */
export function derivedNotRefreshed(
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

/**
 * Where a paper or live run's candles come from: the configured ccxt exchange, or, for an origin held only in the
 * candle store (the bundled sample's series, `--exchange sample`), nothing to ask: a paper run replays the stored
 * candles offline, and a live run is refused, since no exchange takes its orders.
 */
import type { Exchange } from 'ccxt';
import { UserError } from '../core/errors.ts';
import { createExchange } from '../data/exchange.ts';
import { storedOnly } from '../data/sample.ts';
import type { ExchangeSettings } from '../data/config.ts';
import type { CandleStore } from '../data/store.ts';
import { nothingStored } from './retrain-market.ts';
import type { CandleFeed, TradingMode } from './types.ts';

/** Why a run on a stored-only origin needs `--once`: the store never gets a newer candle to act on. */
export const storedOnlyReplay = (id: string): string =>
  `--exchange ${id} is the bundled sample's series in the candle store, which no exchange updates`;

/** A live run on a stored-only origin is one line (checked before the API keys, which it could never have). */
export function checkLiveOrigin(id: string): void {
  if (storedOnly(id))
    throw new UserError(
      `${storedOnlyReplay(id)}: there is nothing to trade live; replay it with bot paper --once --start T`,
    );
}

/** The run's exchange client; undefined for a stored-only origin (a paper run's only). An unknown id is one line. */
export function runExchange(config: ExchangeSettings, mode: TradingMode): Exchange | undefined {
  const id = config.exchange.id;
  if (mode === 'live') checkLiveOrigin(id);
  return storedOnly(id) ? undefined : createExchange(config);
}

/** A stored-only origin's feed: nothing new to fetch, so the trader acts on the candles already stored. */
export const storedFeed: CandleFeed = { fetchClosed: () => Promise.resolve([]) };

/**
 * A stored-only origin's replay acts on the store's candles alone: a series with none is one line naming how to store
 * it (bot data derive), before a run is made; it used to act on nothing, exit 0 and leave a run starting "now".
 */
export function checkStoredSeries(
  store: CandleStore,
  exchange: string,
  symbols: readonly string[],
  timeframe: string,
): void {
  for (const symbol of symbols)
    if (store.firstTs(exchange, symbol, timeframe) === undefined)
      throw new UserError(nothingStored({ exchange, symbol, timeframe }));
}

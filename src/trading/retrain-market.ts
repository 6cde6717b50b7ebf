/**
 * The market a retrain of a model home runs on. A home serves one market: the challenger a retrain promotes is what
 * the home's paper or live run trades next, so it is trained and judged on the market the serving model was trained
 * on (its meta.json `market`), not on the config's default. A market the user names (--exchange, --symbol,
 * --timeframe) that differs is refused in one line; a warning was not enough, since a challenger trained on BTC could
 * be promoted into an ETH home. A model trained on a CSV file or the bundled sample names no exchange market: its
 * timeframe is kept, the exchange and symbol are the flags' or the config's. A portfolio model of the bundled sample
 * keeps its markets (SP500-2X/USD … exist on no exchange), so it retrains on their origin, the store's `sample`
 * series, unless --exchange names where the user stored them. A home with no model yet, or one saved before
 * meta.json had a market, retrains on the flags' or the config's market.
 */
import { existsSync } from 'node:fs';
import { describeMarket, readModelMarket, UNNAMED_SOURCE, type ModelMarket } from '../agents/model-market.ts';
import { currentVersion, versionDir } from '../agents/model-pointer.ts';
import { UserError } from '../core/errors.ts';
import { SAMPLE_2X, SAMPLE_INVERSE } from '../data/portfolio-source.ts';
import { SAMPLE_EXCHANGE, SAMPLE_SYMBOL } from '../data/sample.ts';
import type { TradingSettings } from './config.ts';

/** The market flags the user gave on the command line (the config's values are not a choice made for this home). */
export interface NamedMarket {
  exchange?: string;
  symbol?: string;
  timeframe?: string;
}

type MarketSettings = Pick<TradingSettings, 'exchange' | 'symbol' | 'timeframe'>;

/** The serving version's recorded market, if the home has a model that records one. */
export function homeMarket(home: string): ModelMarket | undefined {
  const version = existsSync(home) ? currentVersion(home) : undefined;
  return version ? readModelMarket(versionDir(home, version)) : undefined;
}

/**
 * `config` set to the market a retrain of `home` runs on (see the file comment); `portfolio`: the home holds a
 * portfolio model, whose symbols are checked against --symbols elsewhere (checkModelSymbols), so a --symbol is refused.
 */
export function retrainMarket<C extends MarketSettings>(
  home: string,
  config: C,
  named: NamedMarket = {},
  portfolio = false,
): C {
  const recorded = homeMarket(home);
  if (!recorded) return config;
  const fromFile = recorded.exchange === UNNAMED_SOURCE || recorded.exchange === SAMPLE_EXCHANGE;
  const refuse = (flag: string, value: string) => {
    throw new UserError(
      `model ${home} was trained on ${describeMarket(recorded)}; ${flag} names ${value}: a model home serves one ` +
        `market, and a retrain promotes into it what its runs trade (leave out ${flag}, or retrain another --model)`,
    );
  };
  if (named.timeframe !== undefined && named.timeframe !== recorded.timeframe) refuse('--timeframe', named.timeframe);
  // a portfolio's markets are its own: the sample's stay in the store they came from, unless --exchange names another
  if (portfolio && recorded.exchange === SAMPLE_EXCHANGE && named.exchange === undefined)
    return { ...config, exchange: { ...config.exchange, id: SAMPLE_EXCHANGE }, timeframe: recorded.timeframe };
  if (fromFile) return { ...config, timeframe: recorded.timeframe };
  if (named.exchange !== undefined && named.exchange !== recorded.exchange) refuse('--exchange', named.exchange);
  if (named.symbol !== undefined && (portfolio || named.symbol !== recorded.symbol)) refuse('--symbol', named.symbol);
  return {
    ...config,
    exchange: { ...config.exchange, id: recorded.exchange },
    ...(portfolio ? {} : { symbol: recorded.symbol }),
    timeframe: recorded.timeframe,
  };
}

/**
 * How to store the candles a retrain lacks, named as `bot data download` and `bot data import` take the market; the
 * bundled sample's series come from `bot data derive` (no exchange has them to download).
 */
export function storeAdvice(m: ModelMarket, what = 'them'): string {
  if (m.exchange === SAMPLE_EXCHANGE) return sampleStoreAdvice(m.timeframe);
  return (
    `store ${what} with \`bot data download\` or \`bot data import FILE\` ` +
    `(--exchange ${m.exchange} --symbol ${m.symbol} --timeframe ${m.timeframe})`
  );
}

/** A market with no candles in the store, in one line with how to store them (a retrain's, a stored-only replay's). */
export const nothingStored = (m: ModelMarket): string =>
  `no candles of ${describeMarket(m)} are stored: ${storeAdvice(m)}`;

/** How the bundled sample's index and its 2× and −1× series get into the store (each derive stores the index too). */
function sampleStoreAdvice(timeframe: string): string {
  const derive = `bot data derive --exchange sample --timeframe ${timeframe} --from ${SAMPLE_SYMBOL}`;
  return (
    `the bundled sample's series are stored offline by \`${derive} --leverage 2 --symbol ${SAMPLE_2X}\` and ` +
    `\`${derive} --leverage -1 --symbol ${SAMPLE_INVERSE}\` (which store ${SAMPLE_SYMBOL} too)`
  );
}

/**
 * The market a saved model was trained on (meta.json `market`: exchange, symbol, timeframe) and the check made when
 * a model is run on candles. Another timeframe is refused: the model's window, holding period, decision interval and
 * scaler are all counted in candles of the timeframe it learned on, so a 1h model run on 1d candles would trade on
 * numbers that mean something else. Another market is said in one line (trying a model elsewhere is a fair
 * experiment). Models saved before the field existed carry no market and are not checked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { ModelMismatchError } from '../core/errors.ts';
import { SAMPLE_EXCHANGE } from '../data/sample.ts';

export interface ModelMarket {
  exchange: string;
  /** The market, or a portfolio's markets joined with commas. */
  symbol: string;
  timeframe: string;
}

/** The market key of a series of candles, or of a portfolio's traded series (their symbols joined with commas). */
export function marketOf(
  c: Pick<Candles, 'exchange' | 'symbol' | 'timeframe'> | readonly Pick<Candles, 'exchange' | 'symbol' | 'timeframe'>[],
): ModelMarket {
  const all = 'length' in c ? c : [c];
  return { exchange: all[0].exchange, symbol: all.map((s) => s.symbol).join(','), timeframe: all[0].timeframe };
}

/** `dir`'s meta.json `market`, or undefined for a model saved without one. */
export function readModelMarket(dir: string): ModelMarket | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { market?: Partial<ModelMarket> };
    const m = meta.market;
    if (typeof m?.exchange !== 'string' || typeof m.symbol !== 'string' || typeof m.timeframe !== 'string')
      return undefined;
    return { exchange: m.exchange, symbol: m.symbol, timeframe: m.timeframe };
  } catch {
    return undefined;
  }
}

/** A CSV's symbol is whatever --symbol or the config said while reading it: not a market to compare. */
export const UNNAMED_SOURCE = 'file';

export const describeMarket = (m: ModelMarket): string =>
  m.exchange === UNNAMED_SOURCE ? `a file of ${m.timeframe} candles` : `${m.exchange} ${m.symbol} ${m.timeframe}`;

/** What the command running a model takes: `--sample` (backtest, predict), or only the store (paper, live). */
export interface ModelRunFlags {
  sampleFlag: boolean;
}

/** A paper or live run reads its candles from the exchange or the store: it takes no --sample. */
export const STORE_ONLY: ModelRunFlags = { sampleFlag: false };

/**
 * Model `home` (version folder `dir`) about to run on `use`: throws a UserError when it was trained on another
 * timeframe; returns the line to log when it was trained on another market (undefined: the same, or unknown).
 */
export function checkModelMarket(
  home: string,
  dir: string,
  use: ModelMarket,
  run: ModelRunFlags = { sampleFlag: true },
): string | undefined {
  const trained = readModelMarket(dir);
  if (!trained) return undefined;
  if (trained.timeframe !== use.timeframe)
    throw new ModelMismatchError(
      `model ${home} was trained on ${describeMarket(trained)}; this run uses ${use.timeframe} candles, and its ` +
        `window, holding period and scaler count ${trained.timeframe} candles: ` +
        // a model of the bundled sample runs again on the sample; --timeframe alone would look for a store of it
        (trained.exchange === SAMPLE_EXCHANGE && !run.sampleFlag
          ? // a paper run has no --sample: it replays the sample's series stored under the exchange `sample`
            `give --exchange ${SAMPLE_EXCHANGE} --timeframe ${trained.timeframe} (the bundled sample's series in ` +
            `the store, where \`bot data derive --exchange ${SAMPLE_EXCHANGE}\` puts them), or train a model on ` +
            `${use.timeframe} candles`
          : trained.exchange === SAMPLE_EXCHANGE
            ? `give --sample (the bundled sample it was trained on), or --timeframe ${trained.timeframe} with ` +
              `${trained.timeframe} candles stored or --data FILE, or train a model on ${use.timeframe} candles`
            : use.exchange === SAMPLE_EXCHANGE
              ? // --timeframe cannot go with --sample: it has daily candles only
                `the bundled sample (--sample) has only 1d candles; give --data FILE of ${trained.timeframe} candles ` +
                `or --exchange NAME --symbol X --timeframe ${trained.timeframe}, or train a model on the sample`
              : `give --timeframe ${trained.timeframe}, or train a model on ${use.timeframe} candles`),
    );
  if (trained.exchange === UNNAMED_SOURCE || use.exchange === UNNAMED_SOURCE) return undefined;
  if (trained.exchange === use.exchange && trained.symbol === use.symbol) return undefined;
  return `model ${home} was trained on ${describeMarket(trained)} and now runs on ${describeMarket(use)}`;
}

/** checkModelMarket when a run starts: the other-market line, if any, goes to `say` (the caller's log). */
export function sayModelMarket(
  home: string,
  dir: string,
  use: ModelMarket,
  say: (line: string) => void,
  run?: ModelRunFlags,
): void {
  const otherMarket = checkModelMarket(home, dir, use, run);
  if (otherMarket) say(otherMarket);
}

/**
 * checkModelMarket of a model about to run on the configured market's candles (the store, topped up from the
 * exchange), before any is read or fetched: another timeframe is the model's one line, not "nothing is stored" for a
 * market it never traded. A file's or the sample's candles name their market once read: those are checked then.
 */
export function checkConfiguredMarket(
  home: string,
  dir: string,
  config: { exchange: { id: string }; timeframe: string },
  symbols: string | readonly string[],
): string | undefined {
  const symbol = typeof symbols === 'string' ? symbols : symbols.join(',');
  return checkModelMarket(home, dir, { exchange: config.exchange.id, symbol, timeframe: config.timeframe });
}

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
import { modelFolderMarkets } from './portfolio-model-symbols.ts';

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
 * How a saved version does not fit a run, whatever it is: trained on candles of another timeframe (its window,
 * holding period and scaler count those), or trading other markets than the run's (a portfolio's network has inputs
 * and outputs per market, in its order): `trades` undefined for a one-market model in a portfolio run.
 */
export type RunMisfit =
  | { kind: 'timeframe'; trained: ModelMarket; run: string }
  | { kind: 'markets'; trades: readonly string[] | undefined; reads: readonly string[]; run: readonly string[] };

/**
 * What the version saved in `dir` differs in from a run on `use` (its timeframe and its market, or a portfolio's
 * markets joined with commas, as ModelMarket has them; each only when given), timeframe first; empty when it fits (or
 * meta.json says too little). The one rule for both the load path (checkModelMarket, checkModelSymbols: they throw
 * ModelMismatchError) and `bot status` (src/trading/promoted-refusal.ts: it says why CURRENT's version cannot take
 * over), which drifted apart (session 39). Another market of a one-market model is no misfit (said in a line).
 */
export function runMisfits(dir: string, use: Partial<Pick<ModelMarket, 'symbol' | 'timeframe'>>): RunMisfit[] {
  const misfits: RunMisfit[] = [];
  const trained = use.timeframe === undefined ? undefined : readModelMarket(dir);
  if (trained && use.timeframe !== undefined && trained.timeframe !== use.timeframe)
    misfits.push({ kind: 'timeframe', trained, run: use.timeframe });
  const markets = use.symbol === undefined ? undefined : modelFolderMarkets(dir);
  if (use.symbol !== undefined && markets !== undefined) {
    const run = use.symbol.split(',');
    // a portfolio run names two markets or more (--symbols), a one-market run one
    if (markets === 'one market') {
      if (run.length > 1) misfits.push({ kind: 'markets', trades: undefined, reads: [], run });
    } else if (markets.symbols.join(',') !== use.symbol)
      misfits.push({ kind: 'markets', trades: markets.symbols, reads: markets.informative, run });
  }
  return misfits;
}

/** A misfit in the words after `it cannot take over: ` (bot status). */
export function misfitText(m: RunMisfit): string {
  if (m.kind === 'timeframe') return `it was trained on ${m.trained.timeframe} candles; this run uses ${m.run}`;
  if (!m.trades) return `it trades one market; this run trades ${m.run.join(',')}`;
  return `it trades ${m.trades.join(',')} in that order; this run trades ${m.run.join(',')}`;
}

/**
 * Model `home` (version folder `dir`) about to run on `use`: throws a ModelMismatchError when it was trained on
 * another timeframe, or is a portfolio model and `use` one market; returns the line to log when it was trained on
 * another market (undefined: the same, or unknown). A portfolio run's markets are checkModelSymbols'.
 */
export function checkModelMarket(
  home: string,
  dir: string,
  use: ModelMarket,
  run: ModelRunFlags = { sampleFlag: true },
): string | undefined {
  for (const m of runMisfits(dir, use)) {
    if (m.kind === 'timeframe') throw otherTimeframe(home, m.trained, use, run);
    // a portfolio model's version promoted into a one-market run: its network is per market (status says so too)
    if (m.trades && m.run.length === 1)
      throw new ModelMismatchError(
        `model ${home} is a portfolio model trading ${m.trades.join(',')}; this run trades ${use.symbol}: ` +
          `give --symbols ${m.trades.join(',')}`,
      );
  }
  const trained = readModelMarket(dir);
  if (!trained || trained.exchange === UNNAMED_SOURCE || use.exchange === UNNAMED_SOURCE) return undefined;
  if (trained.exchange === use.exchange && trained.symbol === use.symbol) return undefined;
  return `model ${home} was trained on ${describeMarket(trained)} and now runs on ${describeMarket(use)}`;
}

/** The refusal of model `home`, trained on `trained`, on candles of another timeframe: what to give instead. */
function otherTimeframe(home: string, trained: ModelMarket, use: ModelMarket, run: ModelRunFlags): ModelMismatchError {
  return new ModelMismatchError(
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

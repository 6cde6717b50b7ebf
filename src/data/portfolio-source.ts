/**
 * Several series for a portfolio command (issue 14): `--symbols A,B` from the store, `--data a.csv,b.csv` paired with
 * `--symbols` in order, or `--sample`: the bundled S&P 500 as the index with a 2× and a −1× series derived from it
 * (the PPO ETF-pair seed's setting offline), each labelled "derived from the bundled sample".
 */
import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.ts';
import { parseSpotSymbol, parseSymbolList } from '../core/market-symbol.ts';
import type { Candles } from '../core/candles.ts';
import type { MarketDataSettings } from './config.ts';
import { deriveLabel, deriveLeveraged } from './derive.ts';
import { SAMPLE_SYMBOL } from './sample.ts';
import { filterRange, loadCsvFile, loadSample } from './source.ts';
import { CandleStore } from './store.ts';
import { eitherNotBoth } from '../core/flag-conflicts.ts';

export const SAMPLE_2X = 'SP500-2X/USD';
export const SAMPLE_INVERSE = 'SP500-INV/USD';

export interface PortfolioSeriesRequest {
  config: MarketDataSettings;
  /** Parsed `--symbols` (may be empty with `--sample`: its two derived instruments). */
  symbols: string[];
  dataFiles?: string[];
  columns?: string;
  /** `--timeframe` with `dataFiles`: their timeframe, when their steps cannot tell it (see SeriesRequest). */
  timeframe?: string;
  sample?: boolean;
  from?: number;
  to?: number;
  /** Whence a series came when the command did not name it (a recipe's informative): said when none is stored. */
  whence?: (symbol: string) => string | undefined;
}

export interface LabelledSeries {
  candles: Candles;
  label: string;
}

/** `--data a.csv,b.csv,…` as its files, in order (one market's `--data` is one of them). */
export function dataFilesFlag(value: string): string[] {
  return value.split(',').map((f) => f.trim());
}

/** Each `--data` file must exist: one line naming the first that does not, before anything is read. */
export function checkDataFiles(files: readonly string[]): void {
  for (const f of files) if (!existsSync(f)) throw new UserError(`--data: no such file ${f}`);
}

/** `--symbols A,B,…` checked before any I/O: at least two spot markets, no blanks, no repeats. */
export function parseSymbolsFlag(value: string): string[] {
  const symbols = parseSymbolList(value, '--symbols');
  if (symbols.length < 2)
    throw new UserError('--symbols needs at least two markets for a portfolio, e.g. --symbols BTC/KRW,ETH/KRW');
  return symbols;
}

/**
 * `--symbols` of a portfolio (one account), checked to share one quote (checkOneQuote). (`bot data download --symbols`
 * stores markets one by one and may mix quotes.)
 */
export function parsePortfolioSymbols(value: string): string[] {
  const symbols = parseSymbolsFlag(value);
  checkOneQuote(symbols, '--symbols');
  return symbols;
}

/**
 * The markets of a portfolio (`where`: whence they came, --symbols, a recipe's `symbols` or a saved model's), checked
 * to share one quote: its one cash would otherwise add KRW to USDT in the account's value, and a live run would spend
 * the first market's quote for all of them.
 */
export function checkOneQuote(symbols: readonly string[], where: string): void {
  const quotes = [...new Set(symbols.map((s) => parseSpotSymbol(s, where).quote))];
  if (quotes.length > 1)
    throw new UserError(
      `${where}: the markets are priced in different currencies (${quotes.join(', ')}); a portfolio has one cash, ` +
        'so its markets must share a quote',
    );
}

/** The sample's three series: the index and its daily-rebalanced 2× and −1× (no fee), all labelled. */
export function samplePortfolio(): LabelledSeries[] {
  const index = loadSample();
  const note = 'derived from the bundled sample';
  return [
    { candles: index, label: 'bundled sample S&P 500 1d (index)' },
    ...[
      { leverage: 2, symbol: SAMPLE_2X },
      { leverage: -1, symbol: SAMPLE_INVERSE },
    ].map((spec) => ({
      candles: deriveLeveraged(index, spec),
      label: `${note} (${deriveLabel(SAMPLE_SYMBOL, spec, index.timeframe)})`,
    })),
  ];
}

/** Loads the series of a portfolio run, in `--symbols` order. */
export function loadPortfolioSeries(req: PortfolioSeriesRequest): LabelledSeries[] {
  const { config, from, to } = req;
  eitherNotBoth(['--data FILES', req.dataFiles], ['--sample', req.sample]);
  let out: LabelledSeries[];
  if (req.sample) {
    const all = samplePortfolio();
    const want = req.symbols.length > 0 ? req.symbols : [SAMPLE_2X, SAMPLE_INVERSE];
    out = want.map((s) => {
      const found = all.find((x) => x.candles.symbol === s);
      if (!found) throw new UserError(`--sample has ${all.map((x) => x.candles.symbol).join(', ')}; not ${s}`);
      return found;
    });
  } else if (req.dataFiles) {
    if (req.dataFiles.length !== req.symbols.length) {
      // no flag named: bot predict takes the series from the model, bot backtest from --symbols
      throw new UserError(
        `--data names ${req.dataFiles.length} file${req.dataFiles.length === 1 ? '' : 's'} for ` +
          `${req.symbols.length} series (${req.symbols.join(', ')}): one file each, in that order`,
      );
    }
    out = req.dataFiles.map((file, i) => {
      const c = loadCsvFile(file, config, req.timeframe, req.columns);
      return { candles: { ...c, symbol: req.symbols[i] }, label: `${file.split(/[\\/]/).pop()} (${c.timeframe})` };
    });
  } else {
    const store = CandleStore.open(config.data.database);
    try {
      const { id } = config.exchange;
      out = req.symbols.map((s) => {
        const c = store.load(id, s, config.timeframe);
        if (c.ts.length === 0) {
          const whence = req.whence?.(s);
          throw new UserError(
            `no stored candles for ${id} ${s} ${config.timeframe}${whence ? `, ${whence}` : ''}; see \`bot data list\``,
          );
        }
        const derived = store.label(id, s, config.timeframe);
        return { candles: c, label: `${id} ${s} ${config.timeframe} (store${derived ? `; ${derived}` : ''})` };
      });
    } finally {
      store.close();
    }
  }
  return out.map((s) => {
    const candles = filterRange(s.candles, from, to);
    if (candles.ts.length === 0) throw new UserError(`no candles for ${s.candles.symbol} in the range asked`);
    return { candles, label: s.label };
  });
}

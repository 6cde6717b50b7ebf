/**
 * Loading a candle series for a command: a CSV file, the bundled sample, or the store (downloading what is missing).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MarketDataSettings } from './config.ts';
import { UserError } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { candlesFromRows, sliceCandles, type Candles } from '../core/candles.ts';
import { parseCandlesCsvDetailed } from './csv.ts';
import { printCsvWarnings } from './csv-warnings.ts';
import { loadSample } from './sample.ts';
import { CandleStore } from './store.ts';
import { describeRange, parseTime, timeframeMs } from './timeframe.ts';

export { loadSample } from './sample.ts';

export interface Series {
  candles: Candles;
  /** Human-readable origin, e.g. `upbit BTC/KRW 1h (store)`. */
  label: string;
  origin: 'store' | 'file' | 'sample' | 'exchange';
  /** Something a report should print (e.g. the exchange could not be reached and the sample was used instead). */
  notice?: string;
}

export interface SeriesRequest {
  config: MarketDataSettings;
  /** A CSV file read with the import parser (not stored). */
  dataFile?: string;
  /** `--columns` for `dataFile`: its columns in file order. */
  columns?: string;
  /**
   * `--timeframe` with `dataFile`: the file's timeframe, for files whose steps cannot tell it (sessions of one candle
   * each, src/data/csv-steps.ts). Omitted: inferred from the file.
   */
  timeframe?: string;
  /** The bundled S&P 500 daily sample. */
  sample?: boolean;
  from?: number;
  to?: number;
  /**
   * Candles before `from` to load too (a rule strategy's indicator warm-up; see warmupStart: a market that closes at
   * night still gets them). Files and the sample load whole anyway.
   */
  warmup?: number;
  /** Download from the exchange when the store has nothing (default true). */
  download?: boolean;
  /**
   * Run on the bundled sample when nothing is stored and the exchange cannot be reached (default false). Only the
   * no-flags main job (`bot backtest`) asks for it: a command where the user named a market answers that nothing is
   * stored for it instead of swapping in another market (issue 17).
   */
  offlineFallback?: boolean;
  /** Clock for the download (tests). */
  now?: () => number;
}

/** Candles with open time in [from, to). */
export function filterRange(c: Candles, from?: number, to?: number): Candles {
  let lo = 0;
  let hi = c.ts.length;
  if (from !== undefined) while (lo < hi && c.ts[lo] < from) lo++;
  if (to !== undefined) while (hi > lo && c.ts[hi - 1] >= to) hi--;
  return lo === 0 && hi === c.ts.length ? c : sliceCandles(c, lo, hi);
}

function nonEmpty(s: Series, from?: number, to?: number): Series {
  if (s.candles.ts.length === 0) throw new UserError(`no candles for ${s.label}${describeRange(from, to)}`);
  return s;
}

/** Reads a CSV of candles (any flavour `bot data import` knows, with its warnings) without storing it. */
export function loadCsvFile(
  file: string,
  config: Pick<MarketDataSettings, 'symbol'>,
  timeframe?: string,
  columns?: string,
): Candles {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`--data: cannot read ${file}`);
  }
  const parsed = parseCandlesCsvDetailed(text, { file, timeframe, columns });
  printCsvWarnings(file, parsed.notes);
  const symbol = path.basename(file).replace(/\.[^.]*$/, '');
  return candlesFromRows('file', symbol || config.symbol, parsed.timeframe, parsed.rows);
}

/**
 * How every command that needs candles gets them: `--data FILE` | `--sample` | the store for the configured
 * exchange/symbol/timeframe | a download into the store when nothing is stored | the bundled sample when the
 * exchange cannot be reached (one console line says so, and `notice` carries it to the report).
 */
export async function loadSeries(req: SeriesRequest): Promise<Series> {
  const { config, from, to } = req;
  if (req.dataFile) {
    const candles = filterRange(loadCsvFile(req.dataFile, config, req.timeframe, req.columns), from, to);
    // the file's name, not its path: reports are shared, and a path only describes the machine that made them
    const label = `${path.basename(req.dataFile)} (${candles.timeframe})`;
    return nonEmpty({ candles, label, origin: 'file' }, from, to);
  }
  if (req.sample) {
    return nonEmpty(
      { candles: filterRange(loadSample(), from, to), label: 'bundled sample S&P 500 1d', origin: 'sample' },
      from,
      to,
    );
  }
  const { id } = config.exchange;
  const { symbol, timeframe } = config;
  const label = `${id} ${symbol} ${timeframe}`;
  const store = CandleStore.open(config.data.database);
  const warmFrom = (): number | undefined =>
    from !== undefined && req.warmup ? warmupStart(store, { exchange: id, symbol, timeframe }, from, req.warmup) : from;
  try {
    const stored = store.load(id, symbol, timeframe, warmFrom(), to);
    if (stored.ts.length > 0) return { candles: stored, label: `${label} (store)`, origin: 'store' };
    if (req.download === false || store.lastTs(id, symbol, timeframe) !== undefined) {
      throw new UserError(
        `no stored candles for ${label}${describeRange(from, to)}; ` +
          `run \`bot data download\`, or use --data FILE or --sample`,
      );
    }
    try {
      // ccxt takes seconds to load: only a download pays for it
      const { createExchange, retryOptionsFrom } = await import('./exchange.ts');
      const { downloadToStore } = await import('./download.ts');
      const ex = createExchange(config);
      await downloadToStore(
        store,
        ex,
        { exchange: id, symbol, timeframe, since: downloadSince(req), until: to },
        { retry: retryOptionsFrom(config), now: req.now },
      );
    } catch (e) {
      if (e instanceof UserError && e.name === 'ExchangeUnreachableError' && !req.offlineFallback) {
        throw new UserError(
          `nothing is stored for ${label} and ${id} cannot be reached: store a ` +
            `CSV with \`bot data import FILE\`, or use --data FILE or --sample`,
        );
      }
      if (e instanceof UserError && e.name === 'ExchangeUnreachableError') {
        const notice =
          `${id} cannot be reached, so this runs on the ` + `bundled sample (S&P 500 daily) instead; ${offlineNote()}`;
        log().warn(notice); // the CLI's console transport shows it as one line; the report carries `notice`
        const candles = filterRange(loadSample(), from, to);
        return nonEmpty({ candles, label: 'bundled sample S&P 500 1d', origin: 'sample', notice }, from, to);
      }
      throw e;
    }
    const candles = store.load(id, symbol, timeframe, warmFrom(), to);
    return nonEmpty({ candles, label: `${label} (downloaded)`, origin: 'exchange' }, from, to);
  } finally {
    store.closeDiscardingIfNew();
  }
}

/**
 * Where `warmup` candles of history before `from` start in the store: `warmup` timeframes back, holes and all, unless
 * fewer than half of them are stored there because the market closes (nights, weekends, lunch): then at the
 * `warmup`-th stored candle before `from`. A rule's paper/live history starts here too (RunHolder.historyStart), so
 * `bot paper --start T` and `bot backtest --from T` compute its indicators from the same candle. `every`: never
 * later than that candle either (a portfolio run's series, whose model reads `warmup` full feature rows: one hole in
 * the span left it a row short at its first decision).
 */
export function warmupStart(
  store: CandleStore,
  series: { exchange: string; symbol: string; timeframe: string },
  from: number,
  warmup: number,
  every = false,
): number {
  const { exchange: id, symbol, timeframe: tf } = series;
  const byTime = from - warmup * timeframeMs(tf);
  const counted = store.openTimeBefore(id, symbol, tf, from, warmup) ?? byTime;
  if (every) return Math.min(byTime, counted);
  const half = store.openTimeBefore(id, symbol, tf, from, Math.ceil(warmup / 2));
  if (half === undefined || half >= byTime) return byTime;
  return counted;
}

/** Where a first download starts: `from` less the warm-up in timeframes, or data.since. */
function downloadSince(req: SeriesRequest): number {
  const { config, from } = req;
  if (from === undefined) return parseTime(config.data.since, 'data.since');
  return from - (req.warmup ?? 0) * timeframeMs(config.timeframe);
}

function offlineNote(): string {
  return 'for real data use --data FILE or `bot data import FILE`';
}

/**
 * The backtests/ folder as the dashboard lists it: backtest runs with their key metrics (from each report.json, a
 * single market's, a portfolio's or a sweep's), a run's report and trades. (models/ is model-catalog.ts's.)
 */
import { existsSync, readdirSync } from 'node:fs';
import { EQUAL_WEIGHTS_HELD, type PortfolioReport, type PortfolioSummary } from '../backtest/portfolio-report.ts';
import { parseReportText, sweepFoldLabel, type ParsedReport, type SweepHead } from '../backtest/report-file.ts';
import type { StoredReport } from '../backtest/report.ts';
import { redactJsonText, redactWritten } from '../core/redact.ts';
import { isoTime } from '../data/timeframe.ts';
import { CSV_FIELD_TEXT, listInside, resolveInside } from './files.ts';
import { safeSegment } from './inside-file.ts';
import { KeptFiles, MAX_READ_WHOLE, overLimit, TooLarge } from './served-json.ts';
import { HttpError } from './validate.ts';

interface BacktestEntry {
  id: string;
  /**
   * `portfolio`: a `bot backtest --symbols` report (schema bot-portfolio-report/1); its market lists the symbols.
   * `sweep`: a `bot sweep` report (bot-sweep-report/1): its metrics are the winner's mean clean test metrics.
   */
  kind: 'single' | 'portfolio' | 'sweep';
  title: string;
  createdAt: string;
  strategy: string;
  market: string;
  from: string;
  to: string;
  /** null: a portfolio's trades.csv that cannot be read whole (over MAX_READ_WHOLE, or unreadable). */
  trades: number | null;
  metrics: Record<string, unknown>;
  buyHold: Record<string, unknown> | null;
  /** A saved model's run over data it trained or chose its epoch on (report.json data.notOutOfSample). */
  notOutOfSample: boolean;
}

type TradeRow = Record<string, string | number>;

/** trades.csv's text as objects (numbers where the cell is numeric). */
function parseTrades(text: string): TradeRow[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines
    .filter((l) => l.length > 0)
    .map((l) => {
      const cells = l.split(',');
      return Object.fromEntries(
        cols.map((c, i) => [c, cells[i] !== '' && Number.isFinite(Number(cells[i])) ? Number(cells[i]) : cells[i]]),
      );
    });
}

/**
 * The catalog's reads of report.json and trades.csv, each bounded and kept while its file stays the same (KeptFiles,
 * as the file routes' JSON): the list reads every folder's report on every dashboard refresh. What is kept is masked
 * as every answer is: a report's strings (redactJsonText), trades.csv as its file route serves it (a cell equal to a
 * secret, a number too, is masked as text; a JSON answer's numbers are not masked).
 */
export class CatalogFiles {
  /** `now`: the wall clock the file system stamps times with (KeptFiles.read). */
  constructor(readonly now: () => number = Date.now) {}
  readonly reports = new KeptFiles<ParsedReport>(
    (text) => ({ value: parseReportText(redactJsonText(text)), bytes: text.length }),
    `a report over ${MAX_READ_WHOLE} is not read (the dashboard reads it whole)`,
  );
  readonly trades = new KeptFiles<TradeRow[]>(
    // a row's object weighs several times its line of text
    (text) => ({ value: parseTrades(redactWritten(text, CSV_FIELD_TEXT)), bytes: text.length * 4 }),
    `a trades.csv over ${MAX_READ_WHOLE} is not read whole (its file route streams it: files/trades.csv)`,
  );
}

/**
 * A run's report.json checked by parseReport (a single market's, a portfolio's or a sweep's, or why it is unreadable),
 * or undefined when the id is not a safe name or holds no report.json. One over MAX_READ_WHOLE is a TooLarge.
 */
export async function readReport(root: string, id: string, files: CatalogFiles): Promise<ParsedReport | undefined> {
  const found = resolveInside(root, [id, 'report.json']);
  if (!found) return undefined;
  try {
    return await files.reports.read(found, `backtests/${id}/report.json`, files.now());
  } catch (e) {
    if (e instanceof TooLarge) throw e;
    // refused when opened (another hard link, replaced), gone or unreadable between finding and opening it
    const why = e instanceof HttpError ? e.message : ((e as NodeJS.ErrnoException).code ?? String(e));
    return { kind: 'unreadable', problem: `not readable (${why})` };
  }
}

/** The fills in a run's trades.csv, or null when it cannot be read whole (over MAX_READ_WHOLE, or unreadable). */
async function tradeRows(root: string, id: string, files: CatalogFiles): Promise<number | null> {
  const found = resolveInside(root, [id, 'trades.csv']);
  if (!found) return 0;
  try {
    return (await files.trades.read(found, `backtests/${id}/trades.csv`, files.now())).length;
  } catch {
    return null;
  }
}

/** A portfolio summary's figures (return, drawdown, Sharpe, fees, turnover) without its name. */
function figures(s: PortfolioSummary): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'name'));
}

/** A portfolio report's line in the list: its summary as metrics, equal weights held as buy-and-hold. */
function portfolioEntry(id: string, r: PortfolioReport, trades: number | null): BacktestEntry {
  const ts = r.portfolio.timestamps;
  const hold = r.baselines.find((b) => b.name === EQUAL_WEIGHTS_HELD);
  return {
    id,
    kind: 'portfolio',
    title: `${r.strategy} on ${r.portfolio.symbols.join(', ')}`,
    createdAt: r.createdAt,
    strategy: r.summary.name,
    market: r.portfolio.symbols.join(', '),
    from: ts.length ? isoTime(ts[0]) : '',
    to: ts.length ? isoTime(ts[ts.length - 1]) : '',
    trades,
    metrics: figures(r.summary),
    buyHold: hold ? figures(hold) : null,
    notOutOfSample: r.data.notOutOfSample !== undefined,
  };
}

/**
 * The (market, fold) test windows the winner's clean test figures cover (winner.cleanFolds) and their span: the first
 * candle of the earliest to the last of the latest. Undefined for a report without them (no winner, or written before
 * the clean figure).
 */
function cleanWindows(r: SweepHead): { windows: number; from: string; to: string } | undefined {
  const clean = r.winner?.cleanFolds;
  if (!clean?.length) return undefined;
  const spans = r.markets.flatMap((m, mi) =>
    (m.folds ?? []).flatMap((f, fi) => {
      const span = /^(\S+) … (\S+) \(/.exec(f.test);
      return span && clean.includes(sweepFoldLabel(r.markets, mi, fi)) ? [{ from: span[1], to: span[2] }] : [];
    }),
  );
  if (!spans.length) return undefined;
  const from = spans.map((s) => s.from).sort()[0];
  const to = spans.map((s) => s.to).sort()[spans.length - 1];
  return { windows: spans.length, from, to };
}

/**
 * A sweep's line in the list: the winner's clean test figures (the test windows after every validation candle, as the
 * console's headline and the verdict; every fold's mean would count windows the ranking saw as validation) beside
 * buy-and-hold's on the same windows, their span, and the winner's trades over them (mean over seeds).
 */
function sweepEntry(id: string, r: SweepHead): BacktestEntry {
  const clean = r.winner?.cleanTest?.mean;
  const windows = cleanWindows(r);
  const tradesPerWindow = clean?.trades;
  return {
    id,
    kind: 'sweep',
    title: r.winner ? `${r.name}: best ${r.winner.label}` : r.name,
    createdAt: r.createdAt,
    strategy: r.strategy,
    market: r.markets.map((m) => m.label).join(', '),
    from: windows?.from ?? r.markets[0]?.from ?? '',
    to: windows?.to ?? r.markets[0]?.to ?? '',
    trades:
      typeof tradesPerWindow === 'number' && windows ? Math.round(tradesPerWindow * windows.windows * 10) / 10 : 0,
    metrics: clean ?? {},
    buyHold: r.baselines.buy_and_hold.cleanTest?.mean ?? null,
    // a sweep's jobs train and test in their own folds: nothing of a saved model is replayed over its training data
    notOutOfSample: false,
  };
}

/** A single market's report in the list. */
function singleEntry(id: string, r: StoredReport): BacktestEntry {
  return {
    id,
    kind: 'single',
    title: r.title,
    createdAt: r.createdAt,
    strategy: r.strategy.name,
    market: `${r.data.exchange} ${r.data.symbol} ${r.data.timeframe}`,
    from: r.data.from,
    to: r.data.to,
    trades: r.trades,
    metrics: r.metrics,
    buyHold: r.baselines.buy_and_hold.metrics,
    notOutOfSample: r.data.notOutOfSample !== undefined,
  };
}

/**
 * Every report under `root`, newest first, and the folders whose report.json cannot be read (not JSON, a field
 * missing, or over MAX_READ_WHOLE): listed apart with their problem, so one broken or huge file neither fails the list
 * nor vanishes unexplained.
 */
export async function listBacktests(
  root: string,
  files: CatalogFiles,
): Promise<{
  backtests: BacktestEntry[];
  unreadable: { id: string; problem: string }[];
}> {
  const backtests: BacktestEntry[] = [];
  const unreadable: { id: string; problem: string }[] = [];
  if (!existsSync(root)) return { backtests, unreadable };
  for (const id of readdirSync(root).sort()) {
    if (!safeSegment(id)) continue;
    let r: ParsedReport | undefined;
    try {
      r = await readReport(root, id, files);
    } catch (e) {
      if (!(e instanceof TooLarge)) throw e;
      unreadable.push({ id, problem: overLimit(e) });
      continue;
    }
    if (!r) continue;
    if (r.kind === 'unreadable') unreadable.push({ id, problem: r.problem });
    else if (r.kind === 'portfolio') backtests.push(portfolioEntry(id, r.report, await tradeRows(root, id, files)));
    else if (r.kind === 'sweep') backtests.push(sweepEntry(id, r.report));
    else backtests.push(singleEntry(id, r.report));
  }
  return { backtests: backtests.sort((a, b) => b.createdAt.localeCompare(a.createdAt)), unreadable };
}

/**
 * trades.csv of a run as objects (numbers where the column is numeric), masked; undefined without one, a TooLarge
 * over MAX_READ_WHOLE.
 */
export async function readTrades(root: string, id: string, files: CatalogFiles): Promise<TradeRow[] | undefined> {
  const found = resolveInside(root, [id, 'trades.csv']);
  if (!found) return undefined;
  return files.trades.read(found, `backtests/${id}/trades.csv`, files.now());
}

export function backtestFiles(root: string, id: string): string[] {
  return listInside(root, id);
}

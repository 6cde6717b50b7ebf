import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Candles } from '../core/candles.ts';
import { isoTime } from '../data/timeframe.ts';
import { UserError } from '../core/errors.ts';
import { costsFromSettings, type Costs } from '../market/costs.ts';
import type { SizingOptions } from '../market/execution.ts';
import { runBaselines, type Baselines } from './baselines.ts';
import { runBacktest, type BacktestResult } from './engine.ts';
import { computeMetrics, type Metrics } from './metrics.ts';
import { writeReport, readReport, type ReportExtra, type ReportFiles, type StoredReport } from './report.ts';
import type { LoadedSeries, RuleStrategy } from './strategy.ts';

/** Fewest candles a backtest range may hold (two returns make a standard deviation). */
export const MIN_RANGE_CANDLES = 3;
/** Candles loaded before `--from` so that rule indicators are warm when the range starts. */
export const RULE_WARMUP_CANDLES = 100;

export function costsFromConfig(config: Config): Costs {
  return costsFromSettings(config.account);
}

export function sizingFromConfig(config: Config): SizingOptions {
  const b = config.backtest;
  return b.sizing === 'confidence' ? { kind: 'confidence', minTradeValue: b.minTradeValue, maxTradeValue: b.maxTradeValue } : { kind: 'all' };
}

/** Candle indices [from, to) of the candles with open time in [fromMs, toMs); a UserError when too few. */
export function rangeIndices(candles: Candles, fromMs?: number, toMs?: number, label = 'the data'): { from: number; to: number } {
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) {
    throw new UserError(`--to ${isoTime(toMs)} is not after --from ${isoTime(fromMs)}`);
  }
  const ts = candles.ts;
  let from = 0;
  let to = ts.length;
  if (fromMs !== undefined) while (from < to && ts[from] < fromMs) from++;
  if (toMs !== undefined) while (to > from && ts[to - 1] >= toMs) to--;
  const span = `${fromMs !== undefined ? isoTime(fromMs) : 'start'} … ${toMs !== undefined ? isoTime(toMs) : 'end'}`;
  if (to - from === 0) throw new UserError(`no candles in ${span} in ${label}`);
  if (to - from < MIN_RANGE_CANDLES) {
    throw new UserError(`range ${span} holds ${to - from} candle${to - from === 1 ? '' : 's'} of ${label}; a backtest needs at least ${MIN_RANGE_CANDLES}`);
  }
  return { from, to };
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase();
}

/** `<UTC yyyymmdd-hhmmss>-<strategy>-<symbol>`, with a counter when that folder exists already. */
export function newRunId(strategy: string, symbol: string, outDir: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const base = `${stamp}-${slug(strategy)}-${slug(symbol)}`;
  let id = base;
  for (let k = 2; existsSync(path.join(outDir, id)); k++) id = `${base}-${k}`;
  return id;
}

export interface RuleBacktestRequest {
  config: Config;
  series: LoadedSeries;
  strategy: RuleStrategy;
  from?: number;
  to?: number;
  seed: number;
  /** Folder for the report; default `<backtest.outDir>/<run-id>`. */
  out?: string;
  extra?: ReportExtra;
}

export interface BacktestRun {
  result: BacktestResult;
  metrics: Metrics;
  baselines: Baselines;
  report: StoredReport;
  files: ReportFiles;
}

/** Runs a rule strategy over the series' [from, to), its baselines, and writes the report. */
export async function runRuleBacktest(req: RuleBacktestRequest): Promise<BacktestRun> {
  const { config, series, strategy } = req;
  const candles = series.candles;
  const range = rangeIndices(candles, req.from, req.to, series.label);
  const costs = costsFromConfig(config);
  const sizing = sizingFromConfig(config);
  const policy = strategy.createPolicy({ candles, seed: req.seed, config });
  const result = runBacktest({ candles, window: 0, range, costs, balance: config.account.balance, sizing, policy });
  return reportBacktest({ ...req, strategy: { name: strategy.name, kind: strategy.kind, description: strategy.description }, result, costs, sizing });
}

export interface ReportBacktestRequest {
  config: Config;
  series: LoadedSeries;
  strategy: { name: string; kind: 'rule' | 'agent'; description: string };
  result: BacktestResult;
  costs: Costs;
  sizing: SizingOptions;
  seed: number;
  out?: string;
  extra?: ReportExtra;
}

/** Metrics and baselines over the result's range, written as a report folder (shared by rule and saved-model runs). */
export async function reportBacktest(req: ReportBacktestRequest): Promise<BacktestRun> {
  const { config, series, strategy, result, costs, sizing } = req;
  const candles = series.candles;
  const balance = config.account.balance;
  const metrics = computeMetrics(result, candles.timeframe);
  const baselines = runBaselines({ candles, range: result.range, costs, balance, randomSeeds: config.backtest.randomSeeds, seed: req.seed });
  const outDir = req.out ?? path.join(config.backtest.outDir, newRunId(strategy.name, candles.symbol, config.backtest.outDir));
  const runId = path.basename(path.resolve(outDir));
  const files = await writeReport(outDir, {
    runId,
    strategy,
    data: { label: series.label, origin: series.origin, ...(series.notice ? { notice: series.notice } : {}) },
    settings: { balance, costs, sizing, seed: req.seed, costPreset: config.account.preset, randomSeeds: config.backtest.randomSeeds },
    result,
    metrics,
    baselines,
    extra: req.extra,
  });
  return { result, metrics, baselines, report: readReport(files.json), files };
}

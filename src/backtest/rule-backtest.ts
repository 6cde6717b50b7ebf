/**
 * `bot backtest --strategy <rule>`: a rule strategy over a range, its baselines and the report; and the report step
 * that saved-model runs share.
 */
import path from 'node:path';
import type { Series } from '../data/source.ts';
import { createRulePolicy } from '../agents/rule-guard.ts';
import { ruleCosts, ruleSizing, type RuleStrategy } from '../agents/strategy.ts';
import type { Costs } from '../market/costs.ts';
import type { SizingOptions } from '../market/execution.ts';
import { runBacktest, type BacktestResult } from '../market/backtest-engine.ts';
import { computeMetrics, type Metrics } from '../market/metrics.ts';
import { futureCheck } from './future-check.ts';
import { runBaselines, type Baselines } from './baselines.ts';
import type { ScheduleRule } from '../agents/decision-rule.ts';
import type { BacktestSettings } from './config.ts';
import { newRunId, rangeIndices } from './range.ts';
import { readReport } from './report-file.ts';
import { writeReport, type NotOutOfSample, type ReportExtra, type ReportFiles, type StoredReport } from './report.ts';

interface RuleBacktestRequest {
  settings: Pick<BacktestSettings, 'account' | 'backtest'>;
  series: Series;
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
  const { settings, series, strategy } = req;
  const candles = series.candles;
  const range = rangeIndices(candles, req.from, req.to, series.label);
  const costs = ruleCosts(settings.account);
  const sizing = ruleSizing(settings.backtest);
  const built = createRulePolicy(strategy, { candles, seed: req.seed });
  const check = futureCheck(strategy, built, candles, req.seed);
  const { policy } = check;
  const result = runBacktest({ candles, window: 0, range, costs, balance: settings.account.balance, sizing, policy });
  // before the report: a run that read the future writes none
  check.verify();
  return reportBacktest({
    ...req,
    strategy: { name: strategy.name, kind: strategy.kind, description: strategy.description },
    result,
    costs,
    sizing,
  });
}

interface ReportBacktestRequest {
  settings: Pick<BacktestSettings, 'account' | 'backtest'>;
  series: Series;
  strategy: { name: string; kind: 'rule' | 'agent'; description: string };
  result: BacktestResult;
  costs: Costs;
  sizing: SizingOptions;
  seed: number;
  out?: string;
  extra?: ReportExtra;
  /** A saved model's range that is not out of sample (inSampleWarning): said in the report. */
  notOutOfSample?: NotOutOfSample;
  /** A saved model's decision rule: the random baseline trades under its schedule (baselines.ts). */
  rule?: ScheduleRule;
  /** The cost preset `costs` came from when not the account's (a saved model's recipe preset; recipeCostPreset). */
  costPreset?: string;
}

/** Metrics and baselines over the result's range, written as a report folder (shared by rule and saved-model runs). */
export async function reportBacktest(req: ReportBacktestRequest): Promise<BacktestRun> {
  const { settings, series, strategy, result, costs, sizing } = req;
  const { account, backtest } = settings;
  const candles = series.candles;
  const balance = account.balance;
  const metrics = computeMetrics(result, candles.timeframe);
  const baselines = runBaselines({
    candles,
    range: result.range,
    costs,
    balance,
    sizing,
    rule: req.rule,
    randomSeeds: backtest.randomSeeds,
    seed: req.seed,
  });
  const outDir = req.out ?? path.join(backtest.outDir, newRunId(strategy.name, candles.symbol, backtest.outDir));
  const runId = path.basename(path.resolve(outDir));
  const files = await writeReport(outDir, {
    runId,
    strategy,
    data: {
      label: series.label,
      origin: series.origin,
      ...(series.notice ? { notice: series.notice } : {}),
      ...(req.notOutOfSample ? { notOutOfSample: req.notOutOfSample } : {}),
    },
    settings: {
      ...{ balance, costs, sizing, seed: req.seed },
      ...{ costPreset: req.costPreset ?? account.preset, randomSeeds: backtest.randomSeeds },
    },
    result,
    metrics,
    baselines,
    extra: req.extra,
  });
  return { result, metrics, baselines, report: readReport(files.json), files };
}

/**
 * `bot backtest --symbols A,B,…` (issue 14): a portfolio strategy over several markets on one clock, its portfolio
 * baselines, and report.json with the documented `portfolio` part (README, "Portfolios").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { portfolioTradesCsv } from './portfolio-trades.ts';
import { equalWeightPolicy, fixedWeightsPolicy, randomWeightsPolicy } from '../agents/portfolio-strategy.ts';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { describeTimeline } from '../data/timeline.ts';
import type { Costs } from '../market/costs.ts';
import { annualisationPeriods, timelineTooShortToAnnualise } from '../market/metrics.ts';
import { runPortfolioBacktest, type PortfolioPolicy, type PortfolioResult } from '../market/portfolio-engine.ts';
import { portfolioHtml } from './portfolio-html.ts';
import { newRunId } from './range.ts';
import type { NotOutOfSample } from './report.ts';
import { mean as meanOf, sampleVariance } from '../core/numbers.ts';
import {
  EQUAL_WEIGHTS_HELD,
  PORTFOLIO_REPORT_SCHEMA,
  portfolioNotes,
  turnoverLabel,
  type PortfolioReport,
  type PortfolioSummary,
} from './portfolio-report.ts';

/** One series of a portfolio run and where it came from (derived series say so). */
export interface PortfolioSeries {
  candles: Candles;
  label: string;
}

export interface PortfolioRunRequest {
  /** The strategy's name and its policy over `series` (a rule's, or a trained agent's). */
  name: string;
  policy: PortfolioPolicy;
  series: readonly PortfolioSeries[];
  /** Series the policy reads but does not trade (issue 14's informative series), for the report's data section. */
  informative?: readonly PortfolioSeries[];
  /** A learning strategy's seeds (the first is `policy`'s): each runs too, reported as mean ± sd. */
  seedPolicies?: readonly PortfolioPolicy[];
  /** What a learning strategy adds to report.json (folds, seeds, training), as `agent`. */
  agent?: Record<string, unknown>;
  /**
   * What set the first time when the series were cut before the run (a saved model's warm-up or --from), for the
   * report's data line; without it, the series whose first candle is the latest.
   */
  startSetBy?: string;
  /** A saved model's range that is not out of sample (inSampleWarning): said in the report. */
  notOutOfSample?: NotOutOfSample;
  /** Per market, in the order of `series`. */
  costs: readonly Costs[];
  balance: number;
  seed: number;
  /** Equal-weight rebalance period in candles. */
  every: number;
  band: number;
  /** Random-weight baseline seeds. */
  randomSeeds: number;
  outDir: string;
  out?: string;
}

function summarise(name: string, r: PortfolioResult): PortfolioSummary {
  const eq = r.equity;
  let peak = eq[0];
  let mdd = 0;
  const rets: number[] = [];
  for (let t = 0; t < eq.length; t++) {
    peak = Math.max(peak, eq[t]);
    mdd = Math.max(mdd, 1 - eq[t] / peak);
    if (t > 0) rets.push(eq[t] / eq[t - 1] - 1);
  }
  const mean = rets.reduce((a, b) => a + b, 0) / Math.max(1, rets.length);
  const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rets.length - 1));
  const ppy = annualisationPeriods(r.timeline.ts, r.timeframe);
  return {
    name,
    totalReturn: r.finalValue / r.initialBalance - 1,
    maxDrawdown: mdd,
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(ppy) : 0,
    feesPaid: r.markets.reduce((s, m) => s + m.feesPaid + m.taxPaid, 0),
    turnover: r.markets.reduce((s, m) => s + m.turnover, 0),
  };
}

/**
 * A run's figures as a portfolio model's meta.json records them: `metrics.test` (bot backtest --symbols, its test
 * windows) and `metrics.holdout` (a retrain's challenger, its judging window); the dashboard's Models page reads both.
 */
export function modelFigures(s: Omit<PortfolioSummary, 'name'>, trades: number) {
  const { totalReturn, sharpe, maxDrawdown, feesPaid, turnover } = s;
  return { totalReturn, sharpe, maxDrawdown, trades, feesPaid, turnover };
}

/** modelFigures of one run of the engine. */
export function resultFigures(r: PortfolioResult) {
  return modelFigures(summarise('', r), r.fills.length);
}

/** A portfolio model's meta.json `metrics`: its measured sets (`test`, `holdout`) and the markets they are of. */
export function portfolioModelMetrics(
  traded: readonly Candles[],
  sets: Record<string, ReturnType<typeof modelFigures>>,
): Record<string, unknown> {
  return {
    ...sets,
    symbol: traded.map((c) => c.symbol).join(','),
    exchange: traded[0].exchange,
    timeframe: traded[0].timeframe,
  };
}

const KEYS = ['totalReturn', 'maxDrawdown', 'sharpe', 'feesPaid', 'turnover'] as const;

function meanSd(list: readonly PortfolioSummary[]): PortfolioReport['randomWeights'] {
  const mean = {} as Omit<PortfolioSummary, 'name'>;
  const sd = {} as Omit<PortfolioSummary, 'name'>;
  for (const k of KEYS) {
    const xs = list.map((s) => s[k]);
    mean[k] = meanOf(xs);
    sd[k] = xs.length > 1 ? Math.sqrt(sampleVariance(xs)) : 0;
  }
  return { seeds: list.length, mean, sd };
}

/** Runs the strategy and its baselines, writes report.json, returns the report, its folder and the strategy's fills. */
export function runPortfolioRun(req: PortfolioRunRequest): { report: PortfolioReport; dir: string; trades: number } {
  const n = req.series.length;
  if (n < 2) throw new UserError(`a portfolio needs at least 2 markets, got ${n}`);
  const candles = req.series.map((s) => s.candles);
  const symbols = candles.map((c) => c.symbol);
  const run = (policy: PortfolioPolicy) =>
    runPortfolioBacktest({
      series: candles,
      costs: req.costs,
      balance: req.balance,
      policy,
      band: req.band,
    });
  const main = run(req.policy);
  const baselines: PortfolioSummary[] = [
    summarise(`equal weights rebalanced every ${req.every}`, run(equalWeightPolicy(n, req.every))),
    summarise(EQUAL_WEIGHTS_HELD, run(equalWeightPolicy(n, Infinity))),
    ...symbols.map((s, i) =>
      summarise(`${s} bought and held`, run(fixedWeightsPolicy(`hold-${s}`, oneHot(n, i), Infinity))),
    ),
  ];
  if (n === 2)
    baselines.push(
      summarise('fixed 50/50 split (rebalanced each candle)', run(fixedWeightsPolicy('50/50', [0.5, 0.5], 1))),
    );
  const randoms = Array.from({ length: req.randomSeeds }, (_, k) =>
    summarise(`random weights seed ${req.seed + k}`, run(randomWeightsPolicy(n, req.seed + k))),
  );
  const seedRuns = req.seedPolicies?.map((p, i) => (i === 0 ? main : run(p)));
  const dir = req.out ?? path.join(req.outDir, newRunId(req.name, symbols.join('+'), req.outDir));
  const report: PortfolioReport = {
    schema: PORTFOLIO_REPORT_SCHEMA,
    runId: path.basename(path.resolve(dir)),
    createdAt: new Date().toISOString(),
    strategy: main.policy,
    data: {
      series: req.series.map((s, i) => ({
        symbol: s.candles.symbol,
        label: s.label,
        missing: main.markets[i].missing,
        costs: req.costs[i],
      })),
      ...(req.informative?.length
        ? { informative: req.informative.map((s) => ({ symbol: s.candles.symbol, label: s.label })) }
        : {}),
      timeline: describeTimeline(main.timeline, req.startSetBy),
      tooShortToAnnualise: timelineTooShortToAnnualise(main.timeline.ts),
      ...(req.notOutOfSample ? { notOutOfSample: req.notOutOfSample } : {}),
    },
    ...(req.agent ? { agent: req.agent } : {}),
    summary: summarise(req.name, main),
    ...(seedRuns && seedRuns.length > 1
      ? (() => {
          const runs = seedRuns.map((r) => summarise(r.policy, r));
          return { seeds: { runs, ...meanSd(runs) } };
        })()
      : {}),
    baselines,
    randomWeights: meanSd(randoms),
    portfolio: {
      symbols,
      timestamps: [...main.timeline.ts],
      weights: main.weights.map((w) => [...w]),
      equity: [...main.equity],
      markets: main.markets.map((m) => ({ ...m, rejected: { ...m.rejected } })),
    },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, 'report.html'), portfolioHtml(report));
  writeFileSync(path.join(dir, 'trades.csv'), portfolioTradesCsv(main));
  return { report, dir, trades: main.fills.length };
}

function oneHot(n: number, i: number): number[] {
  return Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The console table of a portfolio report: strategy, baselines, random weights mean ± sd, per-market lines. */
export function portfolioTable(r: PortfolioReport): string {
  const row = (s: Omit<PortfolioSummary, 'name'>, name: string) => [
    name,
    pct(s.totalReturn),
    pct(s.maxDrawdown),
    s.sharpe.toFixed(2),
    s.feesPaid.toFixed(2),
    s.turnover.toFixed(0),
  ];
  const rows = [row(r.summary, r.summary.name)];
  if (r.seeds) {
    const { mean, sd, seeds } = r.seeds;
    rows.push([
      `${r.summary.name} (${seeds} seeds, mean ± sd)`,
      `${pct(mean.totalReturn)} ± ${pct(sd.totalReturn)}`,
      `${pct(mean.maxDrawdown)} ± ${pct(sd.maxDrawdown)}`,
      `${mean.sharpe.toFixed(2)} ± ${sd.sharpe.toFixed(2)}`,
      mean.feesPaid.toFixed(2),
      mean.turnover.toFixed(0),
    ]);
  }
  rows.push(...r.baselines.map((b) => row(b, b.name)));
  const { mean, sd, seeds } = r.randomWeights;
  rows.push([
    `random weights (${seeds} seeds, mean ± sd)`,
    `${pct(mean.totalReturn)} ± ${pct(sd.totalReturn)}`,
    `${pct(mean.maxDrawdown)} ± ${pct(sd.maxDrawdown)}`,
    `${mean.sharpe.toFixed(2)} ± ${sd.sharpe.toFixed(2)}`,
    mean.feesPaid.toFixed(2),
    mean.turnover.toFixed(0),
  ]);
  const head = ['run', 'return', 'max drawdown', 'sharpe', 'fees+tax', turnoverLabel(r.portfolio.symbols)];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (x: string[]) =>
    x
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const meanWeight = (m: number) => {
    const w = r.portfolio.weights[m];
    return w.reduce((a, b) => a + b, 0) / Math.max(1, w.length);
  };
  const markets = r.portfolio.markets.map(
    (m, i) =>
      `  ${m.symbol}: mean weight ${pct(meanWeight(i))}, P/L ${m.contribution.toFixed(2)}, ` +
      `turnover ${m.turnover.toFixed(0)}, ` +
      `fees+tax ${(m.feesPaid + m.taxPaid).toFixed(2)}, ` +
      `rejected ${Object.values(m.rejected).reduce((a, b) => a + b, 0)}, ` +
      `waited ${m.waited}`,
  );
  const sources = [
    ...r.data.series.map((s) => `  ${s.symbol}: ${s.label}`),
    ...(r.data.informative ?? []).map((s) => `  ${s.symbol} (informative, not traded): ${s.label}`),
  ];
  return [
    `data: ${r.data.timeline}`,
    ...sources,
    '',
    line(head),
    ...rows.map(line),
    ...portfolioNotes(r),
    '',
    `per market (${r.strategy}; P/L = its contribution to the run's P/L):`,
    ...markets,
  ].join('\n');
}

/** The baselines every backtest is compared with (buy-and-hold, flat, random, SMA cross) and mean ± sd over runs. */
import type { Policy } from '../core/policy.ts';
import type { Candles } from '../core/candles.ts';
import { REJECT_REASONS, type Costs, type RejectReason } from '../market/account.ts';
import type { SizingOptions } from '../market/execution.ts';
import { runBacktest, type BacktestResult, type Trade } from '../market/backtest-engine.ts';
import { computeMetrics, type Metrics } from '../market/metrics.ts';
import { buyAndHoldPolicy, flatPolicy, randomPhase, randomPolicy, smaCrossPolicy } from '../agents/rule-policies.ts';
import {
  isPlainSchedule,
  PLAIN_SCHEDULE,
  scheduleOf,
  scheduleText,
  underSchedule,
  type ScheduleRestart,
  type ScheduleRule,
} from '../agents/decision-rule.ts';
import { mean as meanOf, sampleVariance } from '../core/numbers.ts';

export type BaselineName = 'buy_and_hold' | 'flat' | 'random' | 'sma_cross';
export const BASELINE_NAMES: readonly BaselineName[] = ['buy_and_hold', 'flat', 'random', 'sma_cross'];

interface BaselineEntry {
  description: string;
  /** How it sized its orders (sizingText): all-in for buy-and-hold, none for flat, the strategy's for the rest. */
  sizing: string;
  /** For `random`: the mean over seeds of every numeric metric. */
  metrics: Metrics;
  /** For `random`: the sample standard deviation over seeds of every numeric metric. */
  sd?: Partial<Record<keyof Metrics, number>>;
  seeds?: number;
  /**
   * For `random` under an agent's decision rule: the schedule and holding period it traded by (absent: none, or one
   * per fold in `foldRules`).
   */
  rule?: ScheduleRule;
  /**
   * For `random` over a chained walk-forward whose folds' agents traded by different rules (`learnerChoice`: each
   * fold's chosen learner's): the rule of each fold's stretch, in order.
   */
  foldRules?: ScheduleRule[];
  /** For `random`: each seed's metrics, in seed order (randomBaselineSeed). */
  runs?: Metrics[];
  /** Portfolio value per candle (for `random`: the first seed's). */
  equity: Float64Array;
  /** Its fills (for `random`: the first seed's). */
  trades: readonly Trade[];
  /** Orders the account refused, by reason (for `random`: summed over its seeds). */
  rejected: Record<RejectReason, number>;
}

export type Baselines = Record<BaselineName, BaselineEntry>;

interface BaselineOptions {
  candles: Candles;
  range: { from: number; to: number };
  costs: Costs;
  balance: number;
  /**
   * The strategy's own sizing, the object its backtest trades with: random and SMA cross trade with it so they
   * compare like for like; buy-and-hold stays all-in (buy everything and hold) and flat never trades.
   */
  sizing: SizingOptions;
  /**
   * The strategy's decision rule (an agent recipe's `decision`, issue 13): random decides only on its decision candles
   * and keeps a position at least `minHold` candles, so it is the coin-flipper the agent's rule would make of it.
   * Absent (rule strategies, recipes without one): every candle. Buy-and-hold, flat and SMA cross ignore it.
   */
  rule?: ScheduleRule;
  /**
   * A chained walk-forward's later folds' first test candles and their agents' rules: random's gate starts over at
   * each under that fold's rule, as each fold's agent trades with a new gate (its holding period counts from that
   * fold's own first fill) and, with `learnerChoice`, by its chosen learner's rule. Absent: one gate throughout.
   */
  restarts?: readonly ScheduleRestart[];
  /** Seeds of the random-actions baseline. */
  randomSeeds: number;
  seed: number;
  timeframe?: string;
}

/** The s-th seed of the random baseline of a run with base seed `seed`: one rule for every table that shows it. */
function randomBaselineSeed(seed: number, s: number): number {
  return seed * 7919 + s;
}

/** Flat's sizing: it never trades. */
export const NO_SIZING = 'none (no trades)';

/** A sizing in words, as the report says which sizing each baseline traded with. */
export function sizingText(sizing: SizingOptions): string {
  if (sizing.kind === 'all') return 'all-in / all-out';
  if (sizing.kind === 'target')
    return 'target weight (random: a buy or sell rebalances to a uniformly random weight 0..1, hold keeps)';
  const { minTradeValue: min, maxTradeValue: max } = sizing;
  return `confidence: ${min} + confidence × (${max} − ${min}) a trade`;
}

/**
 * Where a random baseline runs over several windows whose agent runs may trade by different rules (issue 13,
 * `learnerChoice`: each run's chosen learner's): `windowRules[w]` holds the rules of window w's runs. When every
 * window's runs share one, one random per window under it; else one per run, each under its run's rule, so the random
 * is aggregated as the runs are.
 */
export function randomPlaces(
  windowRules: readonly (readonly ScheduleRule[])[],
): { window: number; run?: number; rule: ScheduleRule }[] {
  const agree = windowRules.every((rs) => new Set(rs.map(scheduleText)).size <= 1);
  if (agree) return windowRules.map((rs, window) => ({ window, rule: scheduleOf(rs[0] ?? PLAIN_SCHEDULE) }));
  return windowRules.flatMap((rs, window) => rs.map((rule, run) => ({ window, run, rule: scheduleOf(rule) })));
}

/** The random-actions baseline alone: mean ± sd over seeds, under the strategy's decision rule when it has one. */
export function randomBaseline(o: BaselineOptions): BaselineEntry {
  const tf = o.timeframe ?? o.candles.timeframe;
  const inRange = (o.restarts ?? []).filter((r) => r.at > o.range.from && r.at < o.range.to);
  const stretches = [o.rule ?? PLAIN_SCHEDULE, ...inRange.map((r) => r.rule)];
  const ruled = stretches.some((r) => !isPlainSchedule(r));
  const one = new Set(stretches.map(scheduleText)).size === 1;
  const rule = ruled && one ? scheduleOf(stretches[0]) : undefined;
  const foldRules = ruled && !one ? stretches.map(scheduleOf) : undefined;
  const restarts = ruled ? inRange : [];
  // no margin: random has no value estimates to hold it to
  const ruleText =
    (rule
      ? `, under the strategy's decision rule: ${scheduleText(rule)} (no margin)`
      : foldRules
        ? `, under each fold's agent's decision rule (no margin): ` +
          foldRules.map((r, i) => `fold ${i + 1} ${scheduleText(r)}`).join('; ')
        : '') +
    (restarts.length
      ? `, its gate new at each of the ${restarts.length + 1} folds' test windows as each agent's is`
      : '') +
    (ruled ? phaseText(stretches, restarts.length > 0) : '');
  const randomRuns: Metrics[] = [];
  let first: BacktestResult | undefined;
  const rejected = noRefusals();
  for (let s = 0; s < o.randomSeeds; s++) {
    const seed = randomBaselineSeed(o.seed, s);
    const coin = randomPolicy(seed, o.sizing.kind === 'target');
    const r = runOn(o, ruled ? underSchedule(coin, stretches[0], restarts, randomPhase(seed)) : coin, o.sizing);
    first ??= r;
    randomRuns.push(computeMetrics(r, tf));
    for (const why of REJECT_REASONS) rejected[why] += r.rejected[why];
  }
  const { mean, sd } = meanAndSd(randomRuns);
  const seeds = `mean ± sd over ${o.randomSeeds} seeds`;
  return {
    description: `uniformly random buy/sell/hold, ${seeds}${ruleText}${sizedText(o.sizing)}`,
    sizing: sizingText(o.sizing),
    metrics: mean,
    sd,
    seeds: o.randomSeeds,
    ...(rule ? { rule } : {}),
    ...(foldRules ? { foldRules } : {}),
    runs: randomRuns,
    equity: first?.equity ?? new Float64Array(0),
    trades: first?.trades ?? [],
    rejected,
  };
}

/**
 * What random's phase (rule-policies.ts randomPhase) is in words: its first decision after a uniformly random part of
 * one holding period, in candles (decision candles when `every` > 1); empty when no stretch has a holding period.
 */
function phaseText(stretches: readonly ScheduleRule[], folds: boolean): string {
  const spans = new Set(
    stretches
      .map((r) => ({ n: Math.ceil(r.minHold / r.every), unit: r.every > 1 ? 'decision candles' : 'candles' }))
      .filter((p) => p.n > 1)
      .map((p) => `0–${p.n - 1} ${p.unit}`),
  );
  if (!spans.size) return '';
  const span = spans.size === 1 ? `a random ${[...spans][0]}` : "a random part of its fold's holding period";
  return `, its first decision${folds ? ' in each fold' : ''} after ${span}, so seeds differ in phase`;
}

function noRefusals(): Record<RejectReason, number> {
  return Object.fromEntries(REJECT_REASONS.map((why) => [why, 0])) as Record<RejectReason, number>;
}

function runOn(o: BaselineOptions, policy: Policy, sizing: SizingOptions): BacktestResult {
  const { candles, range, costs, balance } = o;
  return runBacktest({ candles, window: 0, range, costs, balance, sizing, policy });
}

/** With the default all-in sizing every baseline trades all-in and the descriptions need not say so. */
function sizedText(sizing: SizingOptions): string {
  return sizing.kind === 'all' ? '' : `; sized as the strategy is (${sizingText(sizing)})`;
}

/**
 * Buy-and-hold, always flat, random actions (mean ± sd over seeds; under the strategy's decision rule when it has
 * one) and SMA(20/50) crossover, all on the same engine.
 */
export function runBaselines(o: BaselineOptions): Baselines {
  const tf = o.timeframe ?? o.candles.timeframe;
  const own = sizingText(o.sizing);
  const single = (description: string, policy: Policy, sizing: SizingOptions, text: string): BaselineEntry => {
    const r = runOn(o, policy, sizing);
    const { equity, trades, rejected } = r;
    return { description, sizing: text, metrics: computeMetrics(r, tf), equity, trades, rejected: { ...rejected } };
  };
  const sized = sizedText(o.sizing);
  return {
    buy_and_hold: single(
      `buy everything at the first decision, hold to the end${sized ? '; all-in, whatever the strategy sizes' : ''}`,
      buyAndHoldPolicy(),
      { kind: 'all' },
      sizingText({ kind: 'all' }),
    ),
    flat: single('never trade (cash only)', flatPolicy(), o.sizing, NO_SIZING),
    random: randomBaseline(o),
    sma_cross: single(
      `long while SMA(20) > SMA(50) of closes${sized}`,
      smaCrossPolicy(o.candles, 20, 50),
      o.sizing,
      own,
    ),
  };
}

/**
 * Mean and sample sd of every numeric metric over several runs (nested counts averaged too). A metric with fewer
 * than two values has no sd (absent; the report prints "–"): one run says nothing about the spread. An infinite value
 * (a profit factor without losing sells) makes the mean infinite and leaves no sd; it is not dropped, which would
 * report the mean of the other runs, or NaN when every run had one.
 */
export function meanAndSd(runs: readonly Metrics[]): { mean: Metrics; sd: Partial<Record<keyof Metrics, number>> } {
  const first = runs[0];
  const mean = structuredClone(first);
  const sd: Partial<Record<keyof Metrics, number>> = {};
  const k = runs.length;
  for (const key of Object.keys(first) as (keyof Metrics)[]) {
    const v = first[key];
    if (typeof v === 'number') {
      const xs = runs.map((r) => r[key] as number).filter((x) => !Number.isNaN(x));
      const m = meanOf(xs);
      (mean as unknown as Record<string, number>)[key] = m;
      if (xs.length > 1 && Number.isFinite(m)) sd[key] = Math.sqrt(sampleVariance(xs));
    } else if (typeof v === 'object') {
      const out: Record<string, number> = {};
      for (const sub of Object.keys(v)) {
        out[sub] = runs.reduce((a, r) => a + (r[key] as Record<string, number>)[sub], 0) / k;
      }
      (mean as unknown as Record<string, unknown>)[key] = out;
    }
  }
  return { mean, sd };
}

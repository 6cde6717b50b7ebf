/**
 * Hand-checked numbers of `bot backtest` on tiny series through the real engine (runBacktest, computeMetrics) and the
 * report's JSON: the cases an audit of the report found wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import type { Decision, Policy } from '../../src/core/policy.ts';
import { runBacktest, type BacktestResult } from '../../src/market/backtest-engine.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { agentReport, type SeedRun } from '../../src/backtest/agent-report.ts';
import { meanAndSd, runBaselines } from '../../src/backtest/baselines.ts';
import { selectionOptions } from '../../src/agents/selection.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';

const DAY = 86_400_000;

/** Daily candles opening and closing at the given prices, from 2024-01-01. */
function series(opens: readonly number[], closes: readonly number[] = opens): Candles {
  const rows = opens.map((open, i) => {
    const close = closes[i];
    return { ts: Date.UTC(2024, 0, 1) + i * DAY, open, high: Math.max(open, close), low: Math.min(open, close), close };
  });
  return candlesFromRows(
    'test',
    'BTC/KRW',
    '1d',
    rows.map((r) => ({ ...r, volume: 1 })),
  );
}

/** A policy that plays the given decisions in order (then holds). */
function scripted(decisions: readonly Decision[]): Policy {
  let k = 0;
  return { name: 'scripted', decide: () => decisions[k++] ?? { action: 'hold', confidence: 0 } };
}

test(`target sizing: a sell whose remainder would be below the minimum order sells everything (no unsellable \
dust left to count as exposure)`, () => {
  // Upbit KRW: 5,000 KRW minimum order; at 1e8 KRW a unit, target 0.03% of 10M KRW would leave 3,000 KRW held
  const candles = series([1e8, 1e8, 1e8, 1e8, 1e8]);
  const target = (targetPosition: number): Decision => ({ action: 'hold', confidence: 1, targetPosition });
  const r = runBacktest({
    candles,
    window: 0,
    range: { from: 0, to: 5 },
    costs: COST_PRESETS['upbit-krw'],
    balance: 10_000_000,
    sizing: { kind: 'target' },
    policy: scripted([target(1), target(0.0003), target(0), target(0)]),
  });
  assert.deepEqual(
    r.trades.map((t) => t.side),
    ['buy', 'sell'],
  );
  assert.equal(r.trades[1].unitsAfter, 0, 'the sell leaves nothing behind');
  assert.deepEqual(
    [...r.positions].map((u) => u > 0),
    [false, true, false, false, false],
  );
  assert.equal(computeMetrics(r).exposure, 1 / 5);
});

// bought at 100, sold at 120 (one winning sell, no losing one), or sold at 90 (one losing sell)
const roundTrip = (sellAt: number) =>
  runBacktest({
    candles: series([100, 100, sellAt, sellAt]),
    window: 0,
    range: { from: 0, to: 4 },
    costs: COST_PRESETS['upbit-krw'],
    balance: 1_000_000,
    sizing: { kind: 'all' },
    policy: scripted([
      { action: 'buy', confidence: 1 },
      { action: 'sell', confidence: 1 },
    ]),
  });

const recipe = dqnDnn.recipe;
const run = (seed: number, test: BacktestResult): SeedRun => ({
  fold: 0,
  seed,
  training: {
    epochs: [],
    bestEpoch: 1,
    bestSharpe: 0,
    bestScore: 0,
    bestMargin: 0,
    stoppedEarly: false,
    seconds: 0,
    summaries: [],
  },
  test,
  metrics: computeMetrics(test),
  validationScore: 0,
  testScore: 0,
  margin: 0,
  rule: { every: 1, minHold: 0 },
  engines: { single: 'js-forward', batch: 'tfjs', train: 'tfjs', refused: {} },
});

test(`an agent report keeps a profit factor without losing sells as "Infinity" in report.json (runs, walk-forward \
and their mean, as its headline metrics do): JSON would write null, and the mean dropped it`, () => {
  const won = roundTrip(120);
  const lost = roundTrip(90);
  assert.deepEqual([computeMetrics(won).profitFactor, computeMetrics(lost).profitFactor], [Infinity, 0]);
  const runs = [run(1, won), run(2, lost)];
  const summary = meanAndSd(runs.map((r) => r.metrics));
  assert.equal(summary.mean.profitFactor, Infinity, 'the mean of Infinity and 0 is not 0');
  assert.equal(summary.sd.profitFactor, undefined);
  const range = { from: 0, to: 4 };
  const { extra } = agentReport({
    ...{ strategyName: 'dqn-dnn', seriesLabel: 'test', recipe, epochs: 1, seeds: 2, baseSeed: 1, runs, summary },
    folds: [{ index: 0, train: range, validation: range, test: range }],
    splits: [{ train: [range], validation: [range], excluded: [] }],
    ...{ walk: won, headline: won, headlineMetrics: runs[0].metrics },
    ...{ selection: selectionOptions(recipe, 0), ensembleRuns: [], modelDir: 'models/x', backendName: 'cpu' },
    ...{ images: [], span: () => '' },
  });
  type Stored = { metrics: { profitFactor: unknown } };
  const stored = JSON.parse(JSON.stringify(extra.json)) as {
    agent: { runs: Stored[]; walkForward: Stored; mean: { profitFactor: unknown } };
  };
  assert.deepEqual(
    stored.agent.runs.map((r) => r.metrics.profitFactor),
    ['Infinity', 0],
  );
  assert.equal(stored.agent.walkForward.metrics.profitFactor, 'Infinity');
  assert.equal(stored.agent.mean.profitFactor, 'Infinity');
});

test(`an agent report shows the training segments and validation windows training used (the purged split, not the \
fold's two spans) in Splits and report.json, and one run's caveat in report.html as on the console`, () => {
  const won = roundTrip(120);
  const fold = { index: 0, train: { from: 0, to: 2 }, validation: { from: 2, to: 3 }, test: { from: 3, to: 4 } };
  const split = {
    train: [{ from: 0, to: 1 }],
    validation: [
      { from: 1, to: 2 },
      { from: 2, to: 3 },
    ],
    excluded: [],
  };
  const runs = [run(1, won)];
  const { extra } = agentReport({
    ...{ strategyName: 'dqn-dnn', seriesLabel: 'test', recipe, epochs: 1, seeds: 1, baseSeed: 1, runs },
    ...{ folds: [fold], splits: [split], summary: meanAndSd(runs.map((r) => r.metrics)) },
    ...{ headline: won, headlineMetrics: runs[0].metrics },
    ...{ selection: selectionOptions(recipe, 0), ensembleRuns: [], modelDir: 'models/x', backendName: 'cpu' },
    ...{ images: [], span: (r: { from: number; to: number }) => `${r.from}-${r.to}` },
  });
  const splits = extra.sections?.find((x) => x.title === 'Splits');
  // before: the fold's spans, train 0-2 and validation 2-3
  assert.deepEqual(splits?.tables?.[0].rows, [[1, '0-1', '1-2, 2-3', '3-4']]);
  const json = extra.json as { agent: { folds: { trainingSegments: unknown; validationWindows: unknown }[] } };
  assert.deepEqual(json.agent.folds[0].trainingSegments, split.train);
  assert.deepEqual(json.agent.folds[0].validationWindows, split.validation);
  const oneRun = extra.sections?.find((x) => x.title === 'One run');
  assert.match(oneRun?.text ?? '', /^one run \(one seed on one test window\): no spread to judge it by/);
});

/** Per-candle returns of an equity curve, as computeMetrics takes them. */
const returnsOf = (equity: Float64Array) => [...equity].slice(1).map((v, i) => v / equity[i] - 1);

test(`a run that only rose has Sortino and Calmar Infinity, not 0 ("no risk-adjusted return"); a flat run has 0, \
and one losing candle makes them finite`, () => {
  const baselines = runBaselines({
    ...{
      candles: series([100, 110, 121, 133.1, 146.41]),
      range: { from: 0, to: 5 },
      costs: COST_PRESETS.zero,
      balance: 1000,
    },
    ...{ sizing: { kind: 'all' }, randomSeeds: 1, seed: 1 },
  });
  // bought at the second candle's open (110): 0%, then +10% three times; no negative return, no drawdown
  const up = returnsOf(baselines.buy_and_hold.equity);
  up.forEach((r, i) => assert.ok(Math.abs(r - [0, 0.1, 0.1, 0.1][i]) < 1e-9, `return ${i}: ${r}`));
  const held = baselines.buy_and_hold.metrics;
  assert.equal(held.maxDrawdown, 0);
  assert.ok(held.annualReturn > 0 && held.sharpe > 0);
  assert.deepEqual([held.sortino, held.calmar], [Infinity, Infinity]);
  const flat = baselines.flat.metrics;
  assert.deepEqual([flat.sortino, flat.calmar], [0, 0], 'no gain and no risk is 0');
  // the same run with a 5% dip on the fourth candle: returns 0, +10%, -5%, +10%·121/115 …
  const dipped = runBacktest({
    ...{ candles: series([100, 110, 121, 115, 146.41]), window: 0, range: { from: 0, to: 5 } },
    ...{
      costs: COST_PRESETS.zero,
      balance: 1000,
      sizing: { kind: 'all' },
      policy: scripted([{ action: 'buy', confidence: 1 }]),
    },
  });
  const rs = returnsOf(dipped.equity);
  const m = computeMetrics(dipped);
  const mean = rs.reduce((a, b) => a + b) / rs.length;
  const downside = Math.sqrt((115 / 121 - 1) ** 2 / rs.length);
  assert.ok(Math.abs(m.sortino / ((mean / downside) * Math.sqrt(365)) - 1) < 1e-9, `Sortino ${m.sortino}`);
  assert.ok(Math.abs(m.calmar / (m.annualReturn / (1 - 115 / 121)) - 1) < 1e-9, `Calmar ${m.calmar}`);
});

/**
 * The random baseline follows the strategy's decision rule (issue 13): a coin-flipper that may switch only on the
 * agent's decision candles and keeps a position `minHold` candles, so the random bar is not a fee bar. Real engine,
 * synthetic candles (the report's record of the rule: baseline-sizing.test.ts). Over a chained walk-forward its gate
 * starts over at each fold, as each fold's agent's does.
 */
import '../helpers/state-dir.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBaselines } from '../../src/backtest/baselines.ts';
import { stitchResults } from '../../src/backtest/stitch.ts';
import { recipeSchedule } from '../../src/agents/setup.ts';
import { underSchedule } from '../../src/agents/decision-rule.ts';
import { randomPhase, randomPolicy } from '../../src/agents/rule-policies.ts';
import { runBacktest, type BacktestResult } from '../../src/market/backtest-engine.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';
import finrlDnn from '../../strategies/finrl-dnn.ts';

const candles = syntheticCandles({ seed: 8, count: 400, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
const range = { from: 60, to: 400 };
const costs = COST_PRESETS['upbit-krw'];
const balance = 10_000_000;
const base = { candles, range, costs, balance, sizing: { kind: 'all' as const }, randomSeeds: 5, seed: 3 };
const HOUR = 3_600_000;

test(`random under a rule of every 4 and minHold 10: every seed trades only on the 4-hour grid and keeps a position \
at least 10 candles; the description and the entry say which rule`, () => {
  const b = runBaselines({ ...base, rule: { every: 4, minHold: 10 } });
  // fills at least 12 candles apart (10, rounded up to the grid): at most one per 12 candles of the range
  const most = Math.floor((range.to - range.from) / 12) + 1;
  for (const [s, m] of b.random.runs!.entries()) assert.ok(m.trades <= most, `seed ${s}: ${m.trades} fills`);
  const fills = b.random.trades;
  assert.ok(fills.length >= 5, `the first seed trades (${fills.length} fills)`);
  for (const f of fills) assert.equal(f.ts % (4 * HOUR), 0, `fill at ${new Date(f.ts).toISOString()}: off the grid`);
  for (let i = 1; i < fills.length; i++) assert.ok(fills[i].index - fills[i - 1].index >= 10, `fill ${i}`);
  assert.match(b.random.description, /under the strategy's decision rule: every 4, minHold 10 \(no margin\)/);
  assert.deepEqual(b.random.rule, { every: 4, minHold: 10 });
});

test('a holding period alone (every candle, minHold 7): fills at least 7 candles apart', () => {
  const plain = runBaselines(base).random.trades;
  assert.ok(
    plain.some((f, i) => i > 0 && f.index - plain[i - 1].index < 7),
    'without the rule some fills are closer',
  );
  const fills = runBaselines({ ...base, rule: { every: 1, minHold: 7 } }).random.trades;
  assert.ok(fills.length >= 5, `${fills.length} fills`);
  for (let i = 1; i < fills.length; i++) assert.ok(fills[i].index - fills[i - 1].index >= 7, `fill ${i}`);
});

test(`a plain rule (every 1, minHold 0 or 1) changes nothing; buy-and-hold, flat and SMA cross ignore the rule`, () => {
  const none = runBaselines(base);
  for (const rule of [
    { every: 1, minHold: 0 },
    { every: 1, minHold: 1 },
  ]) {
    const b = runBaselines({ ...base, rule });
    assert.deepEqual(b.random.runs, none.random.runs);
    assert.equal(b.random.description, none.random.description);
    assert.equal(b.random.rule, undefined);
  }
  const ruled = runBaselines({ ...base, rule: { every: 4, minHold: 10 } });
  for (const name of ['buy_and_hold', 'flat', 'sma_cross'] as const)
    assert.deepEqual(ruled[name].metrics, none[name].metrics, name);
  assert.notDeepEqual(ruled.random.runs, none.random.runs);
});

test(`the rule a recipe's agents trade by: dqn-dnn's minHold 48; with learnerChoice the loosest of the candidates'; \
none for finrl-dnn`, () => {
  assert.deepEqual(recipeSchedule(dqnDnn.recipe), { every: 1, minHold: 48 });
  assert.deepEqual(recipeSchedule(finrlDnn.recipe), { every: 1, minHold: 0 });
  const candidates = finrlDnn.recipe.learnerChoice!.candidates;
  const choice = {
    candidates: [
      { ...candidates[0], decision: { minHold: 24, every: 4 } },
      { ...candidates[1], decision: { minHold: 6, every: 2 } },
    ],
  };
  assert.deepEqual(recipeSchedule({ ...finrlDnn.recipe, learnerChoice: choice }), { every: 2, minHold: 6 });
});

test(`over a chained walk-forward (restarts at the later folds' first test candles) each seed of random equals its \
folds traded one after another on one account, each with a new gate as each fold's agent; one gate throughout \
differs`, () => {
  const rule = { every: 1, minHold: 48 };
  const restarts = [180, 290];
  const chained = runBaselines({ ...base, rule, restarts: restarts.map((at) => ({ at, rule })) }).random;
  const oneGate = runBaselines({ ...base, rule }).random;
  // the folds as agent-backtest.ts chains them: each to the next one's first candle, where its last decision fills
  const bounds = [range.from, ...restarts, range.to];
  for (let s = 0; s < base.randomSeeds; s++) {
    const seed = base.seed * 7919 + s;
    const coin = randomPolicy(seed);
    const parts: BacktestResult[] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const to = k + 2 < bounds.length ? bounds[k + 1] + 1 : bounds[k + 1];
      parts.push(
        runBacktest({
          ...base,
          window: 0,
          range: { from: bounds[k], to },
          policy: underSchedule(coin, rule, [], randomPhase(seed)),
          startState: parts[k - 1]?.endState,
        }),
      );
    }
    assert.deepEqual(chained.runs![s], computeMetrics(stitchResults(parts, 'random'), candles.timeframe), `seed ${s}`);
  }
  // before: one gate held a position bought late in a fold into the next one
  assert.notDeepEqual(chained.runs, oneGate.runs);
  assert.match(chained.description, /minHold 48 \(no margin\), its gate new at each of the 3 folds' test windows/);
  assert.deepEqual(chained.rule, rule);
});

test(`under minHold 48 each seed of random starts at its own phase (a random 0–47 candles before its first decision): \
the seeds' first fills spread over the holding period and their trade counts differ (before: a fresh gate let \
every seed's first buy through within a few candles and minHold forced the same long/flat cycle on all)`, () => {
  const long = syntheticCandles({ seed: 8, count: 700, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const rule = { every: 1, minHold: 48 };
  const o = { ...base, candles: long, range: { from: 60, to: 700 }, randomSeeds: 10, rule };
  const b = runBaselines(o);
  const firstFills = Array.from({ length: o.randomSeeds }, (_, s) => {
    const seed = o.seed * 7919 + s;
    const policy = underSchedule(randomPolicy(seed), rule, [], randomPhase(seed));
    return runBacktest({ ...o, window: 0, policy }).trades[0].index;
  });
  const spread = Math.max(...firstFills) - Math.min(...firstFills);
  assert.ok(spread > 20, `first fills at candles ${firstFills.join(', ')}`);
  // before: 13 fills on every seed (sd 0)
  assert.ok((b.random.sd?.trades ?? 0) > 0.3, `trades sd ${b.random.sd?.trades}`);
  assert.match(b.random.description, /, its first decision after a random 0–47 candles, so seeds differ in phase/);
});

test('random under a rule: the same seed gives the same run, a phase per seed and fold start', () => {
  const rule = { every: 1, minHold: 48 };
  const restarts = [{ at: 200, rule }];
  const a = runBaselines({ ...base, rule, restarts });
  const b = runBaselines({ ...base, rule, restarts });
  assert.deepEqual(b.random.runs, a.random.runs);
  assert.deepEqual(b.random.trades, a.random.trades);
  assert.deepEqual(Array.from(b.random.equity), Array.from(a.random.equity));
  // one policy run twice (a new run goes back in time): the second run starts over, phase and gate
  const policy = underSchedule(randomPolicy(7919), rule, restarts, randomPhase(7919));
  const once = runBacktest({ ...base, window: 0, policy }).trades;
  assert.deepEqual(runBacktest({ ...base, window: 0, policy }).trades, once);
  const phase = randomPhase(7919);
  const at = (k: number) => Date.UTC(2024, 0, 1) + k * HOUR;
  const starts = Array.from({ length: 40 }, (_, k) => phase(at(k), rule));
  assert.deepEqual(
    starts,
    Array.from({ length: 40 }, (_, k) => randomPhase(7919)(at(k), rule)),
  );
  assert.ok(new Set(starts).size > 10 && starts.every((p) => p >= 0 && p < 48), `phases ${starts.join(', ')}`);
  assert.equal(phase(Date.UTC(2024, 0, 1), { every: 1, minHold: 0 }), 0);
});

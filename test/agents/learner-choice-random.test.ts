/**
 * With `learnerChoice` (FinRL's ensemble strategy) each fold trades the rule of the learner chosen on its validation
 * windows, so the random baseline of `bot backtest` follows that fold's rule (issue 13, like for like): in the chained
 * headline (a new gate per fold, under that fold's rule), in the same-windows columns and when a stored report is
 * summarised again; the report names the rule of each fold. Real training (wasm, one epoch) on synthetic candles.
 */
import '../helpers/state-dir.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { runAgentBacktest } from '../../src/backtest/agent-backtest.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { randomBaseline } from '../../src/backtest/baselines.ts';
import { parseWalkForwardReport, summarizeWalkForward } from '../../src/backtest/walk-forward-summary.ts';
import { recipeCosts, recipeSchedule } from '../../src/agents/setup.ts';
import { quietLogger, testConfig } from './helpers.ts';

const dqn = { kind: 'dqn', batchSize: 32, trainEvery: 16, warmup: 64 } as const;
const MIN_HOLD = 30;
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 3,
  network: { kind: 'dnn', hidden: [16], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: dqn,
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  // the same learner under two holding periods: which one trades a fold is up to its validation windows
  learnerChoice: {
    candidates: [
      { learner: dqn, decision: { minHold: MIN_HOLD } },
      { learner: dqn, decision: { minHold: 0 } },
    ],
  },
};

before(async () => {
  await initBackend('wasm');
});

test(`learnerChoice: the random baseline trades each fold under the rule of the learner chosen there (no two of its \
fills in a fold closer than that fold's minHold), in the headline, the same-windows columns and a re-summarised \
report, and the report names each fold's rule`, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'learner-choice-random-'));
  // data and seed picked so the choice differs across the folds: fold 1 minHold 0, folds 2 and 3 minHold 30
  const candles = syntheticCandles({ seed: 13, count: 700, sine: { period: 40, amplitude: 0.05 } });
  const settings = testConfig({ modelsDir: path.join(dir, 'models'), maxCandles: 0 });
  const res = await runAgentBacktest({
    settings,
    series: { candles, label: 'synthetic SYN/KRW 1h', origin: 'file' },
    strategy: { kind: 'agent', name: 'tiny-choice', description: 'test', recipe },
    flags: { epochs: 1, folds: 3, out: path.join(dir, 'run'), name: 'tiny-choice' },
    logger: quietLogger(),
  });
  // each fold's chosen candidate (`dqn#<i>`) and its rule
  const rules = res.runs.map((r) => {
    const minHold = recipe.learnerChoice!.candidates[Number(r.choice!.chosen.split('#')[1]) - 1].decision!.minHold!;
    return { every: 1, minHold };
  });
  assert.deepEqual(
    rules.map((r) => r.minHold),
    [0, MIN_HOLD, MIN_HOLD],
    `the folds chose differently: ${JSON.stringify(res.runs.map((r) => r.choice))}`,
  );
  assert.deepEqual(recipeSchedule(recipe), { every: 1, minHold: 0 }, 'the loosest rule, which random used before');

  // the headline: the folds' test windows chained, random's gate new at each under that fold's chosen rule
  const tests = res.report.extra!.agent as unknown as { folds: { test: { from: number; to: number } }[] };
  const starts = tests.folds.map((f) => f.test.from);
  const gateOf = (fillIndex: number) => starts.filter((s) => s <= fillIndex - 1).length - 1;
  const fills = res.baselines.random.trades;
  const close = [0, 0, 0];
  const pairs = [0, 0, 0];
  for (let i = 1; i < fills.length; i++) {
    const k = gateOf(fills[i].index);
    if (k !== gateOf(fills[i - 1].index)) continue;
    const apart = fills[i].index - fills[i - 1].index;
    pairs[k]++;
    if (apart < MIN_HOLD) close[k]++;
    assert.ok(apart >= rules[k].minHold, `fold ${k + 1}: fills ${apart} candles apart under ${rules[k].minHold}`);
  }
  // before: every fold under the loosest candidate's rule (minHold 0); fold 1's own rule still lets it trade often
  assert.ok(close[0] > 0, 'fold 1 (minHold 0) has fills closer than 30');
  assert.ok(pairs[1] > 0 && pairs[2] > 0, `folds 2 and 3 have fills to compare: ${pairs}`);
  const foldRules = rules;
  assert.deepEqual(
    res.runs.map((r) => r.rule),
    foldRules,
    'each run names the rule it traded by',
  );
  assert.deepEqual(res.report.baselines.random.foldRules, foldRules);
  assert.equal(res.report.baselines.random.rule, undefined);
  assert.match(res.baselines.random.description, /fold 1 every 1, minHold 0; fold 2 every 1, minHold 30; fold 3/);

  // the same-windows columns: random on each fold's test window under that fold's rule
  const runs = res.report.extra!.agent as unknown as { runs: { rule: unknown }[]; sameWindows: Same };
  type Same = { random: { trades: { mean: number } }; randomRules?: unknown };
  assert.deepEqual(
    runs.runs.map((r) => r.rule),
    foldRules,
  );
  const perWindow = tests.folds.map((f, k) =>
    randomBaseline({
      candles,
      range: f.test,
      costs: recipeCosts(recipe, settings.account),
      balance: settings.account.balance,
      sizing: { kind: 'all' },
      rule: rules[k],
      randomSeeds: settings.backtest.randomSeeds,
      seed: settings.backtest.seed,
    }),
  );
  const trades = perWindow.flatMap((b) => b.runs!.map((m) => m.trades));
  const same = runs.sameWindows;
  assert.equal(same.random.trades.mean, trades.reduce((a, b) => a + b, 0) / trades.length);
  assert.deepEqual(same.randomRules, [
    { run: 'f1', rule: foldRules[0] },
    { run: 'f2', rule: foldRules[1] },
    { run: 'f3', rule: foldRules[2] },
  ]);
  // the scripts' summary of the stored report: the same random, from each run's stored rule
  const again = summarizeWalkForward(parseWalkForwardReport(JSON.stringify(res.report), 'report'), candles);
  assert.deepEqual(again.baselines.random.trades, same.random.trades);
});

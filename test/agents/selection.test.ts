/**
 * Selection that predicts the test (issue 13): purged and embargoed validation windows (no training row, and no
 * step of a training environment, inside a window or its excluded zones), the validation score with its turnover
 * charge on a hand-computed case, and the rank correlation.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { purgedSplit, rankCorrelation, validationScore } from '../../src/agents/selection.ts';
import { prepareData, recipeSelection, segmentEnvs, trainingPieces } from '../../src/agents/setup.ts';
import { recipeReach, recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { computeFeatures, featureReach } from '../../src/features/index.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import type { BacktestResult, Trade } from '../../src/market/backtest-engine.ts';
import type { Costs } from '../../src/market/costs.ts';
import { Rng } from '../../src/core/random.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import { testConfig, trainQuietly } from './helpers.ts';

const fold: Fold = {
  index: 0,
  train: { from: 150, to: 1350 },
  validation: { from: 1350, to: 1650 },
  test: { from: 1650, to: 1950 },
};

before(async () => {
  await initBackend('wasm');
});

function inside(i: number, ranges: readonly { from: number; to: number }[]): boolean {
  return ranges.some((r) => i >= r.from && i < r.to);
}

test('purged split: windows of equal length, purge before and embargo after each, no training row in either', () => {
  const s = purgedSplit(fold, { windows: 3, purge: 12, embargo: 7 });
  assert.equal(s.validation.length, 3);
  for (const w of s.validation) assert.equal(w.to - w.from, 100);
  assert.equal(s.validation[2].to, fold.validation.to);
  // every candle of the span is training, validation or excluded, exactly once
  for (let i = fold.train.from; i < fold.validation.to; i++) {
    const n = [s.train, s.validation, s.excluded].filter((rs) => inside(i, rs)).length;
    assert.equal(n, 1, `candle ${i}`);
  }
  for (const w of s.validation) {
    for (let i = w.from - 12; i < w.from; i++) assert.ok(inside(i, s.excluded) && !inside(i, s.train), `purged ${i}`);
    if (w.to < fold.validation.to)
      for (let i = w.to; i < w.to + 7; i++) assert.ok(inside(i, s.excluded) && !inside(i, s.train), `embargoed ${i}`);
  }
  // one window, no purge: the plain chronological split
  assert.deepEqual(purgedSplit(fold, { windows: 1, purge: 0, embargo: 0 }), {
    train: [fold.train],
    validation: [fold.validation],
    excluded: [],
  });
  // too little data for 10 windows of ≥ 48 candles: fewer are used
  assert.ok(purgedSplit(fold, { windows: 10, purge: 0, embargo: 0 }).validation.length <= 6);
  // the count tried first is the most that fit (300 / 48 → 6): 1e12 tried every count down from it and hung
  const most = purgedSplit(fold, { windows: 6, purge: 0, embargo: 0 });
  assert.deepEqual(purgedSplit(fold, { windows: 1e12, purge: 0, embargo: 0 }), most);
});

test('training environments over a purged split never step a validation window or an excluded zone, mirrored or \
not', () => {
  const candles = syntheticCandles({ seed: 4, count: 2000 });
  const config = testConfig();
  const s = purgedSplit(fold, { windows: 3, purge: 12, embargo: 7 });
  const prepared = prepareData(SMALL_RECIPE, candles, s.train);
  assert.ok(recipeWarmup(SMALL_RECIPE) <= fold.train.from);
  const ppo: AgentRecipe = {
    ...SMALL_RECIPE,
    learner: { kind: 'ppo', envs: 5 },
  };
  const mirror = { augment: { mirror: true } };
  for (const recipe of [SMALL_RECIPE, ppo, { ...SMALL_RECIPE, ...mirror }, { ...ppo, ...mirror }]) {
    const label = `${recipe.learner.kind}${recipe.augment ? ' mirrored' : ''}`;
    const pieces = trainingPieces(recipe, prepared, s.train);
    assert.equal(pieces.length, s.train.length * (recipe.augment ? 2 : 1), `${label}: pieces`);
    const envs = segmentEnvs(recipe, config, pieces, 1);
    const rng = new Rng(9);
    const steps = { real: 0, mirrored: 0 };
    for (const env of envs) {
      for (let episode = 0; episode < 3; episode++) {
        let obs = env.reset();
        for (;;) {
          // the decision candle and the candle the step fills and marks at are both training rows
          assert.ok(inside(obs.t, s.train), `${label} decided at ${obs.t}`);
          // an observation's candles are copies cut at t, of the real series' prices or the mirror's
          const real = obs.candles.close[0] === candles.close[0] && obs.candles.close[obs.t] === candles.close[obs.t];
          steps[real ? 'real' : 'mirrored']++;
          const r = env.step(rng.int(3), 1);
          if (r.done) break;
          assert.ok(inside(r.observation.t, s.train), `${label} stepped to ${r.observation.t}`);
          obs = r.observation;
        }
      }
    }
    assert.ok(steps.real > 500, `${label}: ${steps.real} real steps`);
    if (!recipe.augment) assert.equal(steps.mirrored, 0, `${label}: no mirrored steps`);
    // DQN runs every piece once per episode: as many mirrored steps as real ones; PPO spreads its envs over them
    else if (recipe.learner.kind === 'dqn') assert.equal(steps.mirrored, steps.real, `${label}: mirrored steps`);
    else assert.ok(steps.mirrored > 500, `${label}: ${steps.mirrored} mirrored steps`);
  }
  // the scaler is fitted on the training segments' rows only
  assert.deepEqual(prepared.scaler?.fittedRows, [s.train[0].from, s.train[s.train.length - 1].to]);
});

test('PPO trains on every training segment when it has fewer environments than pieces (3 windows mirrored are 6 \
pieces, 4 envs): rewriting any one segment changes the trained weights', async () => {
  // the walk-selection audit: environment i took piece i mod 6, so the newest segment (real and mirrored) was never
  // stepped and rewriting its candles left the weights bit-identical
  const recipe: AgentRecipe = {
    ...SMALL_RECIPE,
    scaler: 'none', // a scaler fitted on every segment would move the weights whatever was stepped
    learner: { kind: 'ppo', envs: 4, rolloutSteps: 32, minibatchSize: 32, epochsPerRollout: 1 },
    decision: undefined,
    selection: { windows: 3, purge: 12, embargo: 12 },
    augment: { mirror: true },
  };
  const candles = syntheticCandles({ seed: 4, count: 2000 });
  const split = purgedSplit(fold, recipeSelection(recipe));
  assert.equal(split.train.length, 3);
  const weights = async (c: typeof candles) => {
    const agent = await trainQuietly({ recipe, name: 'ppo-pieces', candles: c, fold, seed: 1, epochs: 1 });
    const w = agent.learner.net.model.getWeights().map((t) => Array.from(t.dataSync()));
    agent.dispose();
    return w;
  };
  const base = await weights(candles);
  for (const [k, seg] of split.train.entries()) {
    const rewritten = structuredClone(candles);
    for (let i = seg.from; i < seg.to; i++) {
      const f = 1 + 0.3 * Math.sin(i);
      for (const col of [rewritten.open, rewritten.high, rewritten.low, rewritten.close]) col[i] *= f;
    }
    assert.notDeepEqual(await weights(rewritten), base, `segment ${k} ${JSON.stringify(seg)} was never trained on`);
  }
});

test('no training row sees a validation candle: rewriting the candles of every validation window leaves every \
training observation, scaler row and reward unchanged (the embargo reaches as far back as an observation does)', () => {
  const candles = syntheticCandles({ seed: 4, count: 2000 });
  const config = testConfig();
  // dqn-dnn's own selection: 3 windows, purge 24, embargo 24 asked; its observations reach 123 candles back
  const selection = recipeSelection(SMALL_RECIPE);
  assert.deepEqual([selection.embargoAsked, selection.lookback], [24, recipeWarmup(SMALL_RECIPE)]);
  assert.ok(selection.embargo >= selection.lookback && selection.lookback > 24);
  const s = purgedSplit(fold, selection);
  assert.equal(s.validation.length, 3);
  const rewritten = structuredClone(candles);
  for (const w of s.validation) {
    for (let i = w.from; i < w.to; i++) {
      const k = 1 + 0.2 * Math.sin(i);
      for (const col of [rewritten.open, rewritten.high, rewritten.low, rewritten.close]) col[i] *= k;
      rewritten.volume[i] *= 2 + Math.cos(i);
    }
  }
  // every observation and reward of three episodes over the training segments, under the same actions
  const trace = (c: typeof candles) => {
    const prepared = prepareData(SMALL_RECIPE, c, s.train);
    const [env] = segmentEnvs(SMALL_RECIPE, config, trainingPieces(SMALL_RECIPE, prepared, s.train), 1);
    const rng = new Rng(9);
    const seen: number[] = [];
    for (let episode = 0; episode < 3; episode++) {
      let obs = env.reset();
      for (;;) {
        seen.push(obs.t, ...obs.features, ...obs.state);
        const r = env.step(rng.int(3), 1);
        seen.push(r.reward);
        if (r.done) break;
        obs = r.observation;
      }
    }
    return { seen, scaler: prepared.scaler };
  };
  const a = trace(candles);
  const b = trace(rewritten);
  assert.ok(a.seen.length > 3000);
  assert.deepEqual(b.scaler, a.scaler);
  assert.deepEqual(b.seen, a.seen);
  // so the check can fail: with the recipe's own embargo of 24, rows just after a window see its candles
  const short = purgedSplit(fold, { ...selection, embargo: selection.embargoAsked });
  const w = short.validation[0];
  assert.ok(inside(w.to + 30, short.train));
  const row = (c: typeof candles) => {
    const p = prepareData(SMALL_RECIPE, c, short.train);
    return Array.from(p.data!.subarray((w.to + 30) * p.cols, (w.to + 31) * p.cols));
  };
  assert.notDeepEqual(row(rewritten), row(candles));
});

test(`recursive features: the embargo reaches until a window's candles weigh under 1% of the smoothed columns (EMA50's \
116 candles for 'ta'), where the warm-up alone left rows after it carrying the window`, () => {
  const recipe: AgentRecipe = { ...SMALL_RECIPE, features: 'ta' };
  const selection = recipeSelection(recipe);
  assert.equal(featureReach('ta'), 116);
  assert.equal(selection.lookback, 116 + recipe.window - 1);
  assert.deepEqual([recipeReach(recipe), recipeReach(SMALL_RECIPE)], [selection.lookback, recipeWarmup(SMALL_RECIPE)]);
  assert.ok(recipeWarmup(recipe) < selection.lookback, 'the warm-up (EMA50 full from candle 49) is shorter');
  const candles = syntheticCandles({ seed: 4, count: 2000 });
  const rewritten = structuredClone(candles);
  const split = purgedSplit(fold, selection);
  for (const w of split.validation) {
    for (let i = w.from; i < w.to; i++) {
      for (const col of [rewritten.open, rewritten.high, rewritten.low, rewritten.close]) col[i] *= 1.2;
      rewritten.volume[i] *= 2;
    }
  }
  const a = computeFeatures(candles, 'ta');
  const b = computeFeatures(rewritten, 'ta');
  // per column, the largest change on the training rows as a share of the column's largest change anywhere; the most
  // of any column
  const columnChange = (c: number, rows: readonly { from: number; to: number }[]) => {
    let most = 0;
    for (const r of rows)
      for (let i = r.from; i < r.to; i++)
        most = Math.max(most, Math.abs(a.data[i * a.cols + c] - b.data[i * a.cols + c]));
    return most;
  };
  const share = (rows: readonly { from: number; to: number }[]) => {
    let most = 0;
    for (let c = 0; c < a.cols; c++)
      most = Math.max(most, columnChange(c, rows) / columnChange(c, [{ from: 0, to: candles.ts.length }]));
    return most;
  };
  const warmupOnly = purgedSplit(fold, { ...selection, embargo: recipeWarmup(recipe) });
  assert.ok(share(split.train) < 0.01, `${share(split.train)}`);
  assert.ok(share(warmupOnly.train) > 0.05, `the warm-up's embargo: ${share(warmupOnly.train)}`);
});

test('validation score: Sharpe after costs less κ × the costs again, in Sharpe units (hand-computed)', () => {
  const day = 86_400_000;
  const equity = new Float64Array([100, 101, 99, 103, 104]);
  const trades: Trade[] = [
    {
      index: 11,
      ts: day,
      side: 'buy',
      price: 10,
      units: 10,
      gross: 100,
      fee: 0.1,
      tax: 0,
      realizedPnl: 0,
      cash: 0,
      unitsAfter: 10,
    },
    {
      index: 13,
      ts: 3 * day,
      side: 'sell',
      price: 10,
      units: 10,
      gross: 99,
      fee: 0.1,
      tax: 0.05,
      realizedPnl: -1,
      cash: 99,
      unitsAfter: 0,
    },
  ];
  const result = {
    equity,
    positions: new Float64Array(5).fill(1),
    timestamps: Float64Array.from([0, 1, 2, 3, 4], (i) => i * day),
    trades,
    feesPaid: 0.2,
    taxPaid: 0.05,
  };
  const m = computeMetrics(
    {
      ...result,
      actions: new Uint8Array(4),
      executed: new Uint8Array(4),
      rejected: {},
    } as unknown as BacktestResult,
    '1d',
  );
  const costs: Costs = {
    feeRate: 0.001,
    sellTax: 0,
    slippageBps: 10,
    minOrderValue: 1,
    quantityPrecision: 8,
  };
  assert.equal(validationScore(m, trades, equity, 10, costs, 0), m.sharpe);
  // costs as fractions of the equity at the close before each fill (candles 10 and 12 of a run starting at 10)
  const c1 = (0.1 + 100 * 0.001) / 100;
  const c2 = (0.1 + 0.05 + 99 * 0.001) / 99;
  const r = [101 / 100 - 1, 99 / 101 - 1, 103 / 99 - 1, 104 / 103 - 1];
  const mean = r.reduce((a, b) => a + b, 0) / 4;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
  const expected = ((mean - (c1 + c2) / 4) / sd) * Math.sqrt(m.periodsPerYear);
  assert.ok(Math.abs(m.sharpe - (mean / sd) * Math.sqrt(m.periodsPerYear)) < 1e-9);
  assert.ok(
    Math.abs(validationScore(m, trades, equity, 10, costs, 1) - expected) < 1e-9,
    `${validationScore(m, trades, equity, 10, costs, 1)} vs ${expected}`,
  );
});

test('rank correlation: Spearman with average ranks for ties', () => {
  assert.equal(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // ranks x 1,2,3,4 and y 1,2.5,2.5,4: ρ = Pearson of the ranks
  assert.ok(Math.abs(rankCorrelation([1, 2, 3, 4], [1, 5, 5, 9]) - 4.5 / Math.sqrt(5 * 4.5)) < 1e-12);
  assert.ok(Number.isNaN(rankCorrelation([1, 2], [1, 2])));
});

/**
 * Proof that the chart-image agent learns (issue 16): on a series whose only predictable move follows a shape in the
 * chart — two candles with long wicks and heavy volume, then a few candles of upward drift, while every close-to-close
 * return has the same law (test/agents/chart-pattern.ts) — a CNN+GRU over sequences of small OHLC images (the JKX
 * layout with MA and volume bars), trained by DQN through the real pipeline (renderer, TradingEnv, Account with costs),
 * must beat buy-and-hold and the random baseline on held-out candles by a clear margin for every seed; the control —
 * the very same closes with the signal candles drawn like any other — must not.
 * Images are kept small (16×15, 3 frames, 4/8 filters) so the test runs in well under a minute of CPU.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { runBaselines } from '../../src/backtest/baselines.ts';
import { trainOnFold } from '../../src/agents/train-fold.ts';
import { recipeCosts } from '../../src/agents/setup.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { quietLogger, testConfig } from './helpers.ts';
import { chartPatternCandles } from './chart-pattern.ts';

const COUNT = 1300;
const { candles, signals } = chartPatternCandles({ seed: 7, count: COUNT });
const control = chartPatternCandles({ seed: 7, count: COUNT, hideSignal: true }).candles;
const fold: Fold = {
  index: 0,
  train: { from: 30, to: 700 },
  validation: { from: 700, to: 900 },
  test: { from: 900, to: COUNT },
};
const config = testConfig();
const SEEDS = [1, 2, 3];

const recipe: AgentRecipe = {
  features: '',
  scaler: 'none',
  window: 0,
  image: { spec: 'ohlc:16x15:5', frames: 3 },
  network: { kind: 'cnnrnn', hidden: [4, 8], rnnUnits: 16, dropout: 0, batchNorm: false },
  learner: {
    kind: 'dqn',
    gamma: 0.9,
    learningRate: 2e-3,
    batchSize: 32,
    trainEvery: 8,
    warmup: 100,
    target: { kind: 'periodic', every: 50 },
    double: true,
  },
  exploration: { kind: 'linear', start: 0.5, end: 0.05 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
};

before(async () => {
  await initBackend('wasm');
});

const baselines = runBaselines({
  candles,
  range: fold.test,
  costs: recipeCosts(recipe, config.account),
  balance: config.account.balance,
  sizing: { kind: 'all' },
  randomSeeds: 10,
  seed: 1,
});
const buyHold = baselines.buy_and_hold.metrics.totalReturn;
const random = baselines.random.metrics.totalReturn;

test('the synthetic series hides the signal from the closes and makes buy-and-hold lose', () => {
  const inTest = signals.filter((s) => s >= fold.test.from && s < fold.test.to - 6);
  assert.ok(inTest.length >= 10, `enough signals in the test window (${inTest.length})`);
  // Close-to-close returns on signal candles and on the others have the same spread: the closes carry no signal.
  const ret = (i: number) => Math.log(candles.close[i] / candles.close[i - 1]);
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
  const onSignal = signals.flatMap((s) => [ret(s - 1), ret(s)]);
  const quiet = Array.from({ length: 600 }, (_, k) => ret(100 + k)).filter((_, k) => !signals.includes(100 + k));
  assert.ok(Math.abs(sd(onSignal) / sd(quiet) - 1) < 0.35, `return spread ${sd(onSignal)} vs ${sd(quiet)}`);
  assert.ok(buyHold < -0.05, `buy-and-hold loses on the test window (${buyHold})`);
});

/** Trains on the fold's training candles (epoch chosen on validation) and returns the held-out test return. */
async function testReturn(series: typeof candles, seed: number): Promise<number> {
  const agent = await trainOnFold({
    settings: config,
    recipe,
    strategyName: 'cnnrnn-dqn',
    candles: series,
    fold,
    seed,
    epochs: 4,
    logger: quietLogger(),
    label: 'chart-pattern',
  });
  try {
    return computeMetrics(agent.backtest(fold.test), series.timeframe).totalReturn;
  } finally {
    agent.dispose();
  }
}

test('CNN+GRU on OHLC images beat buy-and-hold and random every seed; with the signal hidden, not', async (t) => {
  const tensorsBefore = tf.memory().numTensors;
  const returns: number[] = [];
  for (const seed of SEEDS) returns.push(await testReturn(candles, seed));
  const hidden = await testReturn(control, SEEDS[0]);
  const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
  const detail =
    `CNN+GRU test returns ${returns.map(pct).join(', ')}; buy-and-hold ${pct(buyHold)}, random ${pct(random)}; ` +
    `signal hidden (same closes) ${pct(hidden)}`;
  t.diagnostic(detail);
  const better = Math.max(buyHold, random);
  for (const r of returns) assert.ok(r > better + 0.1, `${detail}: a seed does not beat both baselines by 10 points`);
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  assert.ok(mean > better + 0.2, `${detail}: mean not 20 points above the better baseline`);
  // The edge comes from the picture: with the signal candles drawn like the rest, the closes alone give far less.
  assert.ok(hidden < mean - 0.1, `${detail}: the control without the visible signal does as well`);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'training and disposing leaves no tensors behind');
});

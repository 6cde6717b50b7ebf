/**
 * Proof that the learners learn: on a synthetic series whose log price carries a sine (period 40 candles) on top of
 * a random walk, DQN-DNN and PPO, trained through the real pipeline (features, scaler fitted on train rows, the
 * TradingEnv and Account with Upbit costs), must beat buy-and-hold and the random baseline on held-out candles of
 * the same process, by a clear margin, for every one of several seeds.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { runBaselines } from '../../src/backtest/baselines.ts';
import { trainOnFold } from '../../src/agents/train-fold.ts';
import { recipeCosts } from '../../src/agents/setup.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { quietLogger, testConfig } from './helpers.ts';

const candles = syntheticCandles({ seed: 11, count: 1500, sine: { period: 40, amplitude: 0.06 } });
const fold: Fold = {
  index: 0,
  train: { from: 130, to: 900 },
  validation: { from: 900, to: 1100 },
  test: { from: 1100, to: 1500 },
};
const config = testConfig();
const SEEDS = [1, 2, 3];

const base = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 4,
  network: { kind: 'dnn', hidden: [32, 16], dropout: 0, batchNorm: false, activation: 'relu' },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
} satisfies Partial<AgentRecipe>;

const dqn: AgentRecipe = {
  ...base,
  learner: {
    kind: 'dqn',
    gamma: 0.9,
    learningRate: 1e-3,
    batchSize: 64,
    trainEvery: 8,
    warmup: 200,
    target: { kind: 'periodic', every: 50 },
    double: true,
  },
  exploration: { kind: 'linear', start: 0.5, end: 0.05 },
};
const ppo: AgentRecipe = {
  ...base,
  learner: {
    kind: 'ppo',
    action: 'discrete',
    envs: 4,
    gamma: 0.9,
    learningRate: 2e-3,
    rolloutSteps: 64,
    epochsPerRollout: 4,
    minibatchSize: 128,
    clip: 0.2,
    entropyCoef: 0.01,
  },
};

before(async () => {
  await initBackend('wasm');
});

const baselines = runBaselines({
  candles,
  range: fold.test,
  costs: recipeCosts(dqn, config.account),
  balance: config.account.balance,
  sizing: { kind: 'all' },
  randomSeeds: 10,
  seed: 1,
});
const buyHold = baselines.buy_and_hold.metrics.totalReturn;
const random = baselines.random.metrics.totalReturn;

async function testReturns(recipe: AgentRecipe, epochs: number): Promise<number[]> {
  const out: number[] = [];
  for (const seed of SEEDS) {
    const agent = await trainOnFold({
      settings: config,
      recipe,
      strategyName: recipe.learner.kind,
      candles,
      fold,
      seed,
      epochs,
      logger: quietLogger(),
      label: 'sine',
    });
    try {
      out.push(computeMetrics(agent.backtest(fold.test), candles.timeframe).totalReturn);
    } finally {
      agent.dispose();
    }
  }
  return out;
}

function assertBeats(name: string, returns: number[]): string {
  const detail =
    `${name} test returns ${returns.map((r) => (r * 100).toFixed(1) + '%').join(', ')}; ` +
    `buy-and-hold ${(buyHold * 100).toFixed(1)}%, random ${(random * 100).toFixed(1)}%`;
  for (const r of returns) {
    assert.ok(r > buyHold + 0.05, `${detail}: a seed does not beat buy-and-hold by 5 points`);
    assert.ok(r > random + 0.05, `${detail}: a seed does not beat random by 5 points`);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  assert.ok(mean > Math.max(buyHold, random) + 0.15, `${detail}: mean not 15 points above the better baseline`);
  return detail;
}

test('DQN-DNN finds the sine: beats buy-and-hold and random on held-out candles for every seed', async (t) => {
  const before = tf.memory().numTensors;
  t.diagnostic(assertBeats('DQN', await testReturns(dqn, 5)));
  assert.equal(tf.memory().numTensors, before, 'training and disposing leaves no tensors behind');
});

test('PPO finds the sine: beats buy-and-hold and random on held-out candles for every seed', async (t) => {
  t.diagnostic(assertBeats('PPO', await testReturns(ppo, 12)));
});

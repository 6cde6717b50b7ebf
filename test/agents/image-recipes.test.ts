/**
 * The shipped chart-image recipes (strategies/cnnrnn-dqn.ts, strategies/cnnrnn-ppo.ts) run through the whole
 * pipeline on a short synthetic series: images of their specs into the CNN+GRU, one epoch of their learner, a
 * backtest of the held-out candles, no tensors left behind (issue 16). Whether they learn is image-learns.test.ts's
 * job.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadStrategy } from '../../src/agents/strategy.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { parseImageSpec } from '../../src/chart/index.ts';
import { trainOnFold } from '../../src/agents/train-fold.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { quietLogger, testConfig } from './helpers.ts';

before(async () => {
  await initBackend('wasm');
});

for (const name of ['cnnrnn-dqn', 'cnnrnn-ppo']) {
  test(`${name}: the shipped recipe trains an epoch on its chart images and trades held-out candles`, async () => {
    const strategy = await loadStrategy(name);
    assert.equal(strategy.kind, 'agent');
    if (strategy.kind !== 'agent') return;
    const recipe = strategy.recipe;
    assert.equal(recipe.network.kind, 'cnnrnn');
    const spec = parseImageSpec(recipe.image!.spec);
    const first = recipeWarmup(recipe);
    const candles = syntheticCandles({ seed: 3, count: first + 300 });
    const fold: Fold = {
      index: 0,
      train: { from: first, to: first + 200 },
      validation: { from: first + 200, to: first + 250 },
      test: { from: first + 250, to: first + 300 },
    };
    const tensorsBefore = tf.memory().numTensors;
    const agent = await trainOnFold({
      settings: testConfig(),
      recipe,
      strategyName: name,
      candles,
      fold,
      seed: 1,
      epochs: 1,
      logger: quietLogger(),
      label: name,
    });
    try {
      const input = agent.learner.net.model.inputs[0].shape;
      assert.deepEqual(input, [null, recipe.image!.frames, spec.height, spec.width, spec.channels]);
      const result = agent.backtest(fold.test);
      assert.equal(result.equity.length, fold.test.to - fold.test.from);
      assert.ok(Array.from(result.equity).every(Number.isFinite));
    } finally {
      agent.dispose();
    }
    assert.equal(tf.memory().numTensors, tensorsBefore, 'training and disposing leaves no tensors behind');
  });
}

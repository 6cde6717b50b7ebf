/**
 * Every learner on every network kind keeps tf.memory().numTensors flat from epoch to epoch (training, greedy
 * decisions, batched forward passes) and leaves nothing behind once it and its networks are disposed: learners build
 * networks per fold, seed and retrain, so a few tensors lost per network add up over a sweep.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import type { NetworkSpec } from '../../src/nn/index.ts';
import { createNet } from '../../src/agents/setup.ts';
import { learnerOf } from '../../src/agents/learners/registry.ts';
import { createLearnerOf, findPortfolioBuild } from '../../src/agents/learners/factories.ts';
import type { LearnerRecipe } from '../../src/agents/learners/registry.ts';
import { EpochTrace } from '../../src/agents/learners/epoch-trace.ts';
import type { EnvStep, LearningEnv, PortfolioLearningEnv } from '../../src/agents/learning-env.ts';
import type { Observation } from '../../src/core/policy.ts';
import { inputSize, label, tinySpecs } from '../nn/helpers.ts';
import { SignalEnv } from './toy-env.ts';

before(async () => {
  await initBackend('wasm');
});

/** SignalEnv's one signal repeated over the network's whole input (window × features, or the image frames). */
class ShapedSignalEnv implements LearningEnv {
  readonly initialValue = 100;
  private readonly inner: SignalEnv;

  constructor(
    seed: number,
    private readonly spec: NetworkSpec,
  ) {
    this.inner = new SignalEnv(seed, 32);
  }

  private shape(o: Observation): Observation {
    const x = new Float32Array(inputSize(this.spec)).fill(o.features[0]);
    return this.spec.kind === 'cnnrnn'
      ? { ...o, features: new Float32Array(0), window: 1, cols: 0, images: x }
      : { ...o, features: x, window: this.spec.window, cols: this.spec.features };
  }

  reset(): Observation {
    return this.shape(this.inner.reset());
  }

  step(action: number, confidence: number, targetPosition?: number): EnvStep {
    const s = this.inner.step(action, confidence, targetPosition);
    return { ...s, observation: this.shape(s.observation) };
  }
}

const RECIPES = [
  { kind: 'dqn', warmup: 8, trainEvery: 2, batchSize: 8, target: { kind: 'periodic', every: 5 } },
  { kind: 'pg', rolloutSteps: 16 },
  { kind: 'a2c', rolloutSteps: 8 },
  { kind: 'ppo', rolloutSteps: 16, minibatchSize: 8 },
  { kind: 'ppo', action: 'continuous', rolloutSteps: 16, minibatchSize: 8 },
  { kind: 'rltrader' },
] as LearnerRecipe[];

const recipeLabel = (r: LearnerRecipe) =>
  'action' in r && r.action === 'continuous' ? `${r.kind} (continuous)` : r.kind;

const NAME = 'flat tensor count over epochs and nothing left after dispose, on every network kind';

for (const recipe of RECIPES) {
  test(`${recipeLabel(recipe)}: ${NAME}`, () => {
    for (const base of tinySpecs(3)) {
      const def = learnerOf(recipe);
      const { heads, continuous } = def.heads(recipe);
      const spec: NetworkSpec = { ...base, heads };
      const start = tf.memory().numTensors;
      const learner = createLearnerOf(recipe, {
        net: createNet(spec, continuous),
        newNet: () => createNet(spec, false),
        seed: 1,
      });
      const env = new ShapedSignalEnv(1, spec);
      const counts: number[] = [];
      for (let epoch = 0; epoch < 3; epoch++) {
        learner.runEpoch([env], 0.2, new EpochTrace(heads.value ?? 0, heads.policy ?? 0));
        let obs = env.reset();
        for (let i = 0; i < 5; i++) {
          learner.decide(obs);
          obs = env.step(2, 0).observation;
        }
        learner.net.forward(new Float32Array(3 * learner.net.xSize), new Float32Array(3 * spec.stateSize), 3);
        counts.push(tf.memory().numTensors);
      }
      learner.dispose();
      learner.net.dispose();
      const what = `${recipeLabel(recipe)} on ${label(base)}`;
      // the first epoch creates what lives as long as the learner (optimizer state, caches)
      assert.equal(counts[2], counts[1], `${what}: tensors per epoch ${counts.join(', ')}`);
      assert.equal(tf.memory().numTensors, start, `${what}: tensors after dispose`);
    }
  });
}

/** ShapedSignalEnv as a portfolio environment of `markets` markets: the weights' first market is the position. */
class PortfolioSignalEnv implements PortfolioLearningEnv {
  readonly initialValue = 100;
  private readonly inner: ShapedSignalEnv;

  constructor(seed: number, spec: NetworkSpec) {
    this.inner = new ShapedSignalEnv(seed, spec);
  }

  reset(): Observation {
    return this.inner.reset();
  }

  step(weights: readonly number[]) {
    const s = this.inner.step(2, 0, weights[0]);
    return { observation: s.observation, reward: s.reward, done: s.done, value: s.portfolioValue };
  }
}

test(`ppo-weights (portfolio): ${NAME}`, () => {
  const def = findPortfolioBuild('ppo-weights');
  assert.ok(def);
  const recipe = { kind: 'ppo-weights', envs: 2, rolloutSteps: 16, minibatchSize: 8 };
  for (const base of tinySpecs(3)) {
    const spec: NetworkSpec = { ...base, heads: def.heads(2, false), policyActivation: 'linear' };
    const start = tf.memory().numTensors;
    const learner = def.create(recipe, { net: createNet(spec, false), seed: 1, markets: 2, cash: false });
    const envs = [new PortfolioSignalEnv(1, spec), new PortfolioSignalEnv(2, spec)];
    const counts: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      learner.runEpoch(envs);
      let obs = envs[0].reset();
      for (let i = 0; i < 5; i++) obs = envs[0].step(learner.weights(obs)).observation;
      counts.push(tf.memory().numTensors);
    }
    learner.dispose();
    learner.net.dispose();
    const what = `ppo-weights on ${label(base)}`;
    assert.equal(counts[2], counts[1], `${what}: tensors per epoch ${counts.join(', ')}`);
    assert.equal(tf.memory().numTensors, start, `${what}: tensors after dispose`);
  }
});

/**
 * Every learner must solve a contextual bandit whose one feature says which action pays (test/learners/toy-env.ts),
 * through the same Learner interface and real tfjs networks, and keep the tensor count flat while it trains.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import type { NetworkSpec } from '../../src/nn/index.ts';
import { createNet } from '../../src/agents/setup.ts';
import { DqnLearner } from '../../src/agents/learners/dqn.ts';
import { DQN_DEFAULTS } from '../../src/agents/learners/dqn-params.ts';
import { createPg } from '../../src/agents/learners/pg.ts';
import { createA2c } from '../../src/agents/learners/a2c.ts';
import { createPpo } from '../../src/agents/learners/ppo.ts';
import { RltraderLearner } from '../../src/agents/learners/rltrader.ts';
import { RLTRADER_DEFAULTS } from '../../src/agents/learners/rltrader-params.ts';
import { EpochTrace } from '../../src/agents/learners/epoch-trace.ts';
import type { Learner } from '../../src/agents/learners/learner.ts';
import { SignalEnv } from './toy-env.ts';

before(async () => {
  await initBackend('wasm');
});

const spec = (heads: NetworkSpec['heads'], seed = 1): NetworkSpec => ({
  kind: 'dnn',
  window: 1,
  features: 1,
  stateSize: 3,
  heads,
  hidden: [16],
  dropout: 0,
  batchNorm: false,
  activation: 'relu',
  seed,
});

/** Share of greedy decisions on fresh signals that are right (continuous: position within 0.25 of the wanted one). */
function accuracy(learner: Learner, continuous = false): number {
  const env = new SignalEnv(999, 200, continuous);
  let obs = env.reset();
  let right = 0;
  for (let i = 0; i < 200; i++) {
    const d = learner.decide(obs);
    const signal = obs.features[0];
    if (continuous) {
      const pos = d.targetPosition ?? (d.action === 'buy' ? 1 : d.action === 'sell' ? 0 : obs.state[0]);
      if (Math.abs(pos - (signal + 1) / 2) < 0.25) right++;
    } else if ((d.action === 'buy' && signal > 0) || (d.action === 'sell' && signal < 0)) right++;
    const s = env.step(d.action === 'buy' ? 0 : d.action === 'sell' ? 1 : 2, d.confidence, d.targetPosition);
    obs = s.observation;
  }
  return right / 200;
}

function train(learner: Learner, envs: SignalEnv[], epochs: number, epsilon = 0.2): number[] {
  const trace = new EpochTrace(learner.net.heads.value ?? 0, learner.net.heads.policy ?? 0);
  const counts: number[] = [];
  for (let e = 0; e < epochs; e++) {
    trace.reset();
    const stats = learner.runEpoch(envs, epsilon, trace);
    assert.equal(trace.length, envs.length === 1 ? stats.steps : trace.length);
    counts.push(tf.memory().numTensors);
  }
  return counts;
}

function finish(learner: Learner): void {
  learner.dispose();
  learner.net.dispose();
}

test('DQN (double, periodic target) learns the bandit and leaks no tensors', () => {
  const before = tf.memory().numTensors;
  const learner = new DqnLearner(
    createNet(spec({ value: 3 }), false),
    createNet(spec({ value: 3 }), false),
    {
      ...DQN_DEFAULTS,
      warmup: 64,
      trainEvery: 2,
      batchSize: 32,
      learningRate: 5e-3,
      gamma: 0.5,
      target: { kind: 'periodic', every: 20 },
    },
    1,
  );
  assert.ok(accuracy(learner) < 0.9, 'untrained it is not already right');
  const counts = train(learner, [new SignalEnv(1, 128)], 8);
  assert.ok(accuracy(learner) > 0.9, `accuracy ${accuracy(learner)}`);
  assert.equal(counts[counts.length - 1], counts[1], 'tensor count stays flat across epochs');
  finish(learner);
  assert.equal(tf.memory().numTensors, before);
});

test('DQN with soft target updates and plain max targets learns too', () => {
  const learner = new DqnLearner(
    createNet(spec({ value: 3 }, 2), false),
    createNet(spec({ value: 3 }, 2), false),
    {
      ...DQN_DEFAULTS,
      warmup: 64,
      trainEvery: 2,
      batchSize: 32,
      learningRate: 5e-3,
      gamma: 0.5,
      target: { kind: 'soft', tau: 0.1 },
      double: false,
    },
    2,
  );
  train(learner, [new SignalEnv(2, 128)], 8);
  assert.ok(accuracy(learner) > 0.9, `accuracy ${accuracy(learner)}`);
  finish(learner);
});

test('REINFORCE with a value baseline learns the bandit', () => {
  const learner = createPg(
    createNet(spec({ value: 1, policy: 3 }), false),
    { rolloutSteps: 64, learningRate: 1e-2, gamma: 0 },
    1,
  );
  train(learner, [new SignalEnv(3, 128)], 12);
  assert.ok(accuracy(learner) > 0.9, `accuracy ${accuracy(learner)}`);
  finish(learner);
});

test('REINFORCE with the mean-return baseline (no value head) learns the bandit', () => {
  const learner = createPg(
    createNet(spec({ policy: 3 }), false),
    { rolloutSteps: 64, learningRate: 1e-2, gamma: 0 },
    1,
  );
  train(learner, [new SignalEnv(4, 128)], 12);
  assert.ok(accuracy(learner) > 0.9, `accuracy ${accuracy(learner)}`);
  finish(learner);
});

test('A2C with n-step returns learns the bandit', () => {
  const learner = createA2c(
    createNet(spec({ value: 1, policy: 3 }), false),
    { rolloutSteps: 16, learningRate: 1e-2, gamma: 0.5 },
    1,
  );
  train(learner, [new SignalEnv(5, 128)], 10);
  assert.ok(accuracy(learner) > 0.9, `accuracy ${accuracy(learner)}`);
  finish(learner);
});

test('PPO (discrete, 4 environments batched) learns the bandit and leaks no tensors', () => {
  const learner = createPpo(
    createNet(spec({ value: 1, policy: 3 }), false),
    { rolloutSteps: 32, learningRate: 5e-3, gamma: 0.5, minibatchSize: 64 },
    1,
  );
  const counts = train(
    learner,
    [1, 2, 3, 4].map((s) => new SignalEnv(10 + s, 64)),
    8,
  );
  assert.ok(accuracy(learner) > 0.9, `accuracy ${accuracy(learner)}`);
  assert.equal(counts[counts.length - 1], counts[1]);
  finish(learner);
});

test('PPO with a continuous target position learns to hold what the signal asks for', () => {
  const learner = createPpo(
    createNet(spec({ value: 1, policy: 2 }), true),
    { rolloutSteps: 32, learningRate: 5e-3, gamma: 0, minibatchSize: 64, initialLogStd: -1 },
    1,
  );
  const before = learner.extraState().logStd;
  train(
    learner,
    [1, 2, 3, 4].map((s) => new SignalEnv(20 + s, 64, true)),
    12,
  );
  assert.ok(accuracy(learner, true) > 0.9, `accuracy ${accuracy(learner, true)}`);
  assert.notEqual(learner.extraState().logStd, before, 'the spread is learned');
  finish(learner);
});

test('RLTrader learner fits once per epoch and explores toward buying as RLTrader does', () => {
  const learner = new RltraderLearner(
    createNet(spec({ value: 3, policy: 3 }), false),
    { ...RLTRADER_DEFAULTS, learningRate: 1e-2 },
    1,
  );
  const trace = new EpochTrace(3, 3);
  const env = new SignalEnv(7, 64);
  const s1 = learner.runEpoch([env], 1, trace);
  assert.equal(s1.updates, 1, 'one fit per epoch');
  assert.equal(s1.explorations, 64);
  assert.ok(s1.buys > s1.sells, 'RLTrader explores toward buying');
  finish(learner);
});

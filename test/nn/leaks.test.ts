/**
 * tf.memory().numTensors must be flat across 1,000 training steps and 10,000 predictions for every network:
 * long backtests and the paper trader run for days. Tiny layer sizes keep this quick. Building and disposing a network
 * leaves the count where it was (sweeps and retraining build many).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, compileFastForward, type NetworkSpec } from '../../src/nn/index.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { inputSize, label, lossOf, randomBatch, tinySpecs } from './helpers.ts';

await initBackend('wasm');

const TRAIN_STEPS = 1000;
const PREDICTIONS = 10_000;

const base = { window: 3, features: 2, stateSize: 2, heads: { value: 1, policy: 3 }, seed: 1 };
const specs: NetworkSpec[] = [
  { ...base, kind: 'dnn', hidden: [3] },
  { ...base, kind: 'lstm', hidden: [2] },
  { ...base, kind: 'lstm', rnn: 'gru', hidden: [2] },
  { ...base, kind: 'cnn', hidden: [2] },
  { ...base, kind: 'cnnrnn', image: { frames: 2, height: 4, width: 3, channels: 1 }, hidden: [1], rnnUnits: 2 },
];

for (const spec of specs) {
  test(`${label(spec)}: no tensor leaks over ${TRAIN_STEPS} training steps and ${PREDICTIONS} predictions`, () => {
    const model = buildNetwork(spec);
    const { xs, ys } = randomBatch(spec, 4, 1);
    const optimizer = tf.train.adam(1e-3);
    // the optimizer creates its slot variables on the first step; count from after it
    tf.tidy(() => {
      optimizer.minimize(() => lossOf(model, xs, ys, true));
    });
    const ff = compileFastForward(model, spec);
    const one = new Float32Array(inputSize(spec)).fill(0.1),
      state = new Float32Array(spec.stateSize).fill(0.2);
    const before = tf.memory().numTensors;
    for (let i = 1; i < TRAIN_STEPS; i++) {
      tf.tidy(() => {
        optimizer.minimize(() => lossOf(model, xs, ys, true));
      });
      if (i % 100 === 0) ff.sync();
    }
    // single-observation predictions the way policies make them (cnnrnn's fast forward is model.predict itself)
    for (let i = 0; i < PREDICTIONS; i++) ff.predict(one, state);
    // and some batched model.predict calls, as evaluation code makes them
    for (let i = 0; i < 100; i++) {
      tf.tidy(() => {
        const out = model.predict(xs);
        (Array.isArray(out) ? out : [out]).forEach((t) => t.dataSync());
      });
    }
    assert.equal(tf.memory().numTensors, before, `tensors before ${before}, after ${tf.memory().numTensors}`);
    ff.dispose();
    optimizer.dispose();
    tf.dispose([...xs, ...ys]);
    model.dispose();
  });
}

test('building and disposing a network of every kind leaves no tensor behind (tfjs LSTM forget-gate bias)', () => {
  for (const spec of [...tinySpecs(), ...specs]) {
    const before = tf.memory().numTensors;
    const model = buildNetwork(spec);
    assert.equal(tf.memory().numTensors - before, model.weights.length, `${label(spec)}: only its weights are new`);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, `${label(spec)} ${JSON.stringify(spec.hidden)}: after dispose`);
  }
});

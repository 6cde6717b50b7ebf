import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { leanBatchNormGradFunc, originalBatchNormGradient } from '../../src/nn/backend/gradients.ts';
import { Rng } from '../../src/core/random.ts';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { lossOf, randomBatch } from './helpers.ts';

await initBackend('wasm');

function random(shape: number[], rng: Rng, positive = false): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = positive ? 0.5 + rng.next() : rng.normal();
  return tf.tensor(a, shape);
}

test('the lean batch-norm gradient equals tfjs’s original one', () => {
  const original = originalBatchNormGradient();
  assert.ok(original, 'tfjs has a FusedBatchNorm gradient');
  assert.notEqual(tf.getGradient(tf.FusedBatchNorm).gradFunc, original.gradFunc, 'the lean one is registered');
  const rng = new Rng(1);
  for (const withScale of [true, false]) {
    tf.tidy(() => {
      const x = random([3, 4, 5, 6], rng);
      const mean = random([6], rng),
        variance = random([6], rng, true),
        scale = random([6], rng);
      const dy = random([3, 4, 5, 6], rng);
      const saved = [x, mean, variance, withScale ? scale : (null as unknown as tf.Tensor)];
      const attrs = { varianceEpsilon: 1e-3 };
      const a = original.gradFunc(dy, saved, attrs);
      const b = leanBatchNormGradFunc(dy, saved, attrs);
      for (const key of ['x', 'mean', 'variance', 'scale', 'offset']) {
        const va = a[key]().dataSync(),
          vb = b[key]().dataSync();
        assert.equal(va.length, vb.length, key);
        for (let i = 0; i < va.length; i++)
          assert.ok(
            Math.abs(va[i] - vb[i]) <= 1e-5 * Math.max(1, Math.abs(va[i])),
            `${key}[${i}] ${va[i]} vs ${vb[i]}`,
          );
      }
    });
  }
});

test('batch-norm gradients through tf.grads match central differences (rank 2)', () => {
  const rng = new Rng(2);
  const x = random([5, 3], rng),
    mean = random([3], rng),
    variance = random([3], rng, true),
    scale = random([3], rng),
    offset = random([3], rng);
  const r = random([5, 3], rng);
  const f = (xx: tf.Tensor) => tf.batchNorm(xx, mean, variance, offset, scale, 1e-3).mul(r).sum();
  const analytic = tf.grad(f)(x).dataSync();
  const base = x.dataSync();
  const h = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const plus = Float32Array.from(base),
      minus = Float32Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    const numeric = (f(tf.tensor(plus, [5, 3])).dataSync()[0] - f(tf.tensor(minus, [5, 3])).dataSync()[0]) / (2 * h);
    assert.ok(
      Math.abs(numeric - analytic[i]) < 1e-2 * Math.max(1, Math.abs(numeric)),
      `x[${i}] ${numeric} vs ${analytic[i]}`,
    );
  }
});

test('the gradient through tf.unstack of a single slice (a recurrent layer over 1 step) is that slice’s', () => {
  const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [2, 1, 3]);
  const w = tf.tensor2d([0.5, -1, 2, 3, 0, -0.25], [2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.unstack(t, 1)[0], w)))(x);
  assert.deepEqual(Array.from(g.dataSync()), Array.from(w.dataSync()));
  assert.deepEqual(g.shape, [2, 1, 3]);
  tf.dispose([x, w, g]);
});

test('stacked LSTM and GRU trunks over a window of 1 candle train on the tape', () => {
  for (const rnn of ['lstm', 'gru'] as const) {
    const spec: NetworkSpec = {
      kind: 'lstm',
      rnn,
      window: 1,
      features: 3,
      stateSize: 2,
      heads: { value: 1, policy: 3 },
      hidden: [4, 3],
      seed: 1,
    };
    const model = buildNetwork(spec);
    const { xs, ys } = randomBatch(spec, 4, 2);
    const { value, grads } = tf.variableGrads(() => lossOf(model, xs, ys, true));
    assert.equal(Object.keys(grads).length, model.trainableWeights.length, `${rnn}: every weight has a gradient`);
    for (const [name, g] of Object.entries(grads))
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${rnn}: ${name} is finite`);
    tf.dispose([value, ...Object.values(grads), ...xs, ...ys]);
    model.dispose();
  }
});

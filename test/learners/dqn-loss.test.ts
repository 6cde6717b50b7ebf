/** The DQN loss of the JS path: value and gradient equal tfjs's Huber loss on the taken actions' Q-values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { dqnLossGradient } from '../../src/agents/learners/dqn.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

test('dqnLossGradient equals tf.grad of huberLoss(y, Q(s, a)) inside and outside δ', () => {
  const rng = new Rng(9);
  const n = 40;
  const delta = 1;
  const q = Float32Array.from({ length: n * 3 }, () => 2 * rng.normal());
  const y = Float32Array.from({ length: n }, () => 2 * rng.normal());
  const actions = Int32Array.from({ length: n }, () => rng.int(3));
  const grad = { value: new Float32Array(n * 3) };
  const ours = dqnLossGradient(y, actions, delta)({ value: q }, grad, n);
  const [theirs, g] = tf.tidy(() => {
    const mask = tf.oneHot(tf.tensor1d(actions, 'int32'), 3);
    const f = (qt: tf.Tensor) =>
      tf.losses.huberLoss(tf.tensor1d(y), tf.sum(tf.mul(qt, mask), 1), undefined, delta) as tf.Scalar;
    const { value, grads } = tf.valueAndGrads(f)([tf.tensor2d(q, [n, 3])]);
    return [value.dataSync()[0], grads[0].dataSync()] as const;
  });
  let outside = 0;
  for (let i = 0; i < n; i++) if (Math.abs(q[i * 3 + actions[i]] - y[i]) > delta) outside++;
  assert.ok(
    outside > 5 && outside < n - 5,
    `both branches of the Huber loss are exercised (${outside} of ${n} outside δ)`,
  );
  assert.ok(Math.abs(ours - theirs) <= 1e-5 * Math.abs(theirs), `loss ${ours} vs ${theirs}`);
  for (let i = 0; i < n * 3; i++)
    assert.ok(Math.abs(grad.value[i] - g[i]) <= 1e-6, `d/dq[${i}]: ${grad.value[i]} vs ${g[i]}`);
});

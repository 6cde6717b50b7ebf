/**
 * The discrete on-policy loss of the JS path (PG, A2C, PPO): value and gradient with respect to the softmax
 * probabilities and the value equal tfjs's loss and tf.grad of it, with PPO's clip active on some rows and not others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { discreteLoss, discreteLossGradient } from '../../src/agents/learners/onpolicy-loss.ts';
import { ON_POLICY_DEFAULTS } from '../../src/agents/learners/onpolicy-params.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

for (const clip of [0.2, 0]) {
  test(`discreteLossGradient equals tf.grad of discreteLoss \
(${clip > 0 ? `PPO clip ${clip}` : 'policy gradient'})`, () => {
    const rng = new Rng(3);
    const n = 48;
    const params = { ...ON_POLICY_DEFAULTS, clip, entropyCoef: 0.05, valueCoef: 0.5 };
    const logits = Float32Array.from({ length: n * 3 }, () => 1.5 * rng.normal());
    const probs = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const e = [0, 1, 2].map((j) => Math.exp(logits[i * 3 + j]));
      const sum = e[0] + e[1] + e[2];
      for (let j = 0; j < 3; j++) probs[i * 3 + j] = e[j] / sum;
    }
    const value = Float32Array.from({ length: n }, () => rng.normal());
    const act = Int32Array.from({ length: n }, () => rng.int(3));
    // old log-probabilities near the new ones, so ratios fall both inside and outside [1 − ε, 1 + ε]
    const oldLogp = Float32Array.from({ length: n }, (_, i) => Math.log(probs[i * 3 + act[i]]) + 0.4 * rng.normal());
    const adv = Float32Array.from({ length: n }, () => rng.normal());
    const ret = Float32Array.from({ length: n }, () => rng.normal());
    const grad = { policy: new Float32Array(n * 3), value: new Float32Array(n) };
    const ours = discreteLossGradient(act, oldLogp, adv, ret, params)({ policy: probs, value }, grad, n);
    const [theirs, gp, gv] = tf.tidy(() => {
      const f = (p: tf.Tensor, v: tf.Tensor) =>
        discreteLoss(
          tf.log(tf.add(p, 1e-8)) as tf.Tensor2D,
          v as tf.Tensor2D,
          tf.oneHot(tf.tensor1d(act, 'int32'), 3),
          tf.tensor1d(oldLogp),
          tf.tensor1d(adv),
          tf.tensor1d(ret),
          params,
        );
      const { value: l, grads } = tf.valueAndGrads(f)([tf.tensor2d(probs, [n, 3]), tf.tensor2d(value, [n, 1])]);
      return [l.dataSync()[0], grads[0].dataSync(), grads[1].dataSync()] as const;
    });
    if (clip > 0) {
      let outside = 0;
      for (let i = 0; i < n; i++) {
        const r = Math.exp(Math.log(probs[i * 3 + act[i]]) - oldLogp[i]);
        if (r < 1 - clip || r > 1 + clip) outside++;
      }
      assert.ok(outside > 5 && outside < n - 5, `ratios on both sides of the clip (${outside} of ${n} outside)`);
    }
    assert.ok(Math.abs(ours - theirs) <= 1e-5 * (1 + Math.abs(theirs)), `loss ${ours} vs ${theirs}`);
    for (let i = 0; i < n * 3; i++)
      assert.ok(
        Math.abs(grad.policy[i] - gp[i]) <= 1e-4 * (1 + Math.abs(gp[i])),
        `d/dp[${i}]: ${grad.policy[i]} vs ${gp[i]}`,
      );
    for (let i = 0; i < n; i++)
      assert.ok(Math.abs(grad.value[i] - gv[i]) <= 1e-6, `d/dv[${i}]: ${grad.value[i]} vs ${gv[i]}`);
  });
}

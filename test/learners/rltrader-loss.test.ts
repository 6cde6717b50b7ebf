/** RLTrader's fit loss: the JS value and gradient the block trainer uses equal tfjs's loss and tf.grad of it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { rltraderLoss, rltraderLossGradient } from '../../src/agents/learners/rltrader.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

for (const withPolicy of [false, true]) {
  test(`rltraderLossGradient equals tf.grad of rltraderLoss \
(${withPolicy ? 'value and policy' : 'value only'})`, () => {
    const rng = new Rng(5);
    const n = 23;
    const value = Float32Array.from({ length: n * 3 }, () => rng.normal());
    const yValue = Float32Array.from({ length: n * 3 }, () => rng.normal());
    // probabilities near 0 and 1 as well as in between: the logit's ε matters there
    const policy = Float32Array.from({ length: n * 3 }, (_, i) =>
      i % 7 === 0 ? 1e-6 : i % 11 === 0 ? 1 - 1e-6 : rng.next(),
    );
    const yPolicy = Float32Array.from({ length: n * 3 }, () => rng.next());
    const grad = { value: new Float32Array(n * 3), policy: withPolicy ? new Float32Array(n * 3) : undefined };
    const ours = rltraderLossGradient(yValue, withPolicy ? yPolicy : undefined)(
      { value, policy: withPolicy ? policy : undefined },
      grad,
      n,
    );
    const [theirs, gValue, gPolicy] = tf.tidy(() => {
      const v = tf.tensor2d(value, [n, 3]);
      const p = tf.tensor2d(policy, [n, 3]);
      const yv = tf.tensor2d(yValue, [n, 3]);
      const yp = withPolicy ? tf.tensor2d(yPolicy, [n, 3]) : undefined;
      const f = (a: tf.Tensor, b?: tf.Tensor) =>
        rltraderLoss({ value: a as tf.Tensor2D, policy: b as tf.Tensor2D | undefined }, yv, yp);
      const { value: l, grads } = tf.valueAndGrads(f)(withPolicy ? [v, p] : [v]);
      return [l.dataSync()[0], grads[0].dataSync(), grads[1]?.dataSync()] as const;
    });
    assert.ok(Math.abs(ours - theirs) <= 1e-5 * Math.abs(theirs), `loss ${ours} vs ${theirs}`);
    for (let i = 0; i < n * 3; i++)
      assert.ok(Math.abs(grad.value[i] - gValue[i]) <= 1e-6, `d/dvalue[${i}]: ${grad.value[i]} vs ${gValue[i]}`);
    if (grad.policy && gPolicy) {
      for (let i = 0; i < n * 3; i++) {
        assert.ok(
          Math.abs(grad.policy[i] - gPolicy[i]) <= 1e-3 * Math.abs(gPolicy[i]) + 1e-6,
          `d/dpolicy[${i}]: ${grad.policy[i]} vs ${gPolicy[i]}`,
        );
      }
    }
  });
}

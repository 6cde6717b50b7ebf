/**
 * Each learner gives its loss once (src/nn/head-loss.ts): tfjs ops and a hand-derived gradient. Here the hand-derived
 * gradient of every learner's HeadLoss equals tf.grad of its own tfjs ops, on outputs where every branch is taken.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import type { HeadLoss } from '../../src/nn/head-loss.ts';
import type { HeadOutputs } from '../../src/nn/head-outputs.ts';
import { createNet } from '../../src/agents/setup.ts';
import { dqnLoss } from '../../src/agents/learners/dqn.ts';
import { rltraderHeadLoss, rltraderLossGradient } from '../../src/agents/learners/rltrader.ts';
import { onPolicyLoss } from '../../src/agents/learners/onpolicy-loss.ts';
import { ON_POLICY_DEFAULTS } from '../../src/agents/learners/onpolicy-params.ts';
import { Rng } from '../../src/core/random.ts';

before(async () => {
  await initBackend('wasm');
});

/** The hand-derived gradient against tf.grad of the loss's own tfjs ops, with respect to each head's outputs. */
function checkAgainstTape(
  loss: HeadLoss,
  out: HeadOutputs,
  widths: { value?: number; policy?: number },
  n: number,
): void {
  assert.ok(loss.grad, 'the loss brings a hand-derived gradient');
  const grad: HeadOutputs = {};
  if (out.value) grad.value = new Float32Array(out.value.length);
  if (out.policy) grad.policy = new Float32Array(out.policy.length);
  const ours = loss.grad(out, grad, n);
  const names = (['value', 'policy'] as const).filter((k) => out[k]);
  const [theirs, grads] = tf.tidy(() => {
    const f = (...ts: tf.Tensor[]) => loss.tf(Object.fromEntries(names.map((k, i) => [k, ts[i] as tf.Tensor2D])));
    const { value, grads } = tf.valueAndGrads(f)(names.map((k) => tf.tensor2d(out[k]!, [n, widths[k]!])));
    return [value.dataSync()[0], grads.map((g) => g.dataSync() as Float32Array)] as const;
  });
  assert.ok(Math.abs(ours - theirs) <= 1e-5 * (1 + Math.abs(theirs)), `loss ${ours} vs ${theirs}`);
  names.forEach((k, i) => {
    const g = grad[k]!;
    for (let j = 0; j < g.length; j++)
      assert.ok(
        Math.abs(g[j] - grads[i][j]) <= 1e-4 * (1 + Math.abs(grads[i][j])),
        `d/d${k}[${j}]: ${g[j]} vs ${grads[i][j]}`,
      );
  });
}

const rng = new Rng(11);
const normals = (k: number, scale = 1) => Float32Array.from({ length: k }, () => scale * rng.normal());
const probs = (n: number) => {
  const p = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const e = [0, 1, 2].map(() => Math.exp(1.5 * rng.normal()));
    for (let j = 0; j < 3; j++) p[i * 3 + j] = e[j] / (e[0] + e[1] + e[2]);
  }
  return p;
};

test('DQN: the Huber loss on the taken actions', () => {
  const n = 32;
  const actions = Int32Array.from({ length: n }, () => rng.int(3));
  checkAgainstTape(dqnLoss(normals(n, 2), actions, 1), { value: normals(n * 3, 2) }, { value: 3 }, n);
});

test('RLTrader: value MSE plus the policy cross-entropy', () => {
  const n = 24;
  const yPolicy = Float32Array.from({ length: n * 3 }, () => rng.next());
  checkAgainstTape(
    rltraderHeadLoss(normals(n * 3), yPolicy, n),
    { value: normals(n * 3), policy: probs(n) },
    { value: 3, policy: 3 },
    n,
  );
});

for (const clip of [0.2, 0]) {
  test(`on-policy (${clip ? 'PPO clip' : 'plain policy gradient'}): surrogate, entropy bonus and value loss`, () => {
    const n = 40;
    const net = createNet(
      { kind: 'dnn', window: 1, features: 1, stateSize: 3, heads: { value: 1, policy: 3 }, hidden: [4], seed: 1 },
      false,
    );
    try {
      const p = probs(n);
      const act = Int32Array.from({ length: n }, () => rng.int(3));
      const mb = {
        act,
        pos: new Float32Array(n),
        oldLogp: Float32Array.from({ length: n }, (_, i) => Math.log(p[i * 3 + act[i]]) + 0.4 * rng.normal()),
        adv: normals(n),
        ret: normals(n),
      };
      const params = { ...ON_POLICY_DEFAULTS, clip, entropyCoef: 0.05 };
      checkAgainstTape(
        onPolicyLoss(net, mb, n, params, undefined),
        { value: normals(n), policy: p },
        { value: 1, policy: 3 },
        n,
      );
    } finally {
      net.dispose();
    }
  });
}

test('the continuous policy and logits heads give no hand-derived gradient: they train on the tape', () => {
  const net = createNet(
    { kind: 'dnn', window: 1, features: 1, stateSize: 3, heads: { value: 1, policy: 2 }, hidden: [4], seed: 1 },
    true,
  );
  const logStd = tf.variable(tf.scalar(-1));
  try {
    const mb = {
      act: new Int32Array(2),
      pos: new Float32Array(2),
      oldLogp: new Float32Array(2),
      adv: new Float32Array(2),
      ret: new Float32Array(2),
    };
    assert.equal(onPolicyLoss(net, mb, 2, ON_POLICY_DEFAULTS, logStd).grad, undefined);
  } finally {
    logStd.dispose();
    net.dispose();
  }
});

test('on-policy edge rows: the taken action at p = 0 or 1, a batch of one, ratios far off the clip', () => {
  const net = createNet(
    { kind: 'dnn', window: 1, features: 1, stateSize: 3, heads: { value: 1, policy: 3 }, hidden: [4], seed: 1 },
    false,
  );
  try {
    // a saturated softmax puts out exact 0s and 1s; log(p + 1e-8) keeps them finite on both paths
    const rows = [1, 0, 0, 0, 1, 0, 0.5, 0.5, 0, 0, 0, 1];
    for (const n of [1, 4]) {
      const p = Float32Array.from(rows.slice(0, 3 * n));
      const act = Int32Array.from([1, 1, 2, 0].slice(0, n));
      // old log-probabilities from log(1e-8) (ratio 1e8, clipped) to 0 (ratio 1e-8)
      const oldLogp = Float32Array.from([Math.log(1e-8), 0, -0.7, Math.log(1e-8)].slice(0, n));
      const mb = { act, pos: new Float32Array(n), oldLogp, adv: normals(n), ret: normals(n) };
      for (const clip of [0.2, 0]) {
        const params = { ...ON_POLICY_DEFAULTS, clip, entropyCoef: 0.05 };
        const out = { value: normals(n), policy: p };
        checkAgainstTape(onPolicyLoss(net, mb, n, params, undefined), out, { value: 1, policy: 3 }, n);
      }
    }
  } finally {
    net.dispose();
  }
});

test('edge rows for RLTrader and DQN: policy outputs of exactly 0 and near 1, batch of one', () => {
  const yPolicy = Float32Array.from([1, 0, 0.5, 0, 1, 1]);
  for (const n of [1, 2]) {
    const p = Float32Array.from([0.999, 0, 0.5, 0, 0.999, 1e-3].slice(0, 3 * n));
    checkAgainstTape(
      rltraderHeadLoss(normals(n * 3), yPolicy.subarray(0, 3 * n), n),
      { value: normals(n * 3), policy: p },
      { value: 3, policy: 3 },
      n,
    );
    const actions = Int32Array.from([2, 0].slice(0, n));
    checkAgainstTape(dqnLoss(normals(n, 2), actions, 1), { value: normals(n * 3, 2) }, { value: 3 }, n);
  }
});

test('RLTrader at a policy output of exactly 1: finite, and the exact −1/(p + ε) where float32 tfjs rounds', () => {
  // b = 1 + ε − p is one float32 ulp at p = 1, so tfjs's float32 chain (z = log(a/b), then its derivative) keeps
  // only a digit or two; the hand gradient (σ(z) − y)(1/a + 1/b) simplifies to −1/a for y = 1, which it gets exactly
  const grad = { value: new Float32Array(3), policy: new Float32Array(3) };
  const loss = rltraderLossGradient(new Float32Array(3), Float32Array.from([1, 1, 0]))(
    { value: new Float32Array(3), policy: Float32Array.from([1, 1, 0]) },
    grad,
    1,
  );
  assert.ok(Number.isFinite(loss), `loss ${loss}`);
  const a = Math.fround(1 + 1e-7);
  assert.ok(Math.abs(grad.policy[0] - -1 / a / 3) < 1e-6, `d/dp at p = 1, y = 1: ${grad.policy[0]}`);
  assert.ok(grad.policy.every(Number.isFinite), `finite: ${grad.policy.join(', ')}`);
});

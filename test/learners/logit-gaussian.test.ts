/**
 * The portfolio policy's distribution (src/agents/learners/logit-gaussian.ts): log-probability and entropy of the
 * diagonal Gaussian on logits against an independent float64 computation (the density written out, a Monte-Carlo
 * entropy), in plain JS and in tfjs ops; the weights map against a softmax written here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random.ts';
import {
  gaussianEntropy,
  gaussianEntropyTf,
  gaussianLogProb,
  gaussianLogProbTf,
  latentSize,
  weightsFromLatent,
} from '../../src/agents/learners/logit-gaussian.ts';

/** log of Π_d N(u_d; μ_d, σ_d²), the density written out in float64. */
function referenceLogDensity(u: number[], mean: number[], sd: number[]): number {
  let density = 1;
  for (let d = 0; d < u.length; d++)
    density *= Math.exp(-((u[d] - mean[d]) ** 2) / (2 * sd[d] ** 2)) / (sd[d] * Math.sqrt(2 * Math.PI));
  return Math.log(density);
}

/** softmax over [u, 0] in float64. */
function referenceSoftmax(u: number[]): number[] {
  const logits = [...u, 0];
  const e = logits.map((x) => Math.exp(x));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

test('log-probability: JS and tfjs equal the density written out, for D = 1, 2, 4', () => {
  const rng = new Rng(5);
  for (const d of [1, 2, 4]) {
    for (let k = 0; k < 20; k++) {
      const mean = Array.from({ length: d }, () => 2 * rng.normal());
      const logStd = Array.from({ length: d }, () => rng.next() * 2 - 1.5);
      const sd = logStd.map(Math.exp);
      const u = mean.map((m, i) => m + sd[i] * 2 * rng.normal());
      const want = referenceLogDensity(u, mean, sd);
      assert.ok(Math.abs(gaussianLogProb(u, 0, mean, 0, logStd) - want) < 1e-9, `JS D=${d}`);
      const got = tf.tidy(() =>
        gaussianLogProbTf(tf.tensor2d([u], [1, d]), tf.tensor2d([mean], [1, d]), tf.tensor1d(logStd)).dataSync(),
      )[0];
      assert.ok(Math.abs(got - want) < 1e-3 * Math.max(1, Math.abs(want)), `tf D=${d}: ${got} vs ${want}`);
    }
  }
});

test('offsets: a row of a batch reads its own u and mean', () => {
  const u = [9, 9, 0.5, -0.2];
  const mean = [0.1, 0.3, 7, 7];
  const logStd = [-0.3, 0.2];
  const want = referenceLogDensity([0.5, -0.2], [0.1, 0.3], logStd.map(Math.exp));
  assert.ok(Math.abs(gaussianLogProb(u, 2, mean, 0, logStd) - want) < 1e-12);
});

test('entropy: closed form equals ½ log((2πe)^D Π σ²) and a Monte-Carlo −E[log π]; tfjs agrees', () => {
  const rng = new Rng(9);
  for (const logStd of [[-0.5], [0.3, -1.2], [0, 0.5, -0.5, 1]]) {
    const d = logStd.length;
    const sd = logStd.map(Math.exp);
    const closed = 0.5 * Math.log((2 * Math.PI * Math.E) ** d * sd.reduce((a, s) => a * s * s, 1));
    assert.ok(Math.abs(gaussianEntropy(logStd) - closed) < 1e-12);
    const mean = Array.from({ length: d }, () => rng.normal());
    let sum = 0;
    const n = 20_000;
    for (let k = 0; k < n; k++) {
      const u = mean.map((m, i) => m + sd[i] * rng.normal());
      sum -= referenceLogDensity(u, mean, sd);
    }
    assert.ok(Math.abs(sum / n - closed) < 0.03 * d, `Monte-Carlo ${sum / n} vs ${closed}`);
    const got = tf.tidy(() => gaussianEntropyTf(tf.tensor1d(logStd)).dataSync())[0];
    assert.ok(Math.abs(got - closed) < 1e-5, `tf ${got} vs ${closed}`);
  }
});

test('weights: softmax([u, 0]); with cash the pinned category is cash, fully invested it is the last market', () => {
  assert.equal(latentSize(2, false), 1);
  assert.equal(latentSize(3, true), 3);
  assert.throws(() => latentSize(1, false), /at least 2 categories/);
  const rng = new Rng(3);
  for (let k = 0; k < 50; k++) {
    const u = [rng.normal() * 3, rng.normal() * 3, rng.normal() * 3];
    const ref = referenceSoftmax(u);
    const withCash = weightsFromLatent(u, 0, 3, 3);
    withCash.forEach((w, i) => assert.ok(Math.abs(w - ref[i]) < 1e-12));
    assert.ok(withCash.reduce((a, b) => a + b, 0) < 1);
    const invested = weightsFromLatent(u, 0, 3, 4);
    invested.forEach((w, i) => assert.ok(Math.abs(w - ref[i]) < 1e-12));
    assert.ok(Math.abs(invested.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  }
  // the seed's one-number split: the first (leveraged) share is sigmoid(u), the rest in the second
  for (const u of [-3, -0.4, 0, 1.7, 40]) {
    const [lev, inv] = weightsFromLatent([u], 0, 1, 2);
    assert.ok(Math.abs(lev - 1 / (1 + Math.exp(-u))) < 1e-12);
    assert.ok(Math.abs(lev + inv - 1) < 1e-12);
  }
});

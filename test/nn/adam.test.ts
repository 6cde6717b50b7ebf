/** JsAdam (src/nn/adam.ts) against tf.train.adam: same variables, same gradients, same numbers after several steps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { JsAdam, type GradientOptimizer } from '../../src/nn/adam.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Fits w (3×2) and b (2) to a fixed regression for `steps` steps with the given optimiser. */
function run(optimizer: GradientOptimizer, steps: number): Float32Array[] {
  const w0 = tf.tensor2d(randomArray(6, 1), [3, 2]);
  const b0 = tf.zeros([2]);
  const w = tf.variable(w0, true);
  const b = tf.variable(b0, true);
  const x = tf.tensor2d(randomArray(24, 2), [8, 3]);
  const y = tf.tensor2d(randomArray(16, 3), [8, 2]);
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar,
        [w, b],
      );
      optimizer.applyGradients(grads);
    });
  }
  const out = [w.dataSync().slice() as Float32Array, b.dataSync().slice() as Float32Array];
  tf.dispose([w, b, w0, b0, x, y]);
  optimizer.dispose();
  return out;
}

for (const backend of ['wasm', 'cpu']) {
  test(`JsAdam equals tf.train.adam step for step (${backend})`, async () => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const ours = run(new JsAdam(0.05), 25);
    assert.equal(tf.memory().numTensors, before, 'JsAdam keeps no tensors');
    const adam = tf.train.adam(0.05);
    const theirs = run(
      {
        applyGradients: (g) => adam.applyGradients(g as Parameters<typeof adam.applyGradients>[0]),
        dispose: () => adam.dispose(),
      },
      25,
    );
    const start = randomArray(6, 1);
    let moved = 0;
    for (let i = 0; i < start.length; i++) moved += Math.abs(ours[0][i] - start[i]);
    assert.ok(moved > 0.1, `the weights moved (${moved})`);
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < ours[k].length; i++)
        assert.ok(
          Math.abs(ours[k][i] - theirs[k][i]) < 1e-4 * (1 + Math.abs(theirs[k][i])),
          `var ${k}[${i}]: ${ours[k][i]} vs ${theirs[k][i]}`,
        );
    }
    await tf.setBackend('wasm');
  });
}

test('JsAdam weightDecay shrinks kernels by lr × decay each step (AdamW) and leaves biases alone', () => {
  const kernel = tf.variable(tf.tensor1d([2, -4]), true, 'adamw_test/kernel');
  const bias = tf.variable(tf.tensor1d([2, -4]), true, 'adamw_test/bias');
  // tfjs names a second network's variables `dense1/kernel_1`, …: they decay too
  const second = tf.variable(tf.tensor1d([2, -4]), true, 'adamw_test/kernel_1');
  const adam = new JsAdam(0.1);
  adam.weightDecay = 0.5;
  // zero gradients: Adam's own step is 0, so only the decoupled decay moves the kernel: x − 0.1·0.5·x = 0.95·x
  const zero = new Float32Array(2);
  adam.applyGradientArrays([
    { variable: kernel, grad: zero },
    { variable: bias, grad: zero },
    { variable: second, grad: zero },
  ]);
  assert.deepEqual(Array.from(kernel.dataSync()), [1.9, -3.8].map(Math.fround));
  assert.deepEqual(Array.from(second.dataSync()), [1.9, -3.8].map(Math.fround));
  assert.deepEqual(Array.from(bias.dataSync()), [2, -4]);
  adam.learningRate = 0.2;
  adam.applyGradientArrays([{ variable: kernel, grad: zero }]);
  assert.deepEqual(Array.from(kernel.dataSync()), [Math.fround(1.9) * 0.9, Math.fround(-3.8) * 0.9].map(Math.fround));
  tf.dispose([kernel, bias, second]);
  adam.dispose();
});

test('a step with a NaN or infinite gradient is refused whole: weights and moments as if it never came', () => {
  const make = (name: string) => tf.variable(tf.tensor1d([0.5, -1, 2]), true, `adam_nan_${name}/kernel`);
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(make);
  const clean = new JsAdam(0.1);
  const hit = new JsAdam(0.1);
  const g = Float32Array.from([0.3, -0.2, 0.1]);
  const step = (adam: JsAdam, first: tf.Variable, second: tf.Variable, secondGrad = g) =>
    adam.applyGradientArrays([
      { variable: first, grad: g },
      { variable: second, grad: secondGrad },
    ]);
  step(clean, a, b);
  step(hit, c, d);
  // the finite variable comes first: nothing of the step may be applied
  for (const bad of [NaN, Infinity, -Infinity]) step(hit, c, d, Float32Array.from([0.1, bad, 0.2]));
  for (let k = 0; k < 2; k++) {
    step(clean, a, b);
    step(hit, c, d);
  }
  assert.deepEqual(Array.from(c.dataSync()), Array.from(a.dataSync()));
  assert.deepEqual(Array.from(d.dataSync()), Array.from(b.dataSync()));
  assert.equal(hit.skippedSteps, 3);
  assert.equal(clean.skippedSteps, 0);
  tf.dispose([a, b, c, d]);
  clean.dispose();
  hit.dispose();
});

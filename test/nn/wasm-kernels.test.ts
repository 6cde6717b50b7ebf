/**
 * The wasm backend's filter gradient (registered by src/nn/backend/wasm-kernels.ts) checked against the cpu backend's
 * and
 * against finite differences. Inputs are built from seeded arrays so both backends see the same numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

type Pad = 'same' | 'valid';

/** dL/dx and dL/dW of L = Σ conv2d(x, W)·R (R fixed random weights) on the given backend. */
async function conv2dGrads(
  backend: string,
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  strides: [number, number],
  pad: Pad,
) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xs as [number, number, number, number]);
    const wt = tf.tensor4d(w, ws as [number, number, number, number]);
    const outShape = tf.conv2d(xt, wt, strides, pad).shape;
    const r = tf.tensor(
      randomArray(
        outShape.reduce((a, b) => a * b, 1),
        99,
      ),
      outShape,
    );
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad)
        .mul(r)
        .sum();
    const [dx, dw] = tf.grads(f)([xt, wt]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, scale);
    if (!(err <= tol))
      assert.fail(`${what}: element ${i} is ${actual[i]}, cpu says ${expected[i]} (relative error ${err})`);
  }
}

const cases: { name: string; xs: number[]; ws: number[]; strides: [number, number]; pad: Pad }[] = [
  { name: '5×3 kernel stride 1 same', xs: [4, 16, 12, 1], ws: [5, 3, 1, 4], strides: [1, 1], pad: 'same' },
  { name: '5×3 kernel stride 1 valid', xs: [3, 16, 12, 2], ws: [5, 3, 2, 3], strides: [1, 1], pad: 'valid' },
  { name: '5×3 kernel stride 2 same', xs: [3, 17, 12, 2], ws: [5, 3, 2, 3], strides: [2, 2], pad: 'same' },
  { name: '3×3 kernel stride 2 valid', xs: [2, 11, 9, 3], ws: [3, 3, 3, 2], strides: [2, 2], pad: 'valid' },
  { name: '5×3 kernel stride (2,1) same', xs: [2, 16, 10, 1], ws: [5, 3, 1, 4], strides: [2, 1], pad: 'same' },
  {
    name: '1×5 kernel stride 1 same (conv1d shape)',
    xs: [4, 1, 20, 6],
    ws: [1, 5, 6, 8],
    strides: [1, 1],
    pad: 'same',
  },
];

for (const c of cases) {
  test(`wasm conv2d gradients match cpu: ${c.name}`, async () => {
    const x = randomArray(
      c.xs.reduce((a, b) => a * b, 1),
      1,
    );
    const w = randomArray(
      c.ws.reduce((a, b) => a * b, 1),
      2,
    );
    const cpu = await conv2dGrads('cpu', x, c.xs, w, c.ws, c.strides, c.pad);
    const wasm = await conv2dGrads('wasm', x, c.xs, w, c.ws, c.strides, c.pad);
    assertClose(wasm.dw, cpu.dw, 1e-5, 'filter gradient');
    assertClose(wasm.dx, cpu.dx, 1e-5, 'input gradient');
  });
}

test('wasm conv1d (stride 2, valid) filter gradient matches cpu', async () => {
  const x = randomArray(3 * 21 * 4, 5);
  const w = randomArray(5 * 4 * 6, 6);
  const grad = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const f = (a: tf.Tensor) =>
        tf
          .conv1d(tf.tensor3d(x, [3, 21, 4]), a as tf.Tensor3D, 2, 'valid')
          .square()
          .sum();
      return tf
        .grad(f)(tf.tensor3d(w, [5, 4, 6]))
        .dataSync() as Float32Array;
    });
  };
  const cpu = await grad('cpu');
  assertClose(await grad('wasm'), cpu, 1e-5, 'conv1d filter gradient');
});

test('wasm filter gradient agrees with central finite differences (stride 2, same)', async () => {
  await tf.setBackend('wasm');
  const xs: [number, number, number, number] = [2, 9, 7, 2];
  const ws: [number, number, number, number] = [5, 3, 2, 2];
  const x = tf.tensor4d(randomArray(2 * 9 * 7 * 2, 11), xs);
  const w0 = randomArray(5 * 3 * 2 * 2, 12);
  // float64 loss from the float32 forward pass keeps differences readable at h = 1e-2 (the loss is linear in W)
  const loss = (w: Float32Array) => tf.tidy(() => tf.conv2d(x, tf.tensor4d(w, ws), 2, 'same').sum().dataSync()[0]);
  const analytic = tf.tidy(() =>
    tf
      .grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 2, 'same').sum())(tf.tensor4d(w0, ws))
      .dataSync(),
  );
  const h = 1e-2;
  for (let i = 0; i < w0.length; i += 3) {
    const plus = Float32Array.from(w0),
      minus = Float32Array.from(w0);
    plus[i] += h;
    minus[i] -= h;
    const numeric = (loss(plus) - loss(minus)) / (2 * h);
    assert.ok(
      Math.abs(numeric - analytic[i]) <= 2e-2 * Math.max(1, Math.abs(numeric)),
      `weight ${i}: numeric ${numeric} vs analytic ${analytic[i]}`,
    );
  }
  x.dispose();
});

test('the wasm kernel leaves no tensors behind', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor4d(randomArray(2 * 8 * 6 * 1, 3), [2, 8, 6, 1]);
  const w = tf.tensor4d(randomArray(5 * 3 * 1 * 2, 4), [5, 3, 1, 2]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    tf.tidy(() => {
      tf.grad((a: tf.Tensor) => tf.conv2d(x, a as tf.Tensor4D, 2, 'same').sum())(w);
    });
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, w]);
});

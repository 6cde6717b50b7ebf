/**
 * The faster wasm kernels (src/nn/backend/wasm-fast-kernels.ts): the transpose-first BatchMatMul against the cpu
 * backend's
 * matMul for every transpose combination on rank-2 and rank-3 operands, a dense layer's gradients, and the sharing
 * Identity (clones read the same numbers, outlive their source, and free their memory); no tensors leak.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { stockWasmIdentity, stockWasmMatMul } from '../../src/nn/backend/wasm-fast-kernels.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

async function matMulOn(backend: string, as: number[], bs: number[], ta: boolean, tb: boolean): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const a = tf.tensor(randomArray(size(as), 1), as);
    const b = tf.tensor(randomArray(size(bs), 2), bs);
    return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

test('wasm BatchMatMul is the wrapper and agrees with cpu for every transpose combination', async () => {
  assert.ok(stockWasmMatMul(), 'stock kernel kept');
  assert.notEqual(
    tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc,
    stockWasmMatMul()?.kernelFunc,
    'wrapper registered',
  );
  const m = 7,
    k = 5,
    n = 3;
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const as = ta ? [k, m] : [m, k];
    const bs = tb ? [n, k] : [k, n];
    assertClose(await matMulOn('wasm', as, bs, ta, tb), await matMulOn('cpu', as, bs, ta, tb), `2-D ta=${ta} tb=${tb}`);
    const as3 = [2, ...as],
      bs3 = [2, ...bs];
    assertClose(
      await matMulOn('wasm', as3, bs3, ta, tb),
      await matMulOn('cpu', as3, bs3, ta, tb),
      `3-D ta=${ta} tb=${tb}`,
    );
  }
  // broadcast batch of one against two
  assertClose(
    await matMulOn('wasm', [1, k, m], [2, n, k], true, true),
    await matMulOn('cpu', [1, k, m], [2, n, k], true, true),
    'broadcast',
  );
  await tf.setBackend('wasm');
});

test('dense-layer gradients through the wrapper match cpu and free every tensor', async () => {
  const grads = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor2d(randomArray(6 * 4, 3), [6, 4]);
      const w = tf.tensor2d(randomArray(4 * 5, 4), [4, 5]);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D))),
      )([x, w]);
      return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
    });
  };
  const before = tf.memory().numTensors;
  const wasm = await grads('wasm');
  const cpu = await grads('cpu');
  assertClose(wasm.dx, cpu.dx, 'dx');
  assertClose(wasm.dw, cpu.dw, 'dw');
  await tf.setBackend('wasm');
  assert.equal(tf.memory().numTensors, before);
});

test('Identity shares data: clones equal their source, survive its disposal and leave nothing behind', async () => {
  await tf.setBackend('wasm');
  assert.notEqual(tf.getKernel(tf.Identity, 'wasm')?.kernelFunc, stockWasmIdentity()?.kernelFunc, 'wrapper registered');
  const tensorsBefore = tf.memory().numTensors;
  const bytesBefore = tf.memory().numBytes;
  const x = tf.tensor2d(randomArray(12, 5), [3, 4]);
  const expected = x.dataSync().slice();
  const c = tf.clone(x);
  const v = tf.variable(x);
  x.dispose();
  assert.deepEqual(c.dataSync(), expected);
  assert.deepEqual(v.dataSync(), expected);
  const zeros = tf.zerosLike(c);
  v.assign(zeros);
  zeros.dispose();
  assert.deepEqual(c.dataSync(), expected, 'assigning the variable leaves the clone alone');
  // the tape saves inputs through Identity: gradients still right after the source is gone
  const w = tf.tensor1d([1, 2, 3]);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(a, a)))(w);
  assert.deepEqual(Array.from(g.dataSync()), [2, 4, 6]);
  tf.dispose([c, v, w, g]);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(tf.memory().numBytes, bytesBefore);
});

test('MaxPoolGrad agrees with the cpu backend (valid and same padding, overlapping windows, 1-D pooling)', async () => {
  const cases: {
    shape: [number, number, number, number];
    size: [number, number];
    strides: [number, number];
    pad: 'valid' | 'same';
  }[] = [
    { shape: [3, 5, 1, 4], size: [2, 1], strides: [2, 1], pad: 'valid' },
    { shape: [2, 5, 4, 3], size: [3, 3], strides: [1, 1], pad: 'same' },
    { shape: [2, 6, 5, 2], size: [2, 2], strides: [2, 2], pad: 'same' },
  ];
  for (const c of cases) {
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(randomArray(size(c.shape), 7), c.shape);
        const outShape = tf.maxPool(x, c.size, c.strides, c.pad).shape;
        const r = tf.tensor(randomArray(size(outShape), 8), outShape);
        return tf
          .grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad), r)))(x)
          .dataSync() as Float32Array;
      });
    };
    const wasm = await grad('wasm');
    assertClose(wasm, await grad('cpu'), `maxPool ${JSON.stringify(c)}`);
    assert.ok(
      wasm.some((v) => v !== 0),
      'gradient reaches the input',
    );
  }
  await tf.setBackend('wasm');
});

/**
 * The block trainer's image and recurrent blocks (src/nn/image-block.ts, gru-block.ts) layer by layer against tfjs's
 * own gradients (issue 16): for a random input and a random output gradient dy, the forward output, the gradient of
 * every trainable weight and of the input (from tf.variableGrads of Σ y·dy), and the batch norm's moving statistics
 * must agree, for several kernel sizes, strides, paddings and filter counts, with and without batch norm, leaky ReLU,
 * ReLU, max and average pooling; on wasm and cpu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { jsPasses, type ElementwisePasses } from '../../src/nn/backend/elementwise-passes.ts';
import { wasmPasses } from '../../src/nn/backend/elementwise-passes-wasm.ts';
import type { Slot, Step } from '../../src/nn/block-step.ts';
import { ImageBlock } from '../../src/nn/image-block.ts';
import { GruBlock } from '../../src/nn/gru-block.ts';
import { Rng } from '../../src/core/random.ts';
import { assertClose } from './grad-check.ts';

await initBackend('wasm');

type Args = Record<string, unknown>;

interface ImageCase {
  title: string;
  input: [number, number, number];
  conv: Args;
  bn?: Args;
  act?: 'leaky' | 'relu';
  pool?: { kind: 'max' | 'avg' } & Args;
}

const CASES: ImageCase[] = [
  {
    title: '5×3 same, stride 1, bias, 2 → 3 filters, nothing after',
    input: [9, 7, 2],
    conv: { filters: 3, kernelSize: [5, 3], padding: 'same' },
  },
  {
    title: '4×2 same, stride 1, uneven padding (more below and right), 4 → 3 filters (dW as one convolution)',
    input: [7, 6, 4],
    conv: { filters: 3, kernelSize: [4, 2], padding: 'same' },
  },
  {
    title: '2×3 valid, stride 1, bias, leaky ReLU, 2×2 max-pool (no batch norm), 5 channels in',
    input: [8, 9, 5],
    conv: { filters: 4, kernelSize: [2, 3], padding: 'valid' },
    act: 'leaky',
    pool: { kind: 'max', poolSize: 2 },
  },
  {
    title: '3×3 valid, stride 2, relu, bias (the strided input gradient)',
    input: [9, 8, 3],
    conv: { filters: 4, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' },
  },
  {
    title: "Jiang–Kelly–Xiu block: 5×3 same, batch norm, leaky ReLU, 2×2 max-pool (cnnrnn's)",
    input: [10, 9, 1],
    conv: { filters: 8, kernelSize: [5, 3], padding: 'same', useBias: false },
    bn: {},
    act: 'leaky',
    pool: { kind: 'max', poolSize: [2, 2] },
  },
  {
    title: '4×2 same, strides [2, 1], batch norm (momentum 0.9, ε 0.01), ReLU, 3×2 max-pool stride 2 on odd sizes',
    input: [11, 7, 2],
    conv: { filters: 5, kernelSize: [4, 2], strides: [2, 1], padding: 'same' },
    bn: { momentum: 0.9, epsilon: 0.01 },
    act: 'relu',
    pool: { kind: 'max', poolSize: [3, 2], strides: 2 },
  },
  {
    title: '3×3 same, batch norm, leaky ReLU 0.2, overlapping 2×2 average pooling at stride 1',
    input: [6, 6, 3],
    conv: { filters: 4, kernelSize: 3, padding: 'same' },
    bn: {},
    act: 'leaky',
    pool: { kind: 'avg', poolSize: 2, strides: 1 },
  },
];

function slot(width: number, data: Float32Array, isInput: boolean): Slot {
  return { width, data, tensor: undefined, grad: undefined, isInput };
}

/** A training step on `passes` with `bytes` of its arena reserved (what the trainer reserves for its blocks). */
function newStep(n: number, passes: ElementwisePasses = jsPasses(), bytes = 0): Step {
  passes.reset();
  passes.reserve(bytes);
  return { n, training: true, passes, held: [], grads: [], updates: [] };
}

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Randomises every weight (batch-norm statistics included) so no gradient is trivially zero or one. */
function randomiseWeights(layers: tf.layers.Layer[], rng: Rng): void {
  for (const l of layers) {
    for (const w of l.weights) {
      const values = random(
        w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
        rng,
      );
      if (w.originalName.endsWith('variance')) for (let i = 0; i < values.length; i++) values[i] = 0.5 + values[i] ** 2;
      const t = tf.tensor(values, w.shape as number[]);
      w.write(t);
      t.dispose();
    }
  }
}

/**
 * The tfjs side: output, and gradients of Σ y·dy for the input and every trainable weight, by variable name. Runs
 * the layers in training mode once (so batch norm moves its statistics once, as the block's step would).
 */
function tfGradients(
  apply: (x: tf.Tensor) => tf.Tensor,
  layers: tf.layers.Layer[],
  x: tf.Tensor,
  dy: tf.Tensor,
): { y: Float32Array; dx: Float32Array; grads: Map<string, Float32Array> } {
  const xv = tf.variable(x);
  let y: Float32Array = new Float32Array(0);
  const vars = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const { grads, value } = tf.variableGrads(() => {
    const out = apply(xv);
    y = out.dataSync().slice() as Float32Array;
    return tf.sum(tf.mul(out, dy));
  }, [xv, ...vars]);
  const result = {
    y,
    dx: grads[xv.name].dataSync().slice() as Float32Array,
    grads: new Map(vars.map((v) => [v.name, grads[v.name].dataSync().slice() as Float32Array])),
  };
  tf.dispose([xv, value, ...Object.values(grads)]);
  return result;
}

/** tfjs backend × element-wise passes: the SIMD passes on wasm, and the JS reference on both backends. */
const RUNS = [
  { backend: 'wasm', passes: 'wasm-simd' },
  { backend: 'wasm', passes: 'js' },
  { backend: 'cpu', passes: 'js' },
];

for (const { backend, passes: passesName } of RUNS) {
  for (const c of CASES) {
    test(`image block equals tfjs forward and gradients: ${c.title} (${backend}, ${passesName} passes)`, async () => {
      await tf.setBackend(backend);
      const rng = new Rng(c.title.length);
      const input = tf.input({ shape: c.input });
      const conv = tf.layers.conv2d(c.conv as unknown as Parameters<typeof tf.layers.conv2d>[0]);
      const layers: tf.layers.Layer[] = [conv];
      let sym = conv.apply(input) as tf.SymbolicTensor;
      const bn = c.bn ? tf.layers.batchNormalization(c.bn) : undefined;
      const act = c.act === 'leaky' ? tf.layers.leakyReLU({ alpha: c.title.includes('0.2') ? 0.2 : 0.01 }) : c.act;
      const actLayer = act === 'relu' ? tf.layers.reLU() : act;
      const { kind, ...poolArgs } = c.pool ?? { kind: 'none' };
      const pool = !c.pool
        ? undefined
        : kind === 'max'
          ? tf.layers.maxPooling2d(poolArgs as Parameters<typeof tf.layers.maxPooling2d>[0])
          : tf.layers.averagePooling2d(poolArgs as Parameters<typeof tf.layers.averagePooling2d>[0]);
      for (const l of [bn, actLayer, pool]) {
        if (!l) continue;
        sym = l.apply(sym) as tf.SymbolicTensor;
        layers.push(l);
      }
      const model = tf.model({ inputs: input, outputs: sym });
      randomiseWeights(layers, rng);
      const n = 3;
      const inWidth = c.input.reduce((a, b) => a * b, 1);
      const outWidth = (sym.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
      const x = random(n * inWidth, rng),
        dy = random(n * outWidth, rng);
      const before = tf.memory().numTensors;
      try {
        const xs = slot(inWidth, x, false),
          ys = slot(outWidth, new Float32Array(0), false);
        const block = new ImageBlock({ conv, bn, act: actLayer || undefined, pool }, 1, xs, ys);
        const passes = passesName === 'js' ? jsPasses() : wasmPasses();
        assert.ok(passes, 'the SIMD passes compiled');
        const step = newStep(n, passes, block.need(n));
        block.forward(step);
        ys.grad = dy;
        block.backward(step);
        tf.dispose(step.held);
        assert.equal(tf.memory().numTensors, before, 'the block frees every tensor it made');
        const xt = tf.tensor(x, [n, ...c.input]);
        const dyt = tf.tensor(dy, [n, ...(sym.shape.slice(1) as number[])]);
        const theirs = tfGradients((t) => model.apply(t, { training: true }) as tf.Tensor, layers, xt, dyt);
        tf.dispose([xt, dyt]);
        assertClose(ys.data, theirs.y, 'output', 1e-4);
        assertClose(xs.grad!, theirs.dx, 'input gradient');
        const ours = new Map(step.grads.map((g) => [g.variable.name, g.grad]));
        assert.deepEqual([...ours.keys()].sort(), [...theirs.grads.keys()].sort(), 'every trainable weight');
        for (const [name, g] of theirs.grads) assertClose(ours.get(name)!, g, `gradient of ${name}`);
        if (bn) {
          // tfjs wrote its moving statistics during the training call; the block hands them to the trainer
          assert.equal(step.updates.length, 2);
          for (const u of step.updates)
            assertClose(u.values, u.variable.read().dataSync() as Float32Array, u.variable.name);
        }
        // inference: batch norm from the moving statistics
        const infer = { ...newStep(n, passes, block.need(n)), training: false };
        block.forward(infer);
        tf.dispose(infer.held);
        const predicted = tf.tidy(() => model.predict(tf.tensor(x, [n, ...c.input])) as tf.Tensor).dataSync();
        assertClose(ys.data, predicted as Float32Array, 'inference output', 1e-4);
      } finally {
        model.dispose();
        await tf.setBackend('wasm');
      }
    });
  }
}

// 1 step: cnnrnn over a single frame (tfjs's own gradient through it needs registerUnpackGradient)
for (const [sequences, steps] of [
  [false, 4],
  [true, 4],
  [false, 1],
  [true, 1],
] as const) {
  test(`GRU block equals tfjs forward and gradients (returnSequences ${sequences}, ${steps} steps)`, () => {
    const rng = new Rng(sequences ? 2 : 1);
    const [inner, units, n] = [5, 3, 6];
    const input = tf.input({ shape: [steps, inner] });
    const gru = tf.layers.gru({ units, recurrentActivation: 'sigmoid', returnSequences: sequences });
    const sym = gru.apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: sym });
    randomiseWeights([gru], rng);
    const outWidth = (sym.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    const x = random(n * steps * inner, rng),
      dy = random(n * outWidth, rng);
    try {
      const xs = slot(steps * inner, x, false),
        ys = slot(outWidth, new Float32Array(0), false);
      const block = new GruBlock(gru, xs, ys);
      const step = newStep(n);
      block.forward(step);
      ys.grad = dy;
      block.backward(step);
      const xt = tf.tensor(x, [n, steps, inner]);
      const dyt = tf.tensor(dy, [n, ...(sym.shape.slice(1) as number[])]);
      const theirs = tfGradients((t) => model.apply(t, { training: true }) as tf.Tensor, [gru], xt, dyt);
      tf.dispose([xt, dyt]);
      assertClose(ys.data, theirs.y, 'output', 1e-5);
      assertClose(xs.grad!, theirs.dx, 'input gradient');
      const ours = new Map(step.grads.map((g) => [g.variable.name, g.grad]));
      assert.equal(ours.size, 3, 'kernel, recurrent kernel and bias');
      for (const [name, g] of theirs.grads) assertClose(ours.get(name)!, g, `gradient of ${name}`);
    } finally {
      model.dispose();
    }
  });
}

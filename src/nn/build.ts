/** buildNetwork: a tfjs model from a network spec (dnn, lstm, cnn, cnnrnn trunks; value and policy heads). */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/random.ts';
import { BatchToFrames, FramesToBatch } from './frame-layers.ts';
import { dropoutSeed, SeededDropout } from './seeded-dropout.ts';
import { resolveSpec, type NetworkSpec, type ResolvedSpec } from './spec.ts';

type Sym = tf.SymbolicTensor;
type ActivationName = Parameters<typeof tf.layers.activation>[0]['activation'];

function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Dropout with a mask stream seeded from the network seed (see seeded-dropout.ts). */
function dropout(s: ResolvedSpec, name: string): tf.layers.Layer {
  return new SeededDropout({ rate: s.dropout, seed: dropoutSeed(s.seed, name), name });
}

/** Batch norm then dropout, the pair RLTrader puts after every layer. */
function normAndDrop(s: ResolvedSpec, x: Sym, tag: string): Sym {
  let y = x;
  if (s.batchNorm) y = apply(tf.layers.batchNormalization({ name: `bn_${tag}` }), y);
  if (s.dropout > 0) y = apply(dropout(s, `drop_${tag}`), y);
  return y;
}

function dnnTrunk(s: ResolvedSpec, input: Sym): Sym {
  let x = apply(tf.layers.flatten({ name: 'flatten' }), input);
  s.hidden.forEach((units, i) => {
    x = apply(tf.layers.dense({ units, activation: s.activation as ActivationName, name: `dense${i + 1}` }), x);
    x = normAndDrop(s, x, `${i + 1}`);
  });
  return x;
}

/** Kernels are overwritten by seedKernels; skip tfjs's slow (and unseeded) orthogonal initializer. */
const SEEDED_LATER = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;

function recurrentLayer(kind: 'lstm' | 'gru', units: number, returnSequences: boolean, name: string): tf.layers.Layer {
  // sigmoid gates (tfjs defaults to hardSigmoid); Keras-style forget-gate bias of 1 for the LSTM
  return kind === 'lstm'
    ? tf.layers.lstm({
        units,
        returnSequences,
        recurrentActivation: 'sigmoid',
        unitForgetBias: true,
        ...SEEDED_LATER,
        name,
      })
    : tf.layers.gru({ units, returnSequences, recurrentActivation: 'sigmoid', ...SEEDED_LATER, name });
}

function lstmTrunk(s: ResolvedSpec, input: Sym): Sym {
  let x = input;
  s.hidden.forEach((units, i) => {
    x = apply(recurrentLayer(s.rnn, units, i < s.hidden.length - 1, `rnn${i + 1}`), x);
    x = normAndDrop(s, x, `${i + 1}`);
  });
  return x;
}

/** 1-D convolutions across time with the features as channels (RLTrader's "cnn" uses a 1×5 kernel on 1×T×F). */
function cnnTrunk(s: ResolvedSpec, input: Sym): Sym {
  let x = input;
  let steps = s.window;
  s.hidden.forEach((filters, i) => {
    const layer = tf.layers.conv1d({
      filters,
      kernelSize: Math.min(5, steps),
      padding: 'same',
      activation: s.activation as ActivationName,
      name: `conv${i + 1}`,
    });
    x = apply(layer, x);
    if (s.batchNorm) x = apply(tf.layers.batchNormalization({ name: `bn_${i + 1}` }), x);
    if (steps >= 2) {
      x = apply(tf.layers.maxPooling1d({ poolSize: 2, name: `pool${i + 1}` }), x);
      steps = Math.floor(steps / 2);
    }
    if (s.dropout > 0) x = apply(dropout(s, `drop_${i + 1}`), x);
  });
  return apply(tf.layers.flatten({ name: 'flatten' }), x);
}

/**
 * A small 2-D CNN on every image of the sequence (Jiang–Kelly–Xiu blocks: 5×3 convolution, batch norm, leaky ReLU,
 * max-pool), a dense embedding per image, then the sequence of embeddings into a GRU or LSTM. The frames are
 * folded into the batch for the per-image part (see frame-layers.ts).
 */
function cnnRnnTrunk(s: ResolvedSpec, input: Sym): Sym {
  const im = s.image!;
  let x = apply(new FramesToBatch({ name: 'frames_to_batch' }), input);
  let height = im.height;
  let width = im.width;
  s.hidden.forEach((filters, i) => {
    const conv = tf.layers.conv2d({
      filters,
      kernelSize: [5, 3],
      padding: 'same',
      useBias: !s.batchNorm,
      name: `conv${i + 1}`,
    });
    x = apply(conv, x);
    if (s.batchNorm) x = apply(tf.layers.batchNormalization({ name: `bn${i + 1}` }), x);
    x = apply(tf.layers.leakyReLU({ alpha: 0.01, name: `lrelu${i + 1}` }), x);
    // JKX pool 2×1 (price axis only); we pool the time axis too while it is wide, which quarters the cost of
    // everything after the first block and the size of the embedding layer (measured on wasm)
    const poolH = height >= 2 ? 2 : 1;
    const poolW = width >= 16 ? 2 : 1;
    if (poolH * poolW > 1) {
      x = apply(tf.layers.maxPooling2d({ poolSize: [poolH, poolW], name: `pool${i + 1}` }), x);
      height = Math.floor(height / poolH);
      width = Math.floor(width / poolW);
    }
  });
  x = apply(tf.layers.flatten({ name: 'flatten' }), x);
  if (s.dropout > 0) x = apply(dropout(s, 'drop_conv'), x);
  x = apply(tf.layers.dense({ units: s.embedding, activation: 'relu', name: 'embed' }), x);
  x = apply(new BatchToFrames({ frames: im.frames, name: 'batch_to_frames' }), x);
  x = apply(recurrentLayer(s.rnn, s.rnnUnits, false, 'rnn'), x);
  if (s.dropout > 0) x = apply(dropout(s, 'drop_rnn'), x);
  return x;
}

/** Glorot-uniform limits computed as Keras does: conv kernels count the receptive field in both fans. */
function glorotLimit(shape: readonly number[]): number {
  if (shape.length < 2) return Math.sqrt(3 / Math.max(1, shape[0] ?? 1));
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = shape[shape.length - 2] * receptive;
  const fanOut = shape[shape.length - 1] * receptive;
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * Overwrites every kernel with glorot-uniform values drawn from our seeded Rng, so the same seed gives the same
 * weights on every backend and machine. Biases, batch-norm and forget-gate initial values are constants already.
 */
function seedKernels(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const w of model.weights) {
    const leaf = w.originalName.split('/').pop() ?? '';
    if (!leaf.endsWith('kernel')) continue;
    const shape = w.shape as number[];
    const limit = glorotLimit(shape);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (rng.next() * 2 - 1) * limit;
    const t = tf.tensor(values, shape);
    w.write(t);
    t.dispose();
  }
}

/**
 * Builds a network from its spec. Inputs in order: [features (or images), state?]; outputs in order: [value?, policy?],
 * named 'value' and 'policy'. Not compiled: learners bring their own loss and optimizer.
 */
export function buildNetwork(spec: NetworkSpec): tf.LayersModel {
  const s = resolveSpec(spec);
  // Under tf.tidy: tfjs's LSTM cell with unitForgetBias builds its bias from four intermediate tensors it never frees
  // (tfjs-layers recurrent.js, LSTMCell.build's CustomInit), so every LSTM layer built outside a scope leaked four
  // tensors. The layers' weights are variables, which tidy keeps.
  let model: tf.LayersModel | undefined;
  tf.tidy(() => {
    model = buildLayers(s);
    seedKernels(model, s.seed);
  });
  return model!;
}

function buildLayers(s: ResolvedSpec): tf.LayersModel {
  const main =
    s.kind === 'cnnrnn'
      ? tf.input({ shape: [s.image!.frames, s.image!.height, s.image!.width, s.image!.channels], name: 'images' })
      : tf.input({ shape: [s.window, s.features], name: 'features' });
  const inputs: Sym[] = [main];
  let x =
    s.kind === 'dnn'
      ? dnnTrunk(s, main)
      : s.kind === 'lstm'
        ? lstmTrunk(s, main)
        : s.kind === 'cnn'
          ? cnnTrunk(s, main)
          : cnnRnnTrunk(s, main);
  if (s.stateSize > 0) {
    const state = tf.input({ shape: [s.stateSize], name: 'state' });
    inputs.push(state);
    x = apply(tf.layers.concatenate({ name: 'trunk_state' }), [x, state]);
  }
  const outputs: Sym[] = [];
  if (s.heads.value !== undefined) outputs.push(apply(tf.layers.dense({ units: s.heads.value, name: 'value' }), x));
  if (s.heads.policy !== undefined) {
    const activation = s.policyActivation ?? 'softmax';
    outputs.push(apply(tf.layers.dense({ units: s.heads.policy, activation, name: 'policy' }), x));
  }
  return tf.model({ inputs, outputs, name: `${s.kind}` });
}
